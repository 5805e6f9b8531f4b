"""Payroll contributions: declarations and rectifications, payments, confirmation, reversal.

Rules:
- amount due = round_money(payroll × rate / 100), the rate being ``trust.contribution_rate_pct`` in force
  for the declared month; due on day ``trust.due_day`` of the following month;
- a company user declares and rectifies for its own company only (another company's is "not found"); the
  trustee may declare and rectify on behalf of any active company, and the audit row names the company
  acted for (``en_nombre_de``: its RUC); no other role may;
- a month is declared once per company; a rectification creates a new version and posts only the
  difference (it cannot go below what is already paid or registered);
- **overpayment rule**: a payment may not exceed what is still owed for that month minus payments already
  registered and awaiting confirmation. The trust keeps no credit balances: an excess is refused before it
  is recorded, so no refund is ever needed;
- a company's bank + operation number is one payment of that company: registering it again with the same
  data returns the first record, with other data it is refused (a unique constraint per company backs this up
  under concurrency). Whether another company registered the same number changes nothing in the answer, so a
  company learns nothing about other companies' operations;
- only the trustee's confirmation posts a payment to the ledger (bank ← receivable), and one bank + operation
  number is confirmed for one payment only: the trustee sees, on a payment to confirm, the other companies'
  payments with the same operation (:func:`portfolio.trust.queries.same_operation`), and confirming a second one is refused
  (concurrent confirmations of one operation take turns on a lock named after it, and a partial unique index
  among confirmed payments backs this up); a confirmed payment that the bank later reverses is undone with a
  reversing entry.
"""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from portfolio import audit, clock, db
from portfolio.auth.policy import service
from portfolio.auth.roles import COMPANY
from portfolio.domain_errors import DomainError, Forbidden, NotFound
from portfolio.money import format_money, round_money
from portfolio.orgs.models import Company
from portfolio.rules import remember_rules, rule_value
from portfolio.trust import ledger
from portfolio.trust.models import BANKS, Contribution, ContributionVersion, Payment
from portfolio.trust.services.common import (
    BANK_AVAILABLE,
    CONTRIBUTIONS_INCOME,
    Done,
    actor_id,
    add_month,
    command,
    company_accounts,
    day_in_month,
    positive_amount,
)
from portfolio.trust.vocab import PaymentStatus

ZERO = ledger.ZERO
OPERATION_RE = re.compile(r"^[A-Z0-9-]{4,30}$")


def contribution_for(payroll: Decimal, rate: Decimal) -> Decimal:
    """The contribution formula: payroll × rate (percent), rounded half up to the cent."""
    return round_money(payroll * rate / 100)


def amount_due(payroll: Decimal, month: dt.date) -> tuple[Decimal, Decimal]:
    """(amount due, rate) for a payroll of ``month``, with the rate in force for that month."""
    rate = rule_value("trust.contribution_rate_pct", on=month)
    return contribution_for(payroll, rate), rate


def normalize_operation(value: str | None) -> str:
    """A bank operation number as it is stored and compared: upper case, no white space."""
    return re.sub(r"\s+", "", (value or "").upper())


def rectification_floor(amount_paid: Decimal, registered: Decimal) -> Decimal:
    """What a rectification may not go under: what is paid plus what is registered awaiting confirmation
    (the trust keeps no credit balances)."""
    return amount_paid + registered


def preview_rate(today: dt.date | None = None) -> str:
    """The rate the declaration form's live preview uses (``amount_due``'s rule, in force this month)."""
    return str(rule_value("trust.contribution_rate_pct", on=today or clock.today()))


def due_date_for(month: dt.date) -> dt.date:
    day = int(rule_value("trust.due_day", on=month))
    return day_in_month(add_month(month), day)


def get_contribution(contribution_id: int, *, company_id: int | None = None, lock: bool = False) -> Contribution:
    """A company user passes its ``company_id``: another company's contribution is "not found"."""
    row = db.session.get(Contribution, contribution_id, with_for_update=lock, populate_existing=lock)
    if row is None or (company_id is not None and row.company_id != company_id):
        raise NotFound("La declaración no existe.")
    return row


