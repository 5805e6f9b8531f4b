"""The only place where imports touch the trust and projects halves.

Reads use their models; every change goes through their services (the same functions their forms call),
so the imports cannot bypass a rule: idempotency keys, the ledger postings, transitions and caps all
stay theirs. Imports are lazy so that this package loads even where a half is absent.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from portfolio import db
from portfolio.trust.vocab import PaymentStatus


# -- trust: payroll declarations -------------------------------------------------------------------------
def declarations_for(company_ids: Iterable[int], months: Iterable[dt.date]) -> dict[tuple[int, dt.date], dict]:
    """Existing declarations of those companies and months: current payroll, headcount, amount due and the
    floor a rectification may not go under (paid + registered). Three queries, whatever the number of rows."""
    from portfolio.trust.models import Contribution, ContributionVersion
    from portfolio.trust.queries import registered_by_contribution
    from portfolio.trust.services.contributions import ZERO, rectification_floor

    company_ids, months = set(company_ids), set(months)
    if not company_ids or not months:
        return {}
    rows = db.session.execute(
        select(Contribution.id, Contribution.company_id, Contribution.month, Contribution.amount_due,
               Contribution.amount_paid, ContributionVersion.payroll, ContributionVersion.headcount)
        .join(ContributionVersion, (ContributionVersion.contribution_id == Contribution.id)
              & (ContributionVersion.version == Contribution.current_version))
        .where(Contribution.company_id.in_(company_ids), Contribution.month.in_(months))).all()
    pending = registered_by_contribution(r.id for r in rows)
    return {(r.company_id, r.month): {"id": r.id, "payroll": r.payroll, "headcount": r.headcount,
                                      "amount_due": r.amount_due,
                                      "floor": rectification_floor(r.amount_paid, pending.get(r.id, ZERO))}
            for r in rows}


class AmountDue:
    """The trust's amount due (``contributions.amount_due``) for many rows, reading the rate once per month.

    The preview's figure; the service computes the posted amount itself when the import is applied."""

    def __init__(self) -> None:
        self.rates: dict[dt.date, Decimal] = {}

    def __call__(self, payroll: Decimal, month: dt.date) -> Decimal:
        from portfolio.trust.services.contributions import amount_due as trust_amount_due
        from portfolio.trust.services.contributions import contribution_for

        rate = self.rates.get(month)
        if rate is None:
            due, rate = trust_amount_due(payroll, month)
            self.rates[month] = rate
            return due
        return contribution_for(payroll, rate)


def declare(*, company_id: int, month: dt.date, payroll: Decimal, headcount: int, actor, key: str):
    from portfolio.trust.services.contributions import declare as trust_declare

    return trust_declare(company_id=company_id, month=month, payroll=payroll, headcount=headcount, actor=actor,
                         key=key)


def rectify(*, contribution_id: int, payroll: Decimal, headcount: int, reason: str, actor, key: str):
    from portfolio.trust.services.contributions import rectify as trust_rectify

    return trust_rectify(contribution_id=contribution_id, payroll=payroll, headcount=headcount, reason=reason,
                         actor=actor, key=key)


# -- trust: payments and bank reconciliation -------------------------------------------------------------
def normalize_operation(value: str) -> str:
    from portfolio.trust.services.contributions import normalize_operation as trust_normalize

    return trust_normalize(value)


def payments_by_operation(operations: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
    from portfolio.trust.models import Payment

    operations = set(operations)
    result: dict[str, list[dict[str, Any]]] = {}
    if not operations:
        return result
    for payment in db.session.scalars(select(Payment).where(Payment.operation_number.in_(operations))):
        result.setdefault(payment.operation_number, []).append(_payment(payment))
    return result


def pending_payments(until: dt.date) -> list[dict[str, Any]]:
    """Payments registered by companies and still waiting for the trustee, paid on or before ``until``."""
    from portfolio.trust.models import Payment

    return [_payment(p) for p in db.session.scalars(select(Payment).where(
        Payment.status == PaymentStatus.REGISTRADO, Payment.paid_on <= until).order_by(Payment.paid_on, Payment.id))]


def _payment(payment) -> dict[str, Any]:
    return {"id": payment.id, "operation": payment.operation_number, "bank": payment.bank, "amount": payment.amount,
            "paid_on": payment.paid_on, "status": payment.status, "company_ruc": payment.company.ruc,
            "company": payment.company.legal_name, "status_label": payment.status_label}


def confirm_payment(*, payment_id: int, actor, key: str):
    from portfolio.trust.services.contributions import confirm_payment as trust_confirm

    return trust_confirm(payment_id=payment_id, actor=actor, key=key)
