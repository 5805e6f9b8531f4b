"""Read-only aggregate queries over the trust's tables (owned by portfolio.trust).

Nothing here writes (not even the chart of accounts: a missing account reads as zero) and every function
issues a fixed number of statements whatever the number of contributions, payments or disbursements.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import and_, case, exists, extract, func, select, type_coerce

from portfolio import db
from portfolio.db import Money
from portfolio.orgs.models import Company
from portfolio.read_cache import kept_by_data_version
from portfolio.trust.ledger import (
    Account,
    Entry,
    PeriodBalance,
    Posting,
    balance_on,
    money_sum,
    next_period_to_close,
)
from portfolio.trust.ledger.balances import month_start
from portfolio.trust.models import (
    BankBalance,
    ConflictOfInterest,
    Contribution,
    Disbursement,
    Organization,
    Payment,
    Program,
    ProgramAllocation,
    Tranche,
    Vote,
)
from portfolio.trust.services import books
from portfolio.trust.services.common import BANK_AVAILABLE, BANK_RESERVED, add_month
from portfolio.trust.vocab import RESERVED_DISBURSEMENTS, DisbursementStatus, PaymentStatus

ZERO = Decimal("0.00")
LIST_LIMIT = 10
BANK_CODES = (BANK_AVAILABLE, BANK_RESERVED)


def fund_position() -> dict[str, Decimal]:
    """Bank = available + reserved (cached balances on the ledger accounts); one statement."""
    return books.fund_position()


def _bank_ids():
    return select(Account.id).where(Account.code.in_(BANK_CODES))


@kept_by_data_version
def program_rows(year: int) -> list[dict]:
    """Per program: the year's plan (allocation), reserved (approved, unpaid) and paid; one GROUP BY."""
    reserved = money_sum(case((Disbursement.status.in_(RESERVED_DISBURSEMENTS),
                               Disbursement.amount - Disbursement.paid_amount), else_=0))
    rows = db.session.execute(
        select(Program.id, Program.code, Program.name,
               type_coerce(func.coalesce(ProgramAllocation.amount, 0), Money).label("plan"),
               reserved, money_sum(Disbursement.paid_amount))
        .outerjoin(ProgramAllocation, and_(ProgramAllocation.program_id == Program.id, ProgramAllocation.year == year))
        .outerjoin(Disbursement, and_(Disbursement.program_id == Program.id, Disbursement.year == year))
        .where(Program.active.is_(True))
        .group_by(Program.id, Program.code, Program.name, ProgramAllocation.amount).order_by(Program.name))
    out = []
    for pid, code, name, plan, res, paid in rows:
        out.append({"id": pid, "code": code, "name": name, "plan": plan, "reserved": res, "paid": paid,
                    "free": plan - res - paid})
    return out


@dataclass
class QueueItem:
    id: int
    program: str
    organization: str
    amount: Decimal
    requested_on: dt.date
    purpose: str


@kept_by_data_version
def awaiting_vote(user_id: int, limit: int = LIST_LIMIT) -> tuple[int, list[QueueItem]]:
    """Requests in vote that ``user_id`` has not voted on and is not recused from."""
    condition = and_(
        Disbursement.status == DisbursementStatus.SOLICITADO, Disbursement.requested_by_id != user_id,
        ~exists().where(Vote.disbursement_id == Disbursement.id, Vote.user_id == user_id),
        ~exists().where(ConflictOfInterest.user_id == user_id,
                        ConflictOfInterest.organization_id == Disbursement.organization_id))
    count = db.session.scalar(select(func.count(Disbursement.id)).where(condition))
    rows = db.session.execute(
        select(Disbursement.id, Program.name, Organization.name, Disbursement.amount, Disbursement.requested_on,
               Disbursement.purpose)
        .join(Program, Program.id == Disbursement.program_id)
        .join(Organization, Organization.id == Disbursement.organization_id)
        .where(condition).order_by(Disbursement.requested_on, Disbursement.id).limit(limit))
    return count, [QueueItem(*row) for row in rows]


