"""The trust's books: balances, period close, bank statement balances, statements and arrears ageing.

Every figure is computed with aggregate queries over the ledger (or the obligation rows), never by
looping over rows in Python, and statements tie to the ledger to the cent.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import case, select

from portfolio import audit, clock, db
from portfolio.auth.policy import service
from portfolio.domain_errors import DomainError
from portfolio.formatting import month_label
from portfolio.money import format_money
from portfolio.orgs.models import Company
from portfolio.read_cache import kept_by_data_version
from portfolio.trust import ledger
from portfolio.trust.ledger import Entry, Posting, money_sum
from portfolio.trust.models import (
    BankBalance,
    Contribution,
    Disbursement,
    Payment,
    Program,
    ProgramAllocation,
)
from portfolio.trust.services.common import (
    BANK_AVAILABLE,
    BANK_RESERVED,
    Done,
    chart_of_accounts,
    command,
    positive_amount,
    receivable_code,
)
from portfolio.trust.vocab import RESERVED_DISBURSEMENTS

ZERO = ledger.ZERO
AGE_BUCKETS = [("0–30 días", 0, 30), ("31–60 días", 31, 60), ("61–90 días", 61, 90), ("Más de 90 días", 91, None)]


@kept_by_data_version
def fund_position(as_of: dt.date | None = None) -> dict[str, Decimal]:
    """The trust's funds: bank = available + reserved. Now from the balances cached on the ledger accounts
    (one statement), or at the end of ``as_of`` from the postings. Reads only: a missing account is zero."""
    bank = ledger.Account.code.in_((BANK_AVAILABLE, BANK_RESERVED))
    if as_of is None:
        rows = dict(db.session.execute(select(ledger.Account.code, ledger.Account.balance).where(bank)).all())
    else:
        ids = dict(db.session.execute(select(ledger.Account.code, ledger.Account.id).where(bank)).all())
        rows = {code: ledger.balance_on(db.session, [account_id], as_of) for code, account_id in ids.items()}
    available, reserved = rows.get(BANK_AVAILABLE, ZERO), rows.get(BANK_RESERVED, ZERO)
    return {"bank": available + reserved, "reserved": reserved, "available": available}


def bank_account_ids() -> list[int]:
    """The ids of the two bank accounts (available, reserved): one statement; the fixed chart of accounts is
    created only the first time they are missing."""
    query = select(ledger.Account.id).where(ledger.Account.code.in_((BANK_AVAILABLE, BANK_RESERVED)))
    ids = list(db.session.scalars(query))
    if len(ids) < 2:
        chart_of_accounts()
        ids = list(db.session.scalars(query))
    return ids


def month_end_reconciliation(month: dt.date) -> dict:
    """The bank statement balance registered for the month's last day against the ledger's bank accounts
    on that day: ``bank`` is None when no balance was registered for that date."""
    last_day = ledger.next_month(month) - dt.timedelta(days=1)
    bank = db.session.scalar(select(BankBalance.balance).where(BankBalance.on == last_day))
    book = ledger.balance_on(db.session, bank_account_ids(), last_day)
    return {"month": ledger.month_of(month), "last_day": last_day, "bank": bank, "ledger": book,
            "difference": None if bank is None else bank - book}


def require_reconciled(month: dt.date) -> None:
    """A month closes only when the bank statement balance of its last day equals the ledger's bank."""
    r = month_end_reconciliation(month)
    label, day = month_label(r["month"]), r["last_day"].strftime("%d/%m/%Y")
    if r["bank"] is None:
        raise DomainError(f"Para cerrar {label} registre primero el saldo del extracto bancario al {day}.",
                          field="month")
    if r["difference"] != 0:
        raise DomainError(
            f"No se puede cerrar {label}: el extracto bancario al {day} ({format_money(r['bank'])}) no coincide "
            f"con el libro mayor ({format_money(r['ledger'])}); diferencia {format_money(r['difference'])}. "
            "Registre los movimientos que faltan antes del cierre.", field="month")


def next_period_to_close() -> dt.date | None:
    return ledger.next_period_to_close(db.session)


@service("trust.close_period")
def close_period(*, month: dt.date, actor, key: str, today: dt.date | None = None) -> Done:
    """Close the next month in order, once it has ended and its bank balance is reconciled."""
    today = today or clock.today()

    def run():
        period = ledger.close_period(db.session, month, today=today, actor_id=actor.id,
                                     before_close=require_reconciled)
        audit.record("trust.period.close", period, actor=actor, after={
            "month": period.month, "entries": period.entry_count, "total": period.entry_total})
        return period

    return command(key, "close_period", {"month": month, "actor": actor.id}, ledger.Period, run)