def get_payment(payment_id: int, *, company_id: int | None = None, lock: bool = False) -> Payment:
    row = db.session.get(Payment, payment_id, with_for_update=lock, populate_existing=lock)
    if row is None or (company_id is not None and row.company_id != company_id):
        raise NotFound("El pago no existe.")
    return row


def _check_payroll(payroll, headcount) -> None:
    positive_amount(payroll, "payroll")
    if not isinstance(headcount, int) or headcount < 1 or headcount > 1_000_000:
        raise DomainError("Indique el número de trabajadores (al menos 1).", field="headcount")


def _post_difference(company: Company, diff: Decimal, *, key: str, memo: str, on: dt.date, actor) -> int | None:
    if diff == 0:
        return None
    receivable, income = company_accounts(company, CONTRIBUTIONS_INCOME)
    lines = ledger.transfer_lines(receivable, income, diff) if diff > 0 else ledger.transfer_lines(income, receivable, -diff)
    return ledger.post_entry(db.session, key=key, kind="declaracion", memo=memo, effective_date=on, lines=lines,
                             actor_id=actor_id(actor)).id


def _declarer_scope(actor) -> int | None:
    """The company a declaring actor is confined to: its own for a company user, ``None`` (any) for the trustee."""
    if actor.role != COMPANY:
        return None
    if actor.company_id is None:  # a company user without a company acts for nobody (never for everyone)
        raise Forbidden("Su usuario no está vinculado a una empresa.")
    return actor.company_id


def _on_behalf(actor, company: Company) -> dict[str, str]:
    """What the audit row adds when the trustee acts for a company: the RUC of the company acted for."""
    return {} if actor.role == COMPANY else {"en_nombre_de": company.ruc}


@service("trust.declare", "trust.declare_on_behalf")
def declare(*, company_id: int, month: dt.date, payroll: Decimal, headcount: int, actor, key: str,
            today: dt.date | None = None) -> Done:
    """Declare a month's payroll (0.15 % due): a company for itself only, the trustee for any company."""
    today = today or clock.today()
    scope = _declarer_scope(actor)
    if scope is not None and scope != company_id:
        raise NotFound("La empresa no existe.")
    payload = {"company": company_id, "month": month, "payroll": payroll, "headcount": headcount, "actor": actor.id}

    def run() -> Contribution:
        _check_payroll(payroll, headcount)
        first = month.replace(day=1)
        if first > today.replace(day=1):
            raise DomainError("No se puede declarar un mes futuro.", field="month")
        company = db.session.get(Company, company_id)
        if company is None:
            raise NotFound("La empresa no existe.")
        if scope is None and not company.active:
            raise DomainError("La empresa está inactiva; no se puede declarar en su nombre.", field="company_id")
        already = (f"Ya declaró {first:%m/%Y}. Para corregirla use «Rectificar»." if scope is not None else
                   f"{company.legal_name} ya declaró {first:%m/%Y}. Para corregirla, rectifíquela con la "
                   "importación de declaraciones.")
        remember_rules(("trust.contribution_rate_pct", "trust.due_day"), on=first)  # one read for both
        due, rate = amount_due(payroll, first)
        # the unique (company, month) refuses a second, in the INSERT itself (… ON CONFLICT DO NOTHING)
        contribution = db.insert_new(Contribution, {
            "company_id": company_id, "month": first, "due_date": due_date_for(first), "amount_due": due,
            "amount_paid": ZERO, "current_version": 1}, already, field="month")
        set_committed_value(contribution, "versions", [])  # new: no versions to load
        entry_id = _post_difference(company, due, key=f"{key}:asiento", on=today, actor=actor,
                                    memo=f"Declaración {first:%m/%Y} – {company.legal_name}")
        version = ContributionVersion(version=1, payroll=payroll, headcount=headcount,
                                      rate_pct=format(rate, "f"), amount_due=due, difference=due, entry_id=entry_id,
                                      declared_on=today, declared_by_id=actor.id)
        contribution.versions.append(version)
        db.session.flush()
        audit.record("trust.declare", contribution, actor=actor,
                     after={"month": first, "payroll": payroll, "headcount": headcount, "amount_due": due}
                     | _on_behalf(actor, company))
        return contribution

    return command(key, "declare", payload, Contribution, run)


