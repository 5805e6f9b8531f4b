"""The contributions and disbursements lists' totals read from the tallies the database keeps (migration 0025)
instead of scanning every row: rows, amounts and what is paid, for the filters the tallies can answer.

A list filtered by something the tallies do not hold (a company, a search text) is added up from its rows
(``trust.queries``). Every change appends tally rows; ``compact`` folds them into one row per key once more
than ``COMPACT_AFTER`` are waiting, so the sums read a number of rows that grows with months and statuses, not
with declarations or requests.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import case, delete, false, func, insert, select, text
from sqlalchemy.exc import DBAPIError

from portfolio import db
from portfolio.read_cache import kept_rows
from portfolio.trust.ledger import money_sum
from portfolio.trust.models import NOTHING_PAID, PAID, PART_PAID, ContributionTally, DisbursementTally
from portfolio.trust.vocab import RESERVED_DISBURSEMENTS, ContributionStatus

log = logging.getLogger(__name__)

COMPACT_AFTER = 1000  # tally rows appended since the last compaction that make the next read fold them
KEYS = {ContributionTally: ("month", "due_date", "paid_state"), DisbursementTally: ("status",)}
SUMS = {ContributionTally: ("row_count", "amount_due", "amount_paid"),
        DisbursementTally: ("row_count", "amount", "paid_amount")}


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


def _pending(model):
    return func.coalesce(func.sum(case((model.compacted == false(), 1), else_=0)), 0)


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
    count, due, paid, _pending_rows = kept_rows(
        select(func.coalesce(func.sum(t.row_count), 0), money_sum(t.amount_due), money_sum(t.amount_paid),
               select(_pending(t)).scalar_subquery()).where(*conditions), computed=_compact_when_due(t))[0]
    return {"count": count, "due": due, "paid": paid, "owed": due - paid}


def disbursement_totals(status: str | None) -> dict:
    t = DisbursementTally
    unpaid = case((t.status.in_(RESERVED_DISBURSEMENTS), t.amount - t.paid_amount), else_=0)
    count, amount, paid, pending_amount, _pending_rows = kept_rows(
        select(func.coalesce(func.sum(t.row_count), 0), money_sum(t.amount), money_sum(t.paid_amount),
               money_sum(unpaid), select(_pending(t)).scalar_subquery())
        .where(*([t.status == status] if status else [])), computed=_compact_when_due(t))[0]
    return {"count": count, "amount": amount, "paid": paid, "unpaid": pending_amount}


def _compact_when_due(model):
    """Called with the sums just read from the database (their last column: the tallies waiting to be folded),
    not with sums that were kept: fold them when there are more than ``COMPACT_AFTER``."""

    def check(rows: list[tuple]) -> None:
        if rows[0][-1] > COMPACT_AFTER:
            try:
                compact(model)
            except DBAPIError as exc:  # busy or cut off: the sums just read stay right; the next read retries
                log.warning("No se compactaron los totales de %s: %s", model.__tablename__, exc.orig)

    return check


def compact(model) -> int:
    """Fold ``model``'s tally rows into one compacted row per key, in a transaction of its own (committed at
    once, whatever the request does next). Returns the rows folded; 0 when another process is compacting.

    The rows folded are exactly those the ``DELETE`` removed (``RETURNING``); rows that concurrent commands
    append meanwhile are not seen and stay for the next compaction, so no tally is lost or counted twice."""
    keys, sums = KEYS[model], SUMS[model]
    table = model.__table__
    engine = db.session.get_bind().engine
    with engine.connect() as conn:
        postgresql = conn.dialect.name == "postgresql"
        if not postgresql:  # take SQLite's write lock at BEGIN, waiting briefly: a read never queues for long
            conn = conn.execution_options(sqlite_begin="IMMEDIATE")
            conn.connection.driver_connection.execute("PRAGMA busy_timeout=200")
        try:
            with conn.begin():
                if postgresql and not conn.scalar(text("SELECT pg_try_advisory_xact_lock(hashtext(:t))"),
                                                  {"t": table.name}):
                    return 0
                gone = conn.execute(delete(table).returning(*(table.c[k] for k in keys + sums))).all()
                folded: dict[tuple, list[int]] = defaultdict(lambda: [0] * len(sums))
                for row in gone:
                    total = folded[tuple(row[:len(keys)])]
                    for i, value in enumerate(row[len(keys):]):
                        total[i] += value
                rows = [dict(zip(keys + sums, key + tuple(total), strict=True), compacted=True)
                        for key, total in folded.items() if any(total)]
                if rows:
                    conn.execute(insert(table), rows)
        finally:
            if not postgresql:
                conn.connection.driver_connection.execute("PRAGMA busy_timeout=10000")
    return len(gone)


def _recount(model):
    """Each key's sums recomputed from the rows themselves (what the tallies must add up to)."""
    from portfolio.trust.models import Contribution, Disbursement

    if model is ContributionTally:
        c = Contribution
        state = case((c.amount_paid >= c.amount_due, PAID), (c.amount_paid > 0, PART_PAID), else_=NOTHING_PAID)
        return select(c.month, c.due_date, state, func.count(), money_sum(c.amount_due), money_sum(c.amount_paid)) \
            .group_by(c.month, c.due_date, state)
    d = Disbursement
    return select(d.status, func.count(), money_sum(d.amount), money_sum(d.paid_amount)).group_by(d.status)


def problems() -> list[str]:
    """Keys whose tallies do not add up to the rows (for ``ledger verify``), in Spanish."""
    out = []
    for model, label in ((ContributionTally, "declaraciones"), (DisbursementTally, "desembolsos")):
        keys, sums = KEYS[model], SUMS[model]
        kept = {tuple(row[:len(keys)]): tuple(row[len(keys):]) for row in db.session.execute(
            select(*(getattr(model, k) for k in keys), func.sum(model.row_count),
                   *(money_sum(getattr(model, s)) for s in sums[1:])).group_by(*(getattr(model, k) for k in keys)))}
        actual = {tuple(row[:len(keys)]): tuple(row[len(keys):]) for row in db.session.execute(_recount(model))}
        for key in sorted(set(kept) | set(actual), key=str):
            have, want = kept.get(key, (0,) * len(sums)), actual.get(key, (0,) * len(sums))
            if tuple(have) != tuple(want):
                out.append(f"Totales de {label} {' · '.join(map(str, key))}: guardados {have} ≠ recalculados {want}.")
    return out
