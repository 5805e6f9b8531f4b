"""The filtered, role-scoped queries behind the trust's list pages, shared by the pages and their exports.

Each function reads the list's filters from ``args`` (the query string, or the arguments stored with an
export job) and the viewer (a :class:`~portfolio.exports.registry.Viewer`, or anything with ``role`` and
``company_id``), and returns a :class:`~portfolio.listing.ListQuery`. A company user's query is always
restricted to its own company, whatever the filters say, so a page and its export can never differ and a
company never sees another company's rows.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from portfolio import clock, db
from portfolio.auth.roles import BOARD, COMPANY
from portfolio.formatting import DateInputError, month_input_value, parse_date, parse_month
from portfolio.listing import ListQuery, text_value
from portfolio.orgs.models import Company
from portfolio.read_cache import kept_rows
from portfolio.trust import tallies
from portfolio.trust.ledger import money_sum
from portfolio.trust.models import (
    CONTRIBUTION_STATUS,
    DISBURSEMENT_STATUS,
    PAYMENT_STATUS,
    ConflictOfInterest,
    Contribution,
    Disbursement,
    DisbursementInvoice,
    Payment,
    Tranche,
    Vote,
)
from portfolio.trust.vocab import (
    LIVE_PAYMENTS,
    RESERVED_DISBURSEMENTS,
    DisbursementStatus,
    PaymentStatus,
)


def _scoped(query, column, viewer: Any):
    if getattr(viewer, "role", None) == COMPANY:
        return query.where(column == viewer.company_id)
    return query


def contribution_status_condition(status: str, today: dt.date):
    """SQL for ``Contribution.status(today) == status`` (the same four cases, in the same order)."""
    c = Contribution
    return tallies.status_condition(status, paid=c.amount_paid >= c.amount_due, overdue=c.due_date < today,
                                    part_paid=c.amount_paid > 0, nothing_paid=c.amount_paid == 0)


def month_value(args: Mapping[str, str], name: str, errors: list[str] | None = None) -> dt.date | None:
    """A mm/aaaa argument (ISO ``YYYY-MM`` too) as the first day of that month; None when absent or invalid
    (an invalid one adds a Spanish message to ``errors``)."""
    raw = text_value(args, name, 10)
    try:
        return parse_month(raw)
    except DateInputError as exc:
        if errors is not None:
            errors.append(f"Filtro «{name}» ignorado. {exc}")
        return None


def contribution_list(args: Mapping[str, str], viewer: Any, today: dt.date | None = None) -> ListQuery:
    """Declarations (one row per company and month) with the company, newest month first; ``q`` searches
    name or RUC, ``estado`` filters by status on ``today``, ``desde``/``hasta`` (mm/aaaa) by declared month."""
    today = today or clock.today()
    query = (select(Contribution).join(Company, Company.id == Contribution.company_id)
             .options(contains_eager(Contribution.company), selectinload(Contribution.versions)))
    query = _scoped(query, Contribution.company_id, viewer)
    notes: list[tuple[str, str]] = []
    filters: dict[str, str] = {}
    errors: list[str] = []
    q = text_value(args, "q")
    if q:
        query = query.where(Company.legal_name.ilike(f"%{q}%") | Company.ruc.like(f"%{q}%"))
        filters["q"] = q
        notes.append(("Búsqueda", q))
    status = text_value(args, "estado")
    if status in CONTRIBUTION_STATUS:
        query = query.where(contribution_status_condition(status, today))
        filters["estado"] = status
        notes.append(("Estado", CONTRIBUTION_STATUS[status]))
    since, until = month_value(args, "desde", errors), month_value(args, "hasta", errors)
    if since and until and since > until:
        errors.append("El mes «desde» es posterior al mes «hasta»; se ignoró el periodo.")
        since = until = None
    scoped = q or getattr(viewer, "role", None) == COMPANY  # filters the tallies do not hold
    tally = None if scoped else tallies.ContributionFilter(
        today, status if status in CONTRIBUTION_STATUS else None, since, until)
    if since:
        query = query.where(Contribution.month >= since)
        filters["desde"] = month_input_value(since)
        notes.append(("Desde", f"{since:%m/%Y}"))
    if until:
        query = query.where(Contribution.month <= until)
        filters["hasta"] = month_input_value(until)
        notes.append(("Hasta", f"{until:%m/%Y}"))
    return ListQuery(query=query, sortable={"month": Contribution.month, "company": Company.legal_name,
                                            "due": Contribution.amount_due, "paid": Contribution.amount_paid,
                                            "due_date": Contribution.due_date},
                     default_sort="month", default_direction="desc", tiebreak=Contribution.id, filters=filters,
                     notes=notes, errors=errors, tally=tally)


def contribution_totals(listing: ListQuery) -> dict:
    """Rows, declared, paid and owed over the whole filtered list (not just the page), in céntimos: from the
    tallies when the filters allow it, else one scan (the page passes ``count`` to the paginator instead of
    counting again)."""
    if listing.tally is not None:
        return tallies.contribution_totals(listing.tally)
    rows = listing.query.order_by(None).subquery()
    count, due, paid = kept_rows(
        select(func.count(), money_sum(rows.c.amount_due), money_sum(rows.c.amount_paid)).select_from(rows))[0]
    return {"count": count, "due": due, "paid": paid, "owed": due - paid}


def payment_list(args: Mapping[str, str], viewer: Any) -> ListQuery:
    """Payments registered against declarations; ``q`` searches company or operation number, ``estado``."""
    query = (select(Payment).join(Company, Company.id == Payment.company_id)
             .join(Contribution, Contribution.id == Payment.contribution_id)
             .options(contains_eager(Payment.contribution), contains_eager(Payment.company)))
    query = _scoped(query, Payment.company_id, viewer)
    notes: list[tuple[str, str]] = []
    filters: dict[str, str] = {}
    q = text_value(args, "q")
    if q:
        query = query.where(Company.legal_name.ilike(f"%{q}%") | Company.ruc.like(f"%{q}%")
                            | Payment.operation_number.like(f"%{q}%"))
        filters["q"] = q
        notes.append(("Búsqueda", q))
    status = text_value(args, "estado_pago")
    if status in PAYMENT_STATUS:
        query = query.where(Payment.status == status)
        filters["estado_pago"] = status
        notes.append(("Estado del pago", PAYMENT_STATUS[status]))
    return ListQuery(query=query, sortable={"paid_on": Payment.paid_on, "company": Company.legal_name,
                                            "amount": Payment.amount}, default_sort="paid_on",
                     tiebreak=Payment.id, filters=filters, notes=notes)


def disbursement_list(args: Mapping[str, str], viewer: Any = None) -> ListQuery:
    """Disbursement requests with program and beneficiary; ``estado`` filters by status."""
    query = select(Disbursement).options(joinedload(Disbursement.program), joinedload(Disbursement.organization))
    notes: list[tuple[str, str]] = []
    status = text_value(args, "estado")
    filters: dict[str, str] = {}
    if status in DISBURSEMENT_STATUS:
        query = query.where(Disbursement.status == status)
        filters["estado"] = status
        notes.append(("Estado", DISBURSEMENT_STATUS[status]))
    return ListQuery(query=query, sortable={"id": Disbursement.id, "amount": Disbursement.amount,
                                            "status": Disbursement.status, "requested": Disbursement.requested_on,
                                            "decided": Disbursement.decided_at, "paid": Disbursement.paid_amount},
                     default_sort="id", tiebreak=Disbursement.id, filters=filters, notes=notes,
                     tally=tallies.DisbursementFilter(filters.get("estado")))


def disbursement_totals(listing: ListQuery) -> dict:
    """Rows, requested, paid and approved-but-unpaid over the whole filtered list, in céntimos: from the
    tallies (the list has no filter they do not hold), else one scan."""
    if listing.tally is not None:
        return tallies.disbursement_totals(listing.tally.status)
    rows = listing.query.order_by(None).subquery()
    unpaid = case((rows.c.status.in_(RESERVED_DISBURSEMENTS), rows.c.amount - rows.c.paid_amount), else_=0)
    count, amount, paid, pending = kept_rows(
        select(func.count(), money_sum(rows.c.amount), money_sum(rows.c.paid_amount), money_sum(unpaid))
        .select_from(rows))[0]
    return {"count": count, "amount": amount, "paid": paid, "unpaid": pending}


def last_paid_on(disbursement_ids: list[int]) -> dict[int, dt.date]:
    """The date of each disbursement's latest executed tranche (one grouped query for a page)."""
    if not disbursement_ids:
        return {}
    return dict(db.session.execute(
        select(Tranche.disbursement_id, func.max(Tranche.executed_on))
        .where(Tranche.disbursement_id.in_(disbursement_ids)).group_by(Tranche.disbursement_id)).all())