@service("trust.execute")
def record_bank_balance(*, on: dt.date, balance: Decimal, note: str | None, actor, key: str,
                        today: dt.date | None = None) -> Done:
    """Record the trust bank account's statement balance of a day, for the reconciliation."""
    today = today or clock.today()

    def run():
        if balance != 0:
            positive_amount(balance, "balance")
        if on > today:
            raise DomainError("La fecha del extracto no puede ser futura.", field="on")
        if db.session.scalar(select(BankBalance.id).where(BankBalance.on == on)):
            raise DomainError("Ya se registró el saldo bancario de esa fecha.", field="on")
        row = BankBalance(on=on, balance=balance, note=(note or "").strip() or None, recorded_by_id=actor.id)
        db.session.add(row)
        db.session.flush()
        audit.record("trust.bank_balance", row, actor=actor, after={"on": on, "balance": balance})
        return row

    return command(key, "bank_balance", {"on": on, "balance": balance, "note": note, "actor": actor.id},
                   BankBalance, run)


def bank_reconciliation() -> list[dict]:
    """The latest 24 bank statement balances beside the ledger's bank balance on each day."""
    recorded = list(db.session.scalars(select(BankBalance).order_by(BankBalance.on.desc()).limit(24)))
    books = bank_balances_on(tuple(row.on for row in recorded))
    return [{"row": row, "ledger": books[row.on], "difference": row.balance - books[row.on]} for row in recorded]


@kept_by_data_version
def bank_balance_on(on: dt.date) -> Decimal:
    """The ledger's balance of the bank accounts (available + reserved) at the end of ``on``."""
    return ledger.balance_on(db.session, bank_account_ids(), on)


@kept_by_data_version
def bank_balances_on(days: tuple[dt.date, ...]) -> dict[dt.date, Decimal]:
    """``bank_balance_on`` of several days, in a fixed number of statements."""
    return ledger.balances_on(db.session, bank_account_ids(), list(days))


def _movements_by_kind(account_ids: list[int], start: dt.date, end: dt.date) -> dict[str, Decimal]:
    """Net debit − credit on the accounts per entry kind, for entries effective in [start, end]."""
    result = db.session.execute(
        select(Entry.kind, money_sum(Posting.debit), money_sum(Posting.credit))
        .join(Posting, Posting.entry_id == Entry.id)
        .where(Posting.account_id.in_(account_ids), Posting.effective_date >= start, Posting.effective_date <= end)
        .group_by(Entry.kind)
    ).all()
    return {kind: (debit or ZERO) - (credit or ZERO) for kind, debit, credit in result}


@kept_by_data_version
def trust_statement(start: dt.date, end: dt.date) -> dict:
    """Opening bank balance, contributions, reversals, disbursements, closing — tied to the ledger."""
    if end < start:
        raise DomainError("La fecha final es anterior a la inicial.", field="end")
    opening = bank_balance_on(start - dt.timedelta(days=1))
    closing = bank_balance_on(end)
    by_kind = _movements_by_kind(bank_account_ids(), start, end)
    lines = [
        ("Aportes confirmados", by_kind.get("pago", ZERO)),
        ("Reversiones de pagos", by_kind.get("reversion", ZERO)),
        ("Desembolsos ejecutados", by_kind.get("ejecucion", ZERO)),
        ("Reservas y anulaciones (entre cuentas del banco)", by_kind.get("reserva", ZERO) + by_kind.get("anulacion", ZERO)),
    ]
    computed = opening + sum((v for _label, v in lines), ZERO)
    return {"start": start, "end": end, "opening": opening, "lines": lines, "closing": closing,
            "ties": computed == closing, "difference": closing - computed}


@dataclass(frozen=True)
class StatementRow:
    """One posting on a company's receivable account, as its statement shows it."""

    effective_date: dt.date
    memo: str
    kind: str
    debit: Decimal
    credit: Decimal
    paid_on: dt.date | None


def company_statement(company: Company, start: dt.date, end: dt.date) -> dict:
    """Estado de cuenta: charges (declarations/rectifications) and credits (payments) on the company's
    receivable account, with opening and closing balances from the ledger."""
    if end < start:
        raise DomainError("La fecha final es anterior a la inicial.", field="end")
    return _company_statement(company.ruc, start, end)


@kept_by_data_version
def _company_statement(ruc: str, start: dt.date, end: dt.date) -> dict:
    account = db.session.scalar(select(ledger.Account).where(ledger.Account.code == receivable_code(ruc)))
    if account is None:
        return {"start": start, "end": end, "opening": ZERO, "closing": ZERO, "rows": [], "charges": ZERO,
                "credits": ZERO, "ties": True}
    opening = ledger.balance_on(db.session, [account.id], start - dt.timedelta(days=1))
    closing = ledger.balance_on(db.session, [account.id], end)
    rows = db.session.execute(
        select(Entry.effective_date, Entry.memo, Entry.kind, Posting.debit, Posting.credit,
               Payment.paid_on.label("paid_on"))
        .join(Posting, Posting.entry_id == Entry.id)
        .outerjoin(Payment, Payment.entry_id == Entry.id)
        .where(Posting.account_id == account.id, Posting.effective_date >= start, Posting.effective_date <= end)
        .order_by(Entry.effective_date, Entry.id)
    ).all()
    totals = db.session.execute(
        select(money_sum(Posting.debit), money_sum(Posting.credit))
        .where(Posting.account_id == account.id, Posting.effective_date >= start, Posting.effective_date <= end)
    ).one()
    charges, credits = totals
    rows = [StatementRow(*row) for row in rows]
    lines, balance = [], opening
    for row in rows:  # the running balance after each line (debit = cargo, credit = abono)
        balance = balance + row.debit - row.credit
        lines.append({"row": row, "balance": balance, "concept": _statement_concept(row),
                      "date": row.paid_on if row.kind == "pago" and row.paid_on else row.effective_date})
    return {"start": start, "end": end, "opening": opening, "closing": closing, "rows": rows, "lines": lines,
            "charges": charges, "credits": credits, "ties": opening + charges - credits == closing}