@kept_by_data_version
def to_execute(limit: int = LIST_LIMIT) -> tuple[int, Decimal, list[QueueItem]]:
    """Approved disbursements with money still to pay: (how many, S/ pending, the oldest ``limit``)."""
    condition = Disbursement.status.in_(RESERVED_DISBURSEMENTS)
    count, pending = db.session.execute(
        select(func.count(Disbursement.id), money_sum(Disbursement.amount - Disbursement.paid_amount))
        .where(condition)).one()
    rows = db.session.execute(
        select(Disbursement.id, Program.name, Organization.name,
               type_coerce(Disbursement.amount - Disbursement.paid_amount, Money), Disbursement.requested_on,
               Disbursement.purpose)
        .join(Program, Program.id == Disbursement.program_id)
        .join(Organization, Organization.id == Disbursement.organization_id)
        .where(condition).order_by(Disbursement.requested_on, Disbursement.id).limit(limit))
    items = [QueueItem(*row) for row in rows]
    return count, pending, items


@dataclass
class PaymentItem:
    id: int
    company: str
    month: dt.date
    amount: Decimal
    paid_on: dt.date
    bank: str
    operation_number: str


@kept_by_data_version
def payments_to_confirm(limit: int = LIST_LIMIT) -> tuple[int, Decimal, list[PaymentItem]]:
    condition = Payment.status == PaymentStatus.REGISTRADO
    count, total = db.session.execute(select(func.count(Payment.id), money_sum(Payment.amount)).where(condition)).one()
    rows = db.session.execute(
        select(Payment.id, Company.legal_name, Contribution.month, Payment.amount, Payment.paid_on, Payment.bank,
               Payment.operation_number)
        .join(Company, Company.id == Payment.company_id)
        .join(Contribution, Contribution.id == Payment.contribution_id)
        .where(condition).order_by(Payment.paid_on, Payment.id).limit(limit))
    return count, total, [PaymentItem(*row) for row in rows]


@kept_by_data_version
def reconciliation(limit: int = 5) -> tuple[int, list[tuple[dt.date, Decimal, Decimal, Decimal]]]:
    """Bank statement balances that differ from the ledger on the same date: (how many, latest ``limit``
    as (date, bank, ledger, difference)). The ledger balance on each date is the bank accounts' period
    balances of the months before it plus the postings of its month up to it — one statement."""
    month = month_start(db.session, BankBalance.on)
    months = (select(money_sum(PeriodBalance.debit - PeriodBalance.credit))
              .where(PeriodBalance.account_id.in_(_bank_ids()), PeriodBalance.month < month)
              .correlate(BankBalance).scalar_subquery())
    days = (select(money_sum(Posting.debit - Posting.credit))
            .where(Posting.account_id.in_(_bank_ids()), Posting.effective_date >= month,
                   Posting.effective_date <= BankBalance.on)
            .correlate(BankBalance).scalar_subquery())
    book = type_coerce(months + days, Money)
    rows = db.session.execute(
        select(BankBalance.on, BankBalance.balance, book, func.count().over())
        .where(BankBalance.balance != book).order_by(BankBalance.on.desc()).limit(limit)).all()
    count = rows[0][3] if rows else 0
    out = []
    for on, bank, ledger_value, _ in rows:
        out.append((on, bank, ledger_value, bank - ledger_value))
    return count, out


def next_period(today: dt.date) -> dt.date:
    """The month to close next (periods close in order, see ``ledger.next_period_to_close``), else last month."""
    return next_period_to_close(db.session) or add_month(today.replace(day=1), -1)


@kept_by_data_version
def contribution_status(company_id: int, today: dt.date) -> dict[str, object]:
    """A company's months: due (not yet overdue), paid, in arrears — counts and S/; one statement.

    ``next_due`` is the nearest due date still ahead (today included); overdue months are apart, with the
    oldest unpaid due date as ``arrears_since``."""
    owed = Contribution.amount_due - Contribution.amount_paid
    unpaid = Contribution.amount_paid < Contribution.amount_due
    late = and_(unpaid, Contribution.due_date < today)
    row = db.session.execute(select(
        func.count(case((and_(unpaid, Contribution.due_date >= today), 1))),
        money_sum(case((and_(unpaid, Contribution.due_date >= today), owed), else_=0)),
        func.count(case((~unpaid, 1))),
        money_sum(Contribution.amount_paid),
        func.count(case((late, 1))),
        money_sum(case((late, owed), else_=0)),
        func.min(case((and_(unpaid, Contribution.due_date >= today), Contribution.due_date))),
        func.min(case((late, Contribution.due_date))),
    ).where(Contribution.company_id == company_id)).one()
    return {"due_count": row[0], "due_amount": row[1], "paid_count": row[2], "paid_amount": row[3],
            "arrears_count": row[4], "arrears_amount": row[5], "next_due": row[6], "arrears_since": row[7]}


