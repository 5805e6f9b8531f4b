"""Trustee (fiduciario): payments to confirm, approved disbursements to execute, period close, bank balances."""
from __future__ import annotations

import datetime as dt

from flask import render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from portfolio import db
from portfolio.auth.policy import requires
from portfolio.trust import ledger
from portfolio.trust.forms import BankBalanceForm, CloseForm, ConfirmForm, ExecuteForm, NoteForm
from portfolio.trust.models import Disbursement, Payment
from portfolio.trust.services import books, contributions, disbursements
from portfolio.trust.views import act, bp


@bp.route("/fiduciario")
@requires("trust.execute")
def trustee_home():
    payments = db.session.scalars(select(Payment).where(Payment.status == "registrado").order_by(Payment.id)).all()
    to_execute = db.session.scalars(select(Disbursement).where(Disbursement.status.in_(("aprobado", "en_ejecucion")))
                                    .order_by(Disbursement.id)).all()
    confirmed = db.session.scalars(select(Payment).where(Payment.status == "confirmado")
                                   .order_by(Payment.id.desc()).limit(10)).all()
    execute_forms = {}
    for d in to_execute:
        form = ExecuteForm(prefix=f"e{d.id}")
        form.amount.data = d.amount - d.paid_amount
        execute_forms[d.id] = form
    close = CloseForm()
    last_month = (dt.date.today().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    close.month.data = last_month
    balance = BankBalanceForm()
    balance.on.data = dt.date.today()
    return render_template(
        "trust/trustee.html", payments=payments, to_execute=to_execute, execute_forms=execute_forms,
        confirmed=confirmed, confirm_form=ConfirmForm, note_form=NoteForm, close_form=close, balance_form=balance,
        periods=db.session.scalars(select(ledger.Period).order_by(ledger.Period.month.desc()).limit(12)).all(),
        reconciliation=books.bank_reconciliation(), position=books.fund_position())


def _back():
    return url_for("trust.trustee_home")


@bp.route("/pagos/<int:payment_id>/confirmar", methods=["POST"])
@requires("trust.confirm")
def payment_confirm(payment_id: int):
    form = ConfirmForm(prefix=f"c{payment_id}")
    return act(form, lambda: contributions.confirm_payment(payment_id=payment_id, actor=current_user, key=form.key()),
               "Pago confirmado y contabilizado en el banco del fideicomiso.", _back())


@bp.route("/pagos/<int:payment_id>/rechazar", methods=["POST"])
@requires("trust.confirm")
def payment_reject(payment_id: int):
    form = NoteForm(prefix=f"r{payment_id}")
    return act(form, lambda: contributions.reject_payment(payment_id=payment_id, note=form.note.data,
                                                          actor=current_user, key=form.key()),
               "Pago rechazado.", _back())


@bp.route("/pagos/<int:payment_id>/revertir", methods=["POST"])
@requires("trust.confirm")
def payment_reverse(payment_id: int):
    form = NoteForm(prefix=f"x{payment_id}")
    return act(form, lambda: contributions.reverse_payment(payment_id=payment_id, reason=form.note.data,
                                                           actor=current_user, key=form.key()),
               "Pago revertido con un asiento de reversión.", _back())


@bp.route("/desembolsos/<int:disbursement_id>/ejecutar", methods=["POST"])
@requires("trust.execute")
def execute(disbursement_id: int):
    disbursements.get_disbursement(disbursement_id)
    form = ExecuteForm(prefix=f"e{disbursement_id}")
    return act(form, lambda: disbursements.execute(disbursement_id=disbursement_id, amount=form.amount.data,
                                                   reference=form.reference.data, actor=current_user, key=form.key()),
               "Tramo ejecutado y contabilizado.", _back())


@bp.route("/periodos/cerrar", methods=["POST"])
@requires("trust.close_period")
def close_period():
    form = CloseForm()
    return act(form, lambda: books.close_period(month=form.month.data, actor=current_user, key=form.key()),
               "Periodo cerrado: ya no admite asientos.", _back())


@bp.route("/saldos-bancarios", methods=["POST"])
@requires("trust.execute")
def bank_balance():
    form = BankBalanceForm()
    return act(form, lambda: books.record_bank_balance(on=form.on.data, balance=form.balance.data, note=form.note.data,
                                                       actor=current_user, key=form.key()),
               "Saldo bancario registrado.", _back())
