"""The contributions and disbursements lists' totals read from the tallies the database keeps (migration 0025,
``portfolio.tallies``) instead of scanning every row: rows, amounts and what is paid, for the filters the
tallies can answer. A list filtered by something the tallies do not hold (a company, a search text) is added up
from its rows (``trust.queries``).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import case, func, select

from portfolio import tallies
from portfolio.trust.ledger import money_sum
from portfolio.trust.models import (
    NOTHING_PAID,
    PAID,
    PART_PAID,
    Contribution,
    ContributionTally,
    Disbursement,
    DisbursementTally,
)
from portfolio.trust.vocab import RESERVED_DISBURSEMENTS, ContributionStatus


def _contributions_recount():
    c = Contribution
    state = case((c.amount_paid >= c.amount_due, PAID), (c.amount_paid > 0, PART_PAID), else_=NOTHING_PAID)
    return select(c.month, c.due_date, state, func.count(), money_sum(c.amount_due), money_sum(c.amount_paid)) \
        .group_by(c.month, c.due_date, state)


def _disbursements_recount():
    d = Disbursement
    return select(d.status, func.count(), money_sum(d.amount), money_sum(d.paid_amount)).group_by(d.status)


CONTRIBUTIONS = tallies.Tally(ContributionTally, ("month", "due_date", "paid_state"),
                              ("row_count", "amount_due", "amount_paid"), "declaraciones", _contributions_recount)
DISBURSEMENTS = tallies.Tally(DisbursementTally, ("status",), ("row_count", "amount", "paid_amount"), "desembolsos",
                              _disbursements_recount)


@dataclass(frozen=True)
class ContributionFilter:
    """The filters of an unscoped, unsearched contributions list: status on ``today`` and declared months."""

    today: dt.date
    status: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None


@dataclass(frozen=True)
class DisbursementFilter:
    """The disbursements list's one filter, its status."""

    status: str | None = None


def status_condition(status: str, *, paid, overdue, part_paid, nothing_paid):
    """SQL for a contribution's status (``Contribution.status``) from four conditions on any table that holds
    them: paid in full wins, then overdue, then part paid or nothing paid."""
    return {
        ContributionStatus.PAGADO: paid,
        ContributionStatus.VENCIDO: ~paid & overdue,
        ContributionStatus.PARCIAL: ~paid & ~overdue & part_paid,
        ContributionStatus.PENDIENTE: ~paid & ~overdue & nothing_paid,
    }[status]


def contribution_totals(where: ContributionFilter) -> dict:
    t = ContributionTally
    conditions = []
    if where.status:
        conditions.append(status_condition(
            where.status, paid=t.paid_state == PAID, overdue=t.due_date < where.today,
            part_paid=t.paid_state == PART_PAID, nothing_paid=t.paid_state == NOTHING_PAID))
    if where.since:
        conditions.append(t.month >= where.since)
    if where.until:
        conditions.append(t.month <= where.until)
    count, due, paid = tallies.read(CONTRIBUTIONS, func.coalesce(func.sum(t.row_count), 0), money_sum(t.amount_due),
                                    money_sum(t.amount_paid), where=tuple(conditions))
    return {"count": count, "due": due, "paid": paid, "owed": due - paid}


def disbursement_totals(status: str | None) -> dict:
    t = DisbursementTally
    unpaid = case((t.status.in_(RESERVED_DISBURSEMENTS), t.amount - t.paid_amount), else_=0)
    count, amount, paid, pending_amount = tallies.read(
        DISBURSEMENTS, func.coalesce(func.sum(t.row_count), 0), money_sum(t.amount), money_sum(t.paid_amount),
        money_sum(unpaid), where=(t.status == status,) if status else ())
    return {"count": count, "amount": amount, "paid": paid, "unpaid": pending_amount}


def problems() -> list[str]:
    """Keys whose tallies do not add up to the rows (for ``ledger verify``), in Spanish."""
    return tallies.problems(CONTRIBUTIONS) + tallies.problems(DISBURSEMENTS)