def iso_date(args: Mapping[str, str], name: str, default: dt.date) -> dt.date | None:
    """A dd/mm/aaaa (or ISO) argument; None when present but invalid (the caller decides what to say)."""
    raw = text_value(args, name, 10)
    if not raw:
        return default
    try:
        return parse_date(raw)
    except DateInputError:
        return None


# -- the trust pages' reads (the views hold no queries) ---------------------------------------------------
def recent_disbursements(limit: int = 10) -> list[Disbursement]:
    """The latest requests with their program and beneficiary, newest first."""
    return list(db.session.scalars(
        select(Disbursement).options(joinedload(Disbursement.program), joinedload(Disbursement.organization))
        .order_by(Disbursement.id.desc()).limit(limit)))


def awaiting_vote() -> list[Disbursement]:
    """Requests the board has still to decide, oldest first."""
    return list(db.session.scalars(select(Disbursement).where(Disbursement.status == DisbursementStatus.SOLICITADO)
                                   .options(selectinload(Disbursement.votes), selectinload(Disbursement.invoices),
                                            joinedload(Disbursement.program), joinedload(Disbursement.organization))
                                   .order_by(Disbursement.id)))


def recent_votes(limit: int = 50) -> list[Vote]:
    return list(db.session.scalars(select(Vote).order_by(Vote.id.desc()).limit(limit)))


