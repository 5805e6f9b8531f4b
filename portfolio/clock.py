"""The business clock: every "today" and "now" of the application comes from here.

Business dates (due dates, postings, "no future dates" checks, dashboards) are the date on the calendar of
the ``TIMEZONE`` setting (default ``America/Lima``), whatever the server's own zone. Timestamps are aware
datetimes and are stored in UTC (``portfolio.db.UTCDateTime``).

Tests (and only tests) control the clock with ``frozen(at)`` / ``set_now(at)``: a fixed aware instant
returned by ``now()`` for the whole process (request threads included) until it is reset.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import functools
import sys
from collections.abc import Iterator
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_TIMEZONE = "America/Lima"

_override: dt.datetime | None = None


@functools.lru_cache(maxsize=16)
def load_zone(name: str) -> ZoneInfo:
    """The zone called ``name``; ``ValueError`` with a Spanish message when it does not exist."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"Zona horaria desconocida: {name!r} (use un nombre IANA, p. ej. America/Lima)") from exc


def zone() -> ZoneInfo:
    """The business time zone: the app's ``TIMEZONE`` setting (the environment's outside an app)."""
    flask = sys.modules.get("flask")  # no app context can exist before Flask is loaded: the core stays pure
    name = flask.current_app.config.get("TIMEZONE") if flask is not None and flask.has_app_context() else None
    if not name:
        from portfolio.config import environment_timezone

        name = environment_timezone()
    return load_zone(name or DEFAULT_TIMEZONE)


def now() -> dt.datetime:
    """The current instant as an aware datetime in the business zone."""
    instant = _override if _override is not None else dt.datetime.now(dt.UTC)
    return instant.astimezone(zone())


def utcnow() -> dt.datetime:
    """The current instant as an aware UTC datetime (what timestamps store)."""
    return now().astimezone(dt.UTC)


def today() -> dt.date:
    """The business date: today on the calendar of the business zone."""
    return now().date()


def local_date(instant: dt.datetime) -> dt.date:
    """The business date on which an aware ``instant`` happened."""
    return instant.astimezone(zone()).date()


def start_of_day(day: dt.date) -> dt.datetime:
    """The aware instant at which business date ``day`` begins (00:00 in the business zone)."""
    return dt.datetime.combine(day, dt.time(), tzinfo=zone())


def set_now(instant: dt.datetime | None) -> None:
    """Freeze the clock at the aware ``instant`` (``None`` lets it run again). For tests."""
    global _override
    if instant is not None and instant.tzinfo is None:
        raise ValueError("set_now needs an aware datetime")
    _override = instant


@contextlib.contextmanager
def frozen(instant: dt.datetime) -> Iterator[dt.datetime]:
    """``with clock.frozen(at):`` — the clock reads ``at`` inside the block. For tests."""
    previous = _override
    set_now(instant)
    try:
        yield instant
    finally:
        set_now(previous)
