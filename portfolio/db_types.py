"""Database types with no web framework: the declarative ``Base`` (with the naming convention every
constraint follows), the money column type, UTC datetimes and ``utcnow``.

Models and the ledger import this module only, so they load without Flask; the request-scoped session
lives in :mod:`portfolio.db`.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

from sqlalchemy import BigInteger, DateTime, Integer, MetaData
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

from portfolio import clock
from portfolio.money import CENT, to_cents

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# The id of a tally row (``portfolio.tallies``): every change takes one and compaction frees rows, not ids, so
# 64 bits on PostgreSQL; SQLite's rowid already is.
TALLY_ID = BigInteger().with_variant(Integer(), "sqlite")


class Money(TypeDecorator):
    """Soles as integer céntimos in the database, ``Decimal`` with two places in Python.

    Exact on SQLite (which would sum ``NUMERIC`` as floating point) and PostgreSQL alike. Refuses
    values with more than two decimals instead of rounding them silently.
    """

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return to_cents(value)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return (Decimal(int(value)) * CENT).quantize(CENT)

    def process_literal_param(self, value, dialect):  # pragma: no cover - used by literal SQL only
        return str(self.process_bind_param(value, dialect))


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on both SQLite and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime stored; use utcnow()")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


def utcnow() -> dt.datetime:
    """The current instant (aware, UTC), from the business clock."""
    return clock.utcnow()


def one_of(column: str, values: Iterable[str]) -> str:
    """The text of a CHECK constraint ``column IN ('a', 'b', …)`` built from a vocabulary, in its order."""
    quoted = ", ".join(f"'{value}'" for value in values)
    return f"{column} IN ({quoted})"
