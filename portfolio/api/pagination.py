"""Cursor (keyset) pagination: the cursor encodes the last row's sort values, so a page costs the same at
row 10 and at row 10,000 and rows added meanwhile are neither skipped nor repeated."""
from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from typing import Any

from sqlalchemy import Select, tuple_

from portfolio import db
from portfolio.api.problems import ApiProblem


def encode(values: list[Any]) -> str:
    raw = json.dumps([v.isoformat() if isinstance(v, dt.date | dt.datetime) else v for v in values])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _coerce(column, value: Any) -> Any:
    kind = column.type.python_type
    if kind is dt.date:
        return dt.date.fromisoformat(value)
    if kind is dt.datetime:
        return dt.datetime.fromisoformat(value)
    if kind is int:
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 2**31 - 1:
            raise ValueError("not an id")
        return value
    return kind(value)


def decode(cursor: str, columns) -> list[Any]:
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode())
        if not isinstance(raw, list) or len(raw) != len(columns):
            raise ValueError("shape")
        return [_coerce(c, v) for c, v in zip(columns, raw, strict=True)]
    except (ValueError, TypeError, UnicodeDecodeError, binascii.Error) as exc:
        raise ApiProblem(422, "El cursor no es válido: use el valor de next_cursor de la página anterior.",
                         errors=[{"field": "cursor", "detail": "Cursor no válido."}]) from exc


def keyset(query: Select, columns: tuple, params, *, descending: bool = False) -> tuple[list, str | None]:
    """One page of ``query`` ordered by ``columns`` (the last one unique) after ``params.cursor``."""
    if params.cursor:
        values = decode(params.cursor, columns)
        key = tuple_(*columns)
        query = query.where(key < tuple_(*values) if descending else key > tuple_(*values))
    order = [c.desc() if descending else c.asc() for c in columns]
    rows = list(db.session.scalars(query.order_by(*order).limit(params.limit + 1)).unique())
    more = len(rows) > params.limit
    rows = rows[: params.limit]
    if not more:
        return rows, None
    last = rows[-1]
    return rows, encode([getattr(last, c.key) for c in columns])