def _statement_concept(row) -> str:
    """What a line of the company's statement is, in words: a rectification that lowers the declared
    amount is an abono but not a payment; a payment line is dated on the day the company paid (the date its
    declaration shows) and says when the trustee confirmed it (the posting date)."""
    if row.kind == "pago" and row.paid_on is not None:
        return f"Pago confirmado por el fiduciario el {row.effective_date:%d/%m/%Y}"
    if row.kind == "declaracion" and row.credit:
        return "Rectificación a la baja"
    if row.kind == "reversion":
        return "Pago revertido (devuelto por el banco)"
    return ""


def _age_columns(as_of: dt.date) -> list:
    """One SUM per age bucket of what is owed, by days past the due date on ``as_of``."""
    owed = Contribution.amount_due - Contribution.amount_paid
    columns = []
    for _label, low, high in AGE_BUCKETS:
        # days late d = as_of − due_date; d in [low, high]  ⇔  due_date in [as_of − high, as_of − low]
        cond = Contribution.due_date <= as_of - dt.timedelta(days=max(low, 1))
        if high is not None:
            cond = cond & (Contribution.due_date >= as_of - dt.timedelta(days=high))
        columns.append(money_sum(case((cond, owed), else_=0)))
    return columns


def _overdue(as_of: dt.date):
    return (Contribution.amount_paid < Contribution.amount_due) & (Contribution.due_date < as_of)


@kept_by_data_version
def arrears_ageing(as_of: dt.date, company_id: int | None = None, *, largest_first: bool = False,
                   limit: int | None = None) -> list[dict]:
    """Overdue amounts per company, aged by days past the due date (0–30, 31–60, 61–90, >90): by company name,
    or the ``limit`` largest debts first. One statement."""
    total = money_sum(Contribution.amount_due - Contribution.amount_paid).label("total")
    query = (select(Company.id, Company.legal_name, *_age_columns(as_of), total)
             .join(Contribution, Contribution.company_id == Company.id)
             .where(_overdue(as_of)).group_by(Company.id, Company.legal_name)
             .order_by(*((total.desc(),) if largest_first else ()), Company.legal_name))
    if company_id is not None:
        query = query.where(Company.id == company_id)
    if limit is not None:
        query = query.limit(limit)
    out = []
    for row in db.session.execute(query):
        out.append({"company_id": row[0], "company": row[1], "buckets": list(row[2:-1]), "total": row[-1]})
    return out


@kept_by_data_version
def arrears_totals(as_of: dt.date) -> list[tuple[str, Decimal]]:
    """Arrears of all companies together per age bucket (no company named); the buckets of ``arrears_ageing``."""
    row = db.session.execute(select(*_age_columns(as_of)).where(_overdue(as_of))).one()
    return [(label, value) for (label, _low, _high), value in zip(AGE_BUCKETS, row, strict=True)]


@dataclass(frozen=True)
class ProgramRef:
    """What the program summaries show of a program (plain data, so the summary can be kept)."""

    id: int
    code: str
    name: str
    description: str | None


@kept_by_data_version
def program_summary(year: int) -> list[dict]:
    """Per program: the year's allocation, reserved (approved, not yet paid) and paid."""
    reserved = money_sum(case((Disbursement.status.in_(RESERVED_DISBURSEMENTS),
                               Disbursement.amount - Disbursement.paid_amount), else_=0))
    paid = money_sum(Disbursement.paid_amount)
    query = (select(Program, ProgramAllocation.amount, reserved, paid)
             .outerjoin(ProgramAllocation, (ProgramAllocation.program_id == Program.id) & (ProgramAllocation.year == year))
             .outerjoin(Disbursement, (Disbursement.program_id == Program.id) & (Disbursement.year == year))
             .group_by(Program.id, ProgramAllocation.amount).order_by(Program.name))
    out = []
    for program, allocation, res, pd in db.session.execute(query):
        allocation = allocation or ZERO
        out.append({"program": ProgramRef(program.id, program.code, program.name, program.description),
                    "allocation": allocation, "reserved": res, "paid": pd,
                    "free": allocation - res - pd})
    return out



@kept_by_data_version
def collection_summary() -> dict[str, Decimal]:
    """Pledged (declared) vs collected (confirmed) vs still owed, over every declaration, in one query."""
    declared, collected = db.session.execute(
        select(money_sum(Contribution.amount_due), money_sum(Contribution.amount_paid))).one()
    return {"declared": declared, "collected": collected, "owed": declared - collected}