def pending_registered(contribution_id: int) -> Decimal:
    from portfolio.trust.queries import registered_by_contribution  # the list queries load the web layer

    return registered_by_contribution([contribution_id]).get(contribution_id, ZERO)


@service("trust.declare", "trust.declare_on_behalf")
def rectify(*, contribution_id: int, payroll: Decimal, headcount: int, reason: str, actor, key: str,
            today: dt.date | None = None) -> Done:
    """Rectify a declaration with a reason: only the difference is posted, within the declarer's company scope."""
    today = today or clock.today()
    scope = _declarer_scope(actor)
    payload = {"contribution": contribution_id, "payroll": payroll, "headcount": headcount, "reason": reason,
               "actor": actor.id}

    def run() -> Contribution:
        contribution = get_contribution(contribution_id, company_id=scope, lock=True)
        _check_payroll(payroll, headcount)
        if not (reason or "").strip():
            raise DomainError("Explique el motivo de la rectificación.", field="reason")
        current = contribution.versions[-1]
        if current.payroll == payroll and current.headcount == headcount:
            raise DomainError("La rectificación no cambia la planilla ni el número de trabajadores.", field="payroll")
        due, rate = amount_due(payroll, contribution.month)
        floor = rectification_floor(contribution.amount_paid, pending_registered(contribution.id))
        if due < floor:
            raise DomainError(
                f"El nuevo aporte ({format_money(due)}) sería menor que lo ya pagado o registrado ({format_money(floor)}). "
                "La rectificación no puede dejar saldo a favor.", field="payroll")
        diff = due - contribution.amount_due
        before = {"amount_due": contribution.amount_due, "version": contribution.current_version}
        entry_id = _post_difference(contribution.company, diff, key=f"{key}:asiento", on=today, actor=actor,
                                    memo=f"Rectificación {contribution.month:%m/%Y} – {contribution.company.legal_name}")
        version_no = contribution.current_version + 1
        contribution.versions.append(ContributionVersion(
            version=version_no, payroll=payroll, headcount=headcount,
            rate_pct=format(rate, "f"), amount_due=due, difference=diff, reason=reason.strip()[:300],
            entry_id=entry_id, declared_on=today, declared_by_id=actor.id))
        contribution.amount_due = due
        contribution.current_version = version_no
        db.session.flush()
        audit.record("trust.rectify", contribution, actor=actor, before=before,
                     after={"amount_due": due, "version": version_no, "difference": diff}
                     | _on_behalf(actor, contribution.company))
        return contribution

    return command(key, "rectify", payload, Contribution, run)


