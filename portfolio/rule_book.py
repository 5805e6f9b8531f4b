"""Every rule value read at once, for computations that read many rules on many dates (the obligations
calendar and its reminders)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select

from portfolio import db
from portfolio.domain_errors import NotFound
from portfolio.rules import RULES, RuleValue, parse_schedule


class RuleBook:
    """Every rule value read once (one statement), answering like :func:`rule_value` and :func:`rule_schedule`
    for any key and date: for computations that read many rules on many dates (the obligations calendar)."""

    def __init__(self) -> None:
        self._rows: dict[str, list[tuple[dt.date, str]]] = {}
        for key, effective_from, value in db.session.execute(
                select(RuleValue.key, RuleValue.effective_from, RuleValue.value).order_by(RuleValue.effective_from)):
            self._rows.setdefault(key, []).append((effective_from, value))

    def _text(self, key: str, on: dt.date) -> str:
        if key not in RULES:
            raise KeyError(key)
        for effective_from, value in reversed(self._rows.get(key, [])):
            if effective_from <= on:
                return value
        raise NotFound(f"No hay un valor vigente para la regla «{RULES[key][0]}» al {on:%d/%m/%Y}.")

    def value(self, key: str, on: dt.date) -> Decimal:
        return Decimal(self._text(key, on))

    def schedule(self, key: str, on: dt.date) -> tuple[int | str, ...]:
        return parse_schedule(self._text(key, on))
