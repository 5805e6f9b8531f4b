"""The trust's books: balances, period close, bank statement balances, statements and arrears ageing.

Every figure is computed with aggregate queries over the ledger (or the obligation rows), never by
looping over rows in Python, and statements tie to the ledger to the cent.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import case, select

from portfolio import audit, db
from portfolio.errors import DomainError
from portfolio.orgs.models import Company
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
    require_role,
)

ZERO = ledger.ZERO
AGE_BUCKETS = [("0–30 días", 0, 30), ("31–60 días", 31, 60), ("61–90 días", 61, 90), ("Más de 90 días", 91, None)]


def fund_position() -> dict[str, Decimal]:
    chart_of_accounts()
    rows = dict(db.session.execute(select(ledger.Account.code, ledger.Account.balance).where(
        ledger.Account.code.in_((BANK_AVAILABLE, BANK_RESERVED)))).all())
    available, reserved = rows.get(BANK_AVAILABLE, ZERO), rows.get(BANK_RESERVED, ZERO)
    return {"bank": available + reserved, "reserved": reserved, "available": available}


def bank_account_ids() -> list[int]:
    chart_of_accounts()
    return list(db.session.scalars(select(ledger.Account.id).where(
        ledger.Account.code.in_((BANK_AVAILABLE, BANK_RESERVED)))))


def close_period(*, month: dt.date, actor, key: str, today: dt.date | None = None) -> Done:
    require_role(actor, "trustee")
    today = today or dt.date.today()

    def run():
        period = ledger.close_period(db.session, month, today=today, actor_id=actor.id)
        audit.record("trust.period.close", period, actor=actor, after={"month": period.month})
        return period

    return command(key, "close_period", {"month": month, "actor": actor.id}, ledger.Period, run)


def record_bank_balance(*, on: dt.date, balance: Decimal, note: str | None, actor, key: str,
                        today: dt.date | None = None) -> Done:
    require_role(actor, "trustee")
    today = today or dt.date.today()

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
    ids = bank_account_ids()
    rows = []
    for row in db.session.scalars(select(BankBalance).order_by(BankBalance.on.desc()).limit(24)):
        book = ledger.balance_on(db.session, ids, row.on)
        rows.append({"row": row, "ledger": book, "difference": row.balance - book})
    return rows


def _movements_by_kind(account_ids: list[int], start: dt.date, end: dt.date) -> dict[str, Decimal]:
    """Net debit − credit on the accounts per entry kind, for entries effective in [start, end]."""
    result = db.session.execute(
        select(Entry.kind, money_sum(Posting.debit), money_sum(Posting.credit))
        .join(Posting, Posting.entry_id == Entry.id)
        .where(Posting.account_id.in_(account_ids), Entry.effective_date >= start, Entry.effective_date <= end)
        .group_by(Entry.kind)
    ).all()
    return {kind: (debit or ZERO) - (credit or ZERO) for kind, debit, credit in result}


def trust_statement(start: dt.date, end: dt.date) -> dict:
    """Opening bank balance, contributions, reversals, disbursements, closing — tied to the ledger."""
    if end < start:
        raise DomainError("La fecha final es anterior a la inicial.", field="end")
    ids = bank_account_ids()
    opening = ledger.balance_on(db.session, ids, start - dt.timedelta(days=1))
    closing = ledger.balance_on(db.session, ids, end)
    by_kind = _movements_by_kind(ids, start, end)
    lines = [
        ("Aportes confirmados", by_kind.get("pago", ZERO)),
        ("Reversiones de pagos", by_kind.get("reversion", ZERO)),
        ("Desembolsos ejecutados", by_kind.get("ejecucion", ZERO)),
        ("Reservas y anulaciones (entre cuentas del banco)", by_kind.get("reserva", ZERO) + by_kind.get("anulacion", ZERO)),
    ]
    computed = opening + sum((v for _label, v in lines), ZERO)
    return {"start": start, "end": end, "opening": opening, "lines": lines, "closing": closing,
            "ties": computed == closing, "difference": closing - computed}


def company_statement(company: Company, start: dt.date, end: dt.date) -> dict:
    """Estado de cuenta: charges (declarations/rectifications) and credits (payments) on the company's
    receivable account, with opening and closing balances from the ledger."""
    if end < start:
        raise DomainError("La fecha final es anterior a la inicial.", field="end")
    account = db.session.scalar(select(ledger.Account).where(ledger.Account.code == f"1200-{company.ruc}"))
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
        .where(Posting.account_id == account.id, Entry.effective_date >= start, Entry.effective_date <= end)
        .order_by(Entry.effective_date, Entry.id)
    ).all()
    totals = db.session.execute(
        select(money_sum(Posting.debit), money_sum(Posting.credit))
        .join(Entry, Entry.id == Posting.entry_id)
        .where(Posting.account_id == account.id, Entry.effective_date >= start, Entry.effective_date <= end)
    ).one()
    charges, credits = totals
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


def arrears_ageing(as_of: dt.date, company_id: int | None = None) -> list[dict]:
    """Overdue amounts per company, aged by days past the due date (0–30, 31–60, 61–90, >90)."""
    owed = Contribution.amount_due - Contribution.amount_paid
    columns = []
    for _label, low, high in AGE_BUCKETS:
        # days late d = as_of − due_date; d in [low, high]  ⇔  due_date in [as_of − high, as_of − low]
        cond = Contribution.due_date <= as_of - dt.timedelta(days=max(low, 1))
        if high is not None:
            cond = cond & (Contribution.due_date >= as_of - dt.timedelta(days=high))
        columns.append(money_sum(case((cond, owed), else_=0)))
    query = (select(Company.id, Company.legal_name, *columns, money_sum(owed))
             .join(Contribution, Contribution.company_id == Company.id)
             .where(Contribution.amount_paid < Contribution.amount_due, Contribution.due_date < as_of)
             .group_by(Company.id, Company.legal_name).order_by(Company.legal_name))
    if company_id is not None:
        query = query.where(Company.id == company_id)
    out = []
    for row in db.session.execute(query):
        out.append({"company_id": row[0], "company": row[1], "buckets": list(row[2:-1]), "total": row[-1]})
    return out


def program_summary(year: int) -> list[dict]:
    """Per program: the year's allocation, reserved (approved, not yet paid) and paid."""
    reserved = money_sum(case((Disbursement.status.in_(("aprobado", "en_ejecucion")),
                               Disbursement.amount - Disbursement.paid_amount), else_=0))
    paid = money_sum(Disbursement.paid_amount)
    query = (select(Program, ProgramAllocation.amount, reserved, paid)
             .outerjoin(ProgramAllocation, (ProgramAllocation.program_id == Program.id) & (ProgramAllocation.year == year))
             .outerjoin(Disbursement, (Disbursement.program_id == Program.id) & (Disbursement.year == year))
             .group_by(Program.id, ProgramAllocation.amount).order_by(Program.name))
    out = []
    for program, allocation, res, pd in db.session.execute(query):
        allocation = allocation or ZERO
        out.append({"program": program, "allocation": allocation, "reserved": res, "paid": pd,
                    "free": allocation - res - pd})
    return out



def collection_summary() -> dict[str, Decimal]:
    """Pledged (declared) vs collected (confirmed) vs still owed, over every declaration, in one query."""
    declared, collected = db.session.execute(
        select(money_sum(Contribution.amount_due), money_sum(Contribution.amount_paid))).one()
    return {"declared": declared, "collected": collected, "owed": declared - collected}