@service("trust.pay")
def register_payment(*, contribution_id: int, amount: Decimal, paid_on: dt.date, bank: str, operation_number: str,
                     actor, key: str, today: dt.date | None = None) -> Done:
    """A company registers a bank payment of its own contribution, pending the trustee's confirmation."""
    today = today or clock.today()
    bank = (bank or "").strip().upper()
    operation = normalize_operation(operation_number)
    payload = {"contribution": contribution_id, "amount": amount, "paid_on": paid_on, "bank": bank,
               "operation": operation, "actor": actor.id}

    def run() -> Payment:
        contribution = get_contribution(contribution_id, company_id=actor.company_id, lock=True)
        positive_amount(amount)
        if bank not in BANKS:
            raise DomainError("Seleccione el banco.", field="bank")
        if not OPERATION_RE.match(operation):
            raise DomainError("El número de operación debe tener de 4 a 30 letras o dígitos.", field="operation_number")
        if paid_on > today:
            raise DomainError("La fecha de pago no puede ser futura.", field="paid_on")
        if paid_on < contribution.month:
            raise DomainError("La fecha de pago es anterior al mes declarado.", field="paid_on")
        existing = _registered(contribution.company_id, bank, operation)
        if existing is not None:
            return _recognise(existing, contribution, amount, paid_on)
        room = contribution.outstanding - pending_registered(contribution.id)
        if amount > room:
            raise DomainError(
                f"El pago excede lo adeudado por {contribution.month:%m/%Y}: saldo por pagar {format_money(max(room, ZERO))} "
                "(descontando pagos por confirmar). El fideicomiso no acepta pagos en exceso.", field="amount")
        payment = Payment(contribution_id=contribution.id, company_id=contribution.company_id, amount=amount,
                          paid_on=paid_on, bank=bank, operation_number=operation, status=PaymentStatus.REGISTRADO,
                          registered_by_id=actor.id)
        try:
            db.insert_unique(payment, "Esa operación bancaria (banco y número) ya fue registrada.",
                             field="operation_number")
        except DomainError:
            existing = _registered(contribution.company_id, bank, operation)
            if existing is None:
                raise
            return _recognise(existing, contribution, amount, paid_on)
        audit.record("trust.payment.register", payment, actor=actor,
                     after={"amount": amount, "paid_on": paid_on, "bank": bank, "operation": operation})
        return payment

    return command(key, "register_payment", payload, Payment, run)


def _registered(company_id: int, bank: str, operation: str) -> Payment | None:
    """The company's own payment with this bank + operation number. Only the company's own payments are looked
    at: another company's use of the number must not change what this company is told."""
    return db.session.scalar(select(Payment).where(Payment.company_id == company_id, Payment.bank == bank,
                                                   Payment.operation_number == operation))


def _recognise(existing: Payment, contribution: Contribution, amount: Decimal, paid_on: dt.date) -> Payment:
    if existing.contribution_id == contribution.id and existing.amount == amount and existing.paid_on == paid_on:
        return existing  # the same bank operation registered again: recognised, not duplicated
    raise DomainError("Esa operación bancaria (banco y número) ya fue registrada por su empresa con otros datos.",
                      field="operation_number")


def _confirmed_twin(payment: Payment) -> Payment | None:
    """Another confirmed payment of the same bank + operation number (the partial unique index's terms)."""
    return db.session.scalar(select(Payment).where(
        Payment.bank == payment.bank, Payment.operation_number == payment.operation_number, Payment.status == PaymentStatus.CONFIRMADO, Payment.id != payment.id))


def _already_confirmed(twin: Payment) -> DomainError:
    return DomainError(
        f"La operación {twin.bank} {twin.operation_number} ya está confirmada para el pago de "
        f"{twin.company.legal_name} (RUC {twin.company.ruc}) del aporte {twin.contribution.month:%m/%Y}: una "
        "operación bancaria se confirma una sola vez. Rechace este pago.")


def _payment_to_confirm(payment_id: int) -> tuple[Payment, Contribution]:
    """The payment and its declaration, both rows locked (the payment's first), read with the company in one
    statement."""
    row = db.session.execute(
        select(Payment, Contribution).join(Payment.contribution).where(Payment.id == payment_id)
        .options(joinedload(Contribution.company, innerjoin=True))
        .with_for_update(of=[Payment.__table__, Contribution.__table__])
        .execution_options(populate_existing=True)).one_or_none()
    if row is None:
        raise NotFound("El pago no existe.")
    return row[0], row[1]