def ageing(as_of: dt.date, *, company_id: int | None = None, limit: int = LIST_LIMIT) -> list[dict]:
    """Overdue amounts by company and age bucket (largest debts first, ``limit`` companies): the trust's books."""
    return books.arrears_ageing(as_of, company_id, largest_first=True, limit=limit)


def ageing_totals(as_of: dt.date) -> list[tuple[str, Decimal]]:
    """Arrears of all companies together per age bucket (no company named)."""
    return books.arrears_totals(as_of)


@kept_by_data_version
def monthly_flows(today: dt.date, months: int = 12) -> list[tuple[dt.date, Decimal, Decimal]]:
    """(month, contributions confirmed into the bank, disbursements paid out of it) for the last ``months``
    months, from the ledger postings on the bank accounts; one GROUP BY."""
    start = add_month(today.replace(day=1), -(months - 1))
    year, month = extract("year", Entry.effective_date), extract("month", Entry.effective_date)
    rows = db.session.execute(
        select(year, month, money_sum(case((Entry.kind == "pago", Posting.debit - Posting.credit), else_=0)),
               money_sum(case((Entry.kind == "ejecucion", Posting.credit - Posting.debit), else_=0)))
        .join(Posting, Posting.entry_id == Entry.id)
        .where(Posting.account_id.in_(_bank_ids()), Posting.effective_date >= start, Posting.effective_date <= today)
        .group_by(year, month)).all()
    by_month = {(int(y), int(m)): (c, d) for y, m, c, d in rows}
    out = []
    for i in range(months):
        first = add_month(start, i)
        c, d = by_month.get((first.year, first.month), (ZERO, ZERO))
        out.append((first, c, d))
    return out


@kept_by_data_version
def quarter_statement(year: int, quarter: int, *, min_companies: int) -> dict[str, object]:
    """The trust's public quarterly statement: contributions in aggregate only (withheld when fewer than
    ``min_companies`` companies paid, so no company's payment can be deduced), disbursements paid by
    program and beneficiary, and the bank balances (withheld with the contributions)."""
    start = dt.date(year, quarter * 3 - 2, 1)
    end = add_month(start, 3) - dt.timedelta(days=1)
    payers, contributions = db.session.execute(
        select(func.count(func.distinct(Payment.company_id)), money_sum(Payment.amount))
        .where(Payment.status == PaymentStatus.CONFIRMADO, Payment.paid_on >= start, Payment.paid_on <= end)).one()
    bank_ids = list(db.session.scalars(_bank_ids()))
    opening = balance_on(db.session, bank_ids, start - dt.timedelta(days=1))
    closing = balance_on(db.session, bank_ids, end)
    rows = db.session.execute(
        select(Program.name, Organization.name, Organization.ruc, money_sum(Tranche.amount), func.count(Tranche.id))
        .join(Disbursement, Disbursement.id == Tranche.disbursement_id)
        .join(Program, Program.id == Disbursement.program_id)
        .join(Organization, Organization.id == Disbursement.organization_id)
        .where(Tranche.executed_on >= start, Tranche.executed_on <= end)
        .group_by(Program.name, Organization.name, Organization.ruc).order_by(Program.name, Organization.name)).all()
    by_program = {}
    for program, _org, _ruc, amount, _n in rows:
        by_program[program] = by_program.get(program, ZERO) + amount
    disclosed = payers >= min_companies
    return {"start": start, "end": end, "payers": payers, "disclosed": disclosed, "min_companies": min_companies,
            "contributions": contributions if disclosed else None,
            "opening": opening if disclosed else None, "closing": closing if disclosed else None,
            "disbursements": rows, "by_program": sorted(by_program.items()),
            "disbursed": sum((r[3] for r in rows), ZERO)}