def to_execute() -> list[Disbursement]:
    """Approved requests whose reservation is still (partly) to be paid."""
    return list(db.session.scalars(select(Disbursement).where(Disbursement.status.in_(RESERVED_DISBURSEMENTS))
                                   .order_by(Disbursement.id)))


def payments_to_confirm() -> list[Payment]:
    return list(db.session.scalars(select(Payment).where(Payment.status == PaymentStatus.REGISTRADO)
                                   .order_by(Payment.id)))


def recent_confirmed_payments(limit: int = 10) -> list[Payment]:
    return list(db.session.scalars(select(Payment).where(Payment.status == PaymentStatus.CONFIRMADO)
                                   .order_by(Payment.id.desc()).limit(limit)))


def latest_periods(limit: int) -> list:
    """The most recent closed periods, newest first."""
    from portfolio.trust import ledger

    return list(db.session.scalars(select(ledger.Period).order_by(ledger.Period.month.desc()).limit(limit)))


def active_companies() -> list:
    """(id, legal_name, ruc) of the active companies, by name: the companies the trustee may declare for."""
    return db.session.execute(select(Company.id, Company.legal_name, Company.ruc).where(Company.active)
                              .order_by(Company.legal_name)).all()


def conflicts(organization_id: int | None = None) -> list[ConflictOfInterest]:
    """The conflict-of-interest register (of one beneficiary organization when given)."""
    query = select(ConflictOfInterest).order_by(ConflictOfInterest.id)
    if organization_id is not None:
        query = query.where(ConflictOfInterest.organization_id == organization_id)
    return list(db.session.scalars(query))


def conflict_members(user: Any) -> list:
    """The board members ``user`` may declare a conflict for: a board member only itself (members declare
    their own), staff and the trustee any active member (the service enforces the same rule)."""
    from portfolio.trust.services.disbursements import active_board

    return [user] if getattr(user, "role", None) == BOARD else active_board()


def invoice_used_elsewhere(invoice: DisbursementInvoice) -> DisbursementInvoice | None:
    """Another request's invoice with the same RUC, serie and número, if any."""
    return db.session.scalar(select(DisbursementInvoice).where(
        DisbursementInvoice.ruc == invoice.ruc, DisbursementInvoice.serie == invoice.serie,
        DisbursementInvoice.numero == invoice.numero, DisbursementInvoice.id != invoice.id))


def registered_by_contribution(contribution_ids: Iterable[int]) -> dict[int, Decimal]:
    """Σ payments registered and awaiting confirmation, per contribution (one GROUP BY per 1000 ids)."""
    ids, out = list(contribution_ids), {}
    for start in range(0, len(ids), 1000):
        out.update(db.session.execute(
            select(Payment.contribution_id, money_sum(Payment.amount))
            .where(Payment.contribution_id.in_(ids[start:start + 1000]), Payment.status == PaymentStatus.REGISTRADO)
            .group_by(Payment.contribution_id)).all())
    return out


def same_operation(payments) -> dict[int, list[Payment]]:
    """For each payment (by id), the other payments still registered or confirmed with the same bank + operation
    number — necessarily another company's. For the trustee, who must confirm one of them at most."""
    payments = list(payments)
    if not payments:
        return {}
    keys = {(p.bank, p.operation_number) for p in payments}
    others = db.session.scalars(
        select(Payment).where(Payment.operation_number.in_({op for _, op in keys}),
                              Payment.status.in_(LIVE_PAYMENTS)).order_by(Payment.id)).all()
    return {p.id: [o for o in others if o.id != p.id and (o.bank, o.operation_number) == (p.bank, p.operation_number)]
            for p in payments}


def bank_movements(start: dt.date, end: dt.date) -> list[dict]:
    """Every entry effective in [start, end] that changes the trust's bank balance (available + reserved), in
    date order, with its net amount and the running balance: the detail behind ``books.trust_statement``
    (moves between the two bank accounts, reservations and their release, net to zero and are left out).
    One aggregate query; the last balance equals the statement's closing balance."""
    from portfolio.trust import ledger
    from portfolio.trust.ledger import Entry, Posting
    from portfolio.trust.services.books import bank_account_ids

    ids = bank_account_ids()
    rows = db.session.execute(
        select(Entry.id, Entry.effective_date, Entry.kind, Entry.memo, money_sum(Posting.debit).label("debit"),
               money_sum(Posting.credit).label("credit"))
        .join(Posting, Posting.entry_id == Entry.id)
        .where(Posting.account_id.in_(ids), Entry.effective_date >= start, Entry.effective_date <= end)
        .group_by(Entry.id, Entry.effective_date, Entry.kind, Entry.memo)
        .order_by(Entry.effective_date, Entry.id)).all()
    balance = ledger.balance_on(db.session, ids, start - dt.timedelta(days=1))
    out = []
    for row in rows:
        amount = row.debit - row.credit
        if not amount:
            continue
        balance += amount
        out.append({"entry_id": row.id, "date": row.effective_date, "kind": row.kind, "memo": row.memo,
                    "amount": amount, "balance": balance})
    return out