@service("trust.confirm")
def confirm_payment(*, payment_id: int, actor, key: str, today: dt.date | None = None) -> Done:
    """The trustee confirms a registered payment against the bank: it posts to the ledger once."""
    today = today or clock.today()

    def run() -> Payment:
        payment, contribution = _payment_to_confirm(payment_id)
        if payment.status != PaymentStatus.REGISTRADO:
            raise DomainError(f"El pago ya está {payment.status_label.lower()}; no se puede confirmar.")
        operation = f"{payment.bank} {payment.operation_number}"
        # confirmations of one bank operation wait here for each other, so the check sees one committed first
        db.named_lock(f"trust.payment.operation:{operation}")
        twin = _confirmed_twin(payment)
        if twin is not None:
            raise _already_confirmed(twin)
        if payment.amount > contribution.outstanding:
            raise DomainError("El pago excede el saldo adeudado de la declaración; recházelo.")
        receivable, bank = company_accounts(contribution.company, BANK_AVAILABLE)
        entry = ledger.post_entry(
            db.session, key=f"{key}:asiento", kind="pago", effective_date=today, actor_id=actor.id,
            memo=f"Aporte {contribution.month:%m/%Y} – {contribution.company.legal_name} – {payment.bank} "
                 f"{payment.operation_number}",
            lines=ledger.transfer_lines(bank, receivable, payment.amount))
        payment.status, payment.entry_id = PaymentStatus.CONFIRMADO, entry.id
        payment.decided_at, payment.decided_by_id = db.utcnow(), actor.id
        contribution.amount_paid = contribution.amount_paid + payment.amount
        try:
            db.session.flush()
        except IntegrityError as exc:  # a confirmation that skipped the lock (raw SQL): the index refuses this one
            raise DomainError(f"La operación {operation} ya está confirmada para otro pago: una operación bancaria "
                              "se confirma una sola vez. Rechace este pago.") from exc
        audit.record("trust.payment.confirm", payment, actor=actor, before={"status": PaymentStatus.REGISTRADO},
                     after={"status": PaymentStatus.CONFIRMADO, "entry": entry.id})
        return payment

    return command(key, "confirm_payment", {"payment": payment_id, "actor": actor.id}, Payment, run)


@service("trust.confirm")
def reject_payment(*, payment_id: int, note: str, actor, key: str) -> Done:
    """The trustee rejects a registered payment with a note; nothing is posted."""

    def run() -> Payment:
        payment = get_payment(payment_id, lock=True)
        if payment.status != PaymentStatus.REGISTRADO:
            raise DomainError(f"El pago ya está {payment.status_label.lower()}; no se puede rechazar.")
        if not (note or "").strip():
            raise DomainError("Indique el motivo del rechazo.", field="note")
        payment.status, payment.decision_note = PaymentStatus.RECHAZADO, note.strip()[:300]
        payment.decided_at, payment.decided_by_id = db.utcnow(), actor.id
        db.session.flush()
        audit.record("trust.payment.reject", payment, actor=actor, before={"status": PaymentStatus.REGISTRADO},
                     after={"status": PaymentStatus.RECHAZADO, "note": payment.decision_note})
        return payment

    return command(key, "reject_payment", {"payment": payment_id, "note": note, "actor": actor.id}, Payment, run)


@service("trust.confirm")
def reverse_payment(*, payment_id: int, reason: str, actor, key: str, today: dt.date | None = None) -> Done:
    """The bank reversed a confirmed payment: a reversing entry undoes it (if the funds are still available)."""
    today = today or clock.today()

    def run() -> Payment:
        payment = get_payment(payment_id, lock=True)
        if payment.status != PaymentStatus.CONFIRMADO:
            raise DomainError("Solo se revierte un pago confirmado.")
        if not (reason or "").strip():
            raise DomainError("Indique el motivo de la reversión.", field="reason")
        contribution = get_contribution(payment.contribution_id, lock=True)
        entry = ledger.reverse(db.session, payment.entry_id, key=f"{key}:asiento", effective_date=today,
                               memo=f"Reversión del pago {payment.bank} {payment.operation_number}: {reason.strip()}",
                               actor_id=actor.id)
        payment.status, payment.reversal_entry_id, payment.decision_note = PaymentStatus.REVERTIDO, entry.id, reason.strip()[:300]
        contribution.amount_paid = contribution.amount_paid - payment.amount
        db.session.flush()
        audit.record("trust.payment.reverse", payment, actor=actor, before={"status": PaymentStatus.CONFIRMADO},
                     after={"status": PaymentStatus.REVERTIDO, "entry": entry.id})
        return payment

    return command(key, "reverse_payment", {"payment": payment_id, "reason": reason, "actor": actor.id}, Payment, run)
