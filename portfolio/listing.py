"""Server-side list pages: search, filters, sorting and pagination from the query string.

A view describes its sortable columns once; ``paginate`` turns request arguments into one COUNT and
one page query, whatever the size of the table.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from flask import request
from sqlalchemy import Select, func, select

from portfolio import db

MAX_PAGE_SIZE = 100


@dataclass
class Page:
    items: list[Any]
    total: int
    page: int
    per_page: int
    sort: str
    direction: str
    args: dict[str, str] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def first_index(self) -> int:
        return 0 if self.total == 0 else (self.page - 1) * self.per_page + 1

    @property
    def last_index(self) -> int:
        return min(self.total, self.page * self.per_page)

    def url_args(self, route: dict[str, Any] | None = None, **overrides: Any) -> dict[str, Any]:
        """Current query arguments with ``overrides``, plus the ``route`` arguments of the endpoint."""
        merged = {**self.args, **overrides, **(route or {})}
        return {k: v for k, v in merged.items() if v not in (None, "")}

    def sort_args(self, column: str, route: dict[str, Any] | None = None) -> dict[str, Any]:
        direction = "desc" if self.sort == column and self.direction == "asc" else "asc"
        return self.url_args(route, sort=column, dir=direction, page=None)


def int_arg(name: str, default: int | None = None, *, minimum: int = 1, maximum: int | None = None) -> int | None:
    raw = request.args.get(name, "")
    try:
        value = int(raw)
    except ValueError:
        return default
    if value < minimum or (maximum is not None and value > maximum):
        return default
    return value


def text_arg(name: str, max_length: int = 100) -> str:
    return request.args.get(name, "").strip()[:max_length]


def paginate(
    query: Select,
    *,
    sortable: dict[str, Any],
    default_sort: str,
    default_direction: str = "asc",
    tiebreak: Any = None,
    per_page: int = 25,
    scalars: bool = True,
) -> Page:
    """Apply ?sort=, ?dir=, ?page= to ``query`` and fetch one page plus the total count."""
    sort = request.args.get("sort", default_sort)
    if sort not in sortable:
        sort = default_sort
    direction = request.args.get("dir", default_direction)
    if direction not in ("asc", "desc"):
        direction = default_direction
    per_page = int_arg("per_page", per_page, maximum=MAX_PAGE_SIZE) or per_page
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    pages = max(1, math.ceil(total / per_page))
    page = min(int_arg("page", 1) or 1, pages)
    column = sortable[sort]
    order = [column.desc() if direction == "desc" else column.asc()]
    if tiebreak is not None:
        order.append(tiebreak)
    paged = query.order_by(*order).limit(per_page).offset((page - 1) * per_page)
    result = db.session.execute(paged)
    items = list(result.scalars().unique()) if scalars else list(result.all())
    args = {k: v for k, v in request.args.items() if k not in ("page",)}
    return Page(items=items, total=total, page=page, per_page=per_page, sort=sort, direction=direction, args=args)
