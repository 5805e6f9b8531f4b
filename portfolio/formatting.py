"""Jinja filters: money as S/ 1,234,567.89, dates as dd/mm/aaaa in the business time zone (``TIMEZONE``);
and the reverse for what people type: ``parse_date`` (dd/mm/aaaa) and ``parse_month`` (mm/aaaa), whatever
the browser."""
from __future__ import annotations

import datetime as dt
import functools
import re
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from markupsafe import Markup, escape

from portfolio import clock
from portfolio.money import format_money

if TYPE_CHECKING:  # the ledger and services use these helpers without importing Flask
    from flask import Flask

MONTHS = [
    "enero", "febrero", "marzo", "abril", "mayo", "junio",
    "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre",
]


def format_date(value: dt.date | dt.datetime | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, dt.datetime):
        value = clock.local_date(value) if value.tzinfo else value.date()
    return value.strftime("%d/%m/%Y")


def format_datetime(value: dt.datetime | None) -> str:
    if value is None:
        return "—"
    if value.tzinfo is not None:
        value = value.astimezone(clock.zone())
    return value.strftime("%d/%m/%Y %H:%M")


def format_month(value: dt.date | None) -> str:
    if value is None:
        return "—"
    return f"{MONTHS[value.month - 1]} {value.year}"


def month_label(value: dt.date | None) -> str:
    """«noviembre de 2026»."""
    if value is None:
        return "—"
    return f"{MONTHS[value.month - 1]} de {value.year}"


DATE_HINT = "dd/mm/aaaa"
MONTH_HINT = "mm/aaaa"
_DAY_RE = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")
_ISO_DAY_RE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_MONTH_RE = re.compile(r"(\d{1,2})[/.-](\d{4})")
_ISO_MONTH_RE = re.compile(r"(\d{4})-(\d{2})")
_YEARS = (1900, 2199)  # a four-digit year outside this is a typo, not a date anyone means


class DateInputError(ValueError):
    """What a person typed is not a date (or month); the message is Spanish and says the expected form."""


def parse_date(text: str | None) -> dt.date | None:
    """``15/03/2026`` (also ``15-03-2026``, ``5/3/2026``) or ISO ``2026-03-15`` from older clients → a date.

    Empty → None; anything else raises ``DateInputError``."""
    raw = (text or "").strip()
    if not raw:
        return None
    match = _DAY_RE.fullmatch(raw)
    parts = (match.group(3), match.group(2), match.group(1)) if match else None
    if parts is None and (iso := _ISO_DAY_RE.fullmatch(raw)):
        parts = iso.groups()
    if parts is not None and _YEARS[0] <= int(parts[0]) <= _YEARS[1]:
        try:
            return dt.date(int(parts[0]), int(parts[1]), int(parts[2]))
        except ValueError:
            pass
    raise DateInputError(f"Fecha inválida: use {DATE_HINT} (p. ej. 15/03/2026).")


def parse_month(text: str | None) -> dt.date | None:
    """``03/2026`` (also ``3/2026``, ``03-2026``) or ISO ``2026-03`` → the first day of that month."""
    raw = (text or "").strip()
    if not raw:
        return None
    match = _MONTH_RE.fullmatch(raw)
    parts = (match.group(2), match.group(1)) if match else None
    if parts is None and (iso := _ISO_MONTH_RE.fullmatch(raw)):
        parts = iso.groups()
    if parts is not None and 1 <= int(parts[1]) <= 12 and _YEARS[0] <= int(parts[0]) <= _YEARS[1]:
        return dt.date(int(parts[0]), int(parts[1]), 1)
    raise DateInputError(f"Mes inválido: use {MONTH_HINT} (p. ej. 03/2026).")


def date_input_value(value: dt.date | None) -> str:
    """A date as it goes back into a text field: ``15/03/2026`` (empty for None)."""
    return value.strftime("%d/%m/%Y") if value else ""


def month_input_value(value: dt.date | None) -> str:
    return value.strftime("%m/%Y") if value else ""


def format_percent(value: Decimal | int | None, places: int = 1) -> str:
    if value is None:
        return "—"
    return f"{Decimal(value):,.{places}f} %"


def options(choices, selected: Any = None) -> Markup:
    """The ``<option>`` elements of a drop-down for ``(value, label)`` pairs, the one whose value equals
    ``selected`` marked selected (compared as text, as the form sends it back). Built in Python and kept
    for the same pairs (a filter of a few hundred companies costs a Jinja loop a few milliseconds per page);
    the chosen one is marked in the kept text."""
    html = _options_html(tuple(choices))
    if selected is not None:
        value = f'<option value="{escape(selected)}">'
        html = html.replace(value, value[:-1] + " selected>", 1)
    return Markup(html)


@functools.lru_cache(maxsize=128)
def _options_html(pairs: tuple) -> str:
    return "".join(f'<option value="{escape(value)}">{escape(label)}</option>' for value, label in pairs)


def init_app(app: Flask) -> None:
    app.jinja_env.filters["money"] = format_money
    app.jinja_env.filters["date"] = format_date
    app.jinja_env.filters["datetime"] = format_datetime
    app.jinja_env.filters["month"] = format_month
    app.jinja_env.filters["month_long"] = month_label
    app.jinja_env.filters["pct"] = format_percent
    app.jinja_env.filters["date_input"] = date_input_value
    app.jinja_env.filters["options"] = options
