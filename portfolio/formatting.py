"""Jinja filters: money as S/ 1,234,567.89, dates as dd/mm/aaaa in the business time zone (``TIMEZONE``)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING

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


def format_percent(value: Decimal | int | None, places: int = 1) -> str:
    if value is None:
        return "—"
    return f"{Decimal(value):,.{places}f} %"


def init_app(app: Flask) -> None:
    app.jinja_env.filters["money"] = format_money
    app.jinja_env.filters["date"] = format_date
    app.jinja_env.filters["datetime"] = format_datetime
    app.jinja_env.filters["month"] = format_month
    app.jinja_env.filters["month_long"] = month_label
    app.jinja_env.filters["pct"] = format_percent
