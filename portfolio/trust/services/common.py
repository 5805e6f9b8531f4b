"""Shared pieces of the trust services: the chart of accounts, idempotent commands, actors and dates."""
from __future__ import annotations

import calendar
import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, select

from portfolio import db
from portfolio.db import insert_unique  # noqa: F401  (the trust services import it from here)
from portfolio.domain_errors import DomainError
from portfolio.money import CENT, MAX_AMOUNT
from portfolio.trust import ledger

BANK_AVAILABLE = "1011"
BANK_RESERVED = "1012"
CONTRIBUTIONS_INCOME = "4100"

CHART = [
    (BANK_AVAILABLE, "Banco fiduciario – fondos disponibles", "asset"),
    (BANK_RESERVED, "Banco fiduciario – fondos comprometidos (reservas aprobadas)", "asset"),
    (CONTRIBUTIONS_INCOME, "Aportes declarados por las empresas", "income"),
]


@dataclass
class Done:
    """A service's result; ``replayed`` when the same command had already been done with this key."""

    value: Any
    replayed: bool = False


def chart_of_accounts() -> int:
    """Create the fixed accounts that are missing (idempotent)."""
    added = 0
    for code, name, type_ in CHART:
        if db.session.scalar(select(ledger.Account.id).where(ledger.Account.code == code)) is None:
            ledger.get_or_create_account(db.session, code, name, type_)
            added += 1
    return added


def fixed_account(code: str) -> ledger.Account:
    """An account of the fixed chart (one SELECT; the chart is created the first time it is missing)."""
    return fixed_accounts(code)[0]


def fixed_accounts(*codes: str) -> list[ledger.Account]:
    """Accounts of the fixed chart, in the order asked, with one SELECT (the chart is created the first time
    one is missing)."""
    found = {a.code: a for a in db.session.scalars(select(ledger.Account).where(ledger.Account.code.in_(codes)))}
    if len(found) < len(set(codes)):
        chart_of_accounts()
        found = {code: ledger.account(db.session, code) for code in codes}
    return [found[code] for code in codes]


def receivable_code(ruc: str) -> str:
    """The code of a company's receivable account: 1200-<RUC>."""
    return f"1200-{ruc}"


def company_receivable(company) -> ledger.Account:
    return ledger.get_or_create_account(
        db.session, receivable_code(company.ruc), f"Aportes por cobrar – {company.legal_name}"[:200], "asset",
        owner_type="company", owner_id=company.id)


@functools.cache
def _accounts_query():
    return (select(ledger.Account).where(ledger.Account.code.in_(bindparam("codes", expanding=True)))
            .execution_options(populate_existing=True))


def _own_and_fixed(own: str, create_own: Callable[[], ledger.Account], codes: tuple[str, ...]) -> list[ledger.Account]:
    """An account of a company or program (code ``own``) and accounts of the fixed chart, with one SELECT
    that also refreshes their balances (committed, read without a lock); any of them is created the first
    time it is missing."""
    found = {a.code: a for a in db.session.scalars(_accounts_query(), {"codes": [own, *codes]})}
    return [found.get(own) or create_own(), *(found.get(code) or fixed_account(code) for code in codes)]


def company_accounts(company, code: str) -> tuple[ledger.Account, ledger.Account]:
    """The company's receivable and an account of the fixed chart with one SELECT."""
    receivable, fixed = _own_and_fixed(receivable_code(company.ruc), lambda: company_receivable(company), (code,))
    return receivable, fixed


def program_expense_code(program) -> str:
    return f"5100-{program.code}"


def program_expense(program) -> ledger.Account:
    return ledger.get_or_create_account(
        db.session, program_expense_code(program), f"Desembolsos – {program.name}"[:200], "expense",
        owner_type="program", owner_id=program.id)


def program_accounts(program, *codes: str) -> list[ledger.Account]:
    """The program's expense account, then accounts of the fixed chart in the order asked, with one SELECT."""
    return _own_and_fixed(program_expense_code(program), lambda: program_expense(program), codes)


def command(key: str, name: str, payload: dict[str, Any], model, run: Callable[[], Any]) -> Done:
    """Run ``run`` once per idempotency key; a replay returns the first result."""
    claim = ledger.claim(db.session, key, name, payload)
    if claim.replay:
        return Done(db.session.get(model, claim.command.result_id), True)
    with ledger.deferred_balances(db.session):  # the hot account rows are locked last, just before the commit
        value = run()
        ledger.finish(claim, value)
    db.session.flush()
    return Done(value)




def positive_amount(value: Any, field: str = "amount") -> Decimal:
    if not isinstance(value, Decimal) or not value.is_finite():
        raise DomainError("Ingrese un monto válido.", field=field)
    if value <= 0:
        raise DomainError("El monto debe ser mayor que cero.", field=field)
    if value > MAX_AMOUNT:  # before quantize(), which raises on more digits than the context's precision
        raise DomainError("El monto excede el máximo permitido.", field=field)
    if value != value.quantize(CENT):
        raise DomainError("Monto inválido: tiene más de dos decimales.", field=field)
    return value


def add_month(month: dt.date, n: int = 1) -> dt.date:
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def day_in_month(month: dt.date, day: int) -> dt.date:
    return month.replace(day=min(day, calendar.monthrange(month.year, month.month)[1]))


def actor_id(actor) -> int | None:
    return getattr(actor, "id", None)
