"""Server-side list pages: search, filters, sorting and pagination from the query string.

A view describes its sortable columns once; ``paginate`` turns request arguments into one COUNT and
one page query, whatever the size of the table.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import request
from sqlalchemy import Select, func, select
from sqlalchemy.sql.elements import UnaryExpression

from portfolio import db
from portfolio.read_cache import kept_rows

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
    return text_value(request.args, name, max_length)


def text_value(args: Mapping[str, str], name: str, max_length: int = 100) -> str:
    """A filter value from ``args`` (the query string, or the arguments stored with an export job)."""
    return (args.get(name) or "").strip()[:max_length]


@dataclass
class ListQuery:
    """A list page's filtered query and how it sorts: built once, used by the page and by its export.

    ``notes`` describes the applied filters for people (the *Notas* sheet of an export); ``errors`` holds
    messages about ignored filter values.
    """

    query: Select
    sortable: dict[str, Any]
    default_sort: str
    default_direction: str = "asc"
    tiebreak: Any = None
    filters: dict[str, str] = field(default_factory=dict)
    notes: list[tuple[str, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    tally: Any = None  # the filters as the database's kept totals can answer them (None: add the rows up)

    def paginate(self, per_page: int = 25, scalars: bool = True, total: int | None = None) -> Page:
        """One page of the list; ``total`` when the caller already counted the filtered rows (with its sums)."""
        return paginate(self.query, sortable=self.sortable, default_sort=self.default_sort,
                        default_direction=self.default_direction, tiebreak=self.tiebreak,
                        per_page=per_page, scalars=scalars, total=total)

    def ordered(self, args: Mapping[str, str]) -> Select:
        """The whole filtered query in the order the page shows for ``args`` (?sort=, ?dir=)."""
        _, _, order = sort_order(args, self.sortable, self.default_sort, self.default_direction, self.tiebreak)
        return self.query.order_by(*order)

    def count(self) -> int:
        return count_rows(self.query)


def count_rows(query: Select) -> int:
    """How many rows ``query`` returns (the database drops the unused columns of the subquery)."""
    return kept_rows(select(func.count()).select_from(query.order_by(None).subquery()))[0][0] or 0


def sort_order(args: Mapping[str, str], sortable: dict[str, Any], default_sort: str,
               default_direction: str = "asc", tiebreak: Any = None) -> tuple[str, str, list[Any]]:
    """``?sort=`` and ``?dir=`` → (sort key, direction, ORDER BY clauses); unknown values fall back."""
    sort = args.get("sort", default_sort)
    if sort not in sortable:
        sort = default_sort
    direction = args.get("dir", default_direction)
    if direction not in ("asc", "desc"):
        direction = default_direction
    column = sortable[sort]
    order = [column.desc() if direction == "desc" else column.asc()]
    if tiebreak is not None:
        # in the sort's direction, so one index on (column, tiebreak) serves both; a tiebreak given with a
        # direction of its own (``AuditEntry.id.desc()``) keeps it
        flip = direction == "desc" and not isinstance(tiebreak, UnaryExpression)
        order.append(tiebreak.desc() if flip else tiebreak)
    return sort, direction, order


def paginate(
    query: Select,
    *,
    sortable: dict[str, Any],
    default_sort: str,
    default_direction: str = "asc",
    tiebreak: Any = None,
    per_page: int = 25,
    scalars: bool = True,
    total: int | None = None,
) -> Page:
    """Apply ?sort=, ?dir=, ?page= to ``query`` and fetch one page plus the total count (counted here unless
    the caller passes ``total``, e.g. from the query that sums the list)."""
    sort, direction, order = sort_order(request.args, sortable, default_sort, default_direction, tiebreak)
    per_page = int_arg("per_page", per_page, maximum=MAX_PAGE_SIZE) or per_page
    if total is None:
        total = count_rows(query)
    pages = max(1, math.ceil(total / per_page))
    page = min(int_arg("page", 1) or 1, pages)
    if total == 0:  # nothing matches: no need to look for a page of it (a filter that matches nothing
        items = []  # may otherwise walk a whole index in the list's order)
    else:
        result = db.session.execute(query.order_by(*order).limit(per_page).offset((page - 1) * per_page))
        items = list(result.scalars().unique()) if scalars else list(result.all())
    args = {k: v for k, v in request.args.items() if k not in ("page",)}
    return Page(items=items, total=total, page=page, per_page=per_page, sort=sort, direction=direction, args=args)
