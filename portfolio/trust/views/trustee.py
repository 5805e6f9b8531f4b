"""Trustee (fiduciario): payments to confirm, approved disbursements to execute, period close, bank balances."""
from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from portfolio import clock
from portfolio.auth.policy import allows, requires
from portfolio.formatting import month_label
from portfolio.forms import run_service, select_choices
from portfolio.money import format_money
from portfolio.trust import queries
from portfolio.trust.forms import (
    BankBalanceForm,
    CloseForm,
    ConfirmForm,
    ExecuteForm,
    NoteForm,
    OnBehalfDeclareForm,
)
from portfolio.trust.services import books, contributions, disbursements
from portfolio.trust.views.common import REPLAYED, act, bp


@bp.route("/fiduciario")
@requires("trust.trustee.view")
def trustee_home():
    """The trustee's workbench; the auditor sees the same lists read-only (each form needs its POST permission)."""
    allowed = {"confirm": allows(current_user, "trust.confirm"), "execute": allows(current_user, "trust.execute"),
           "close": allows(current_user, "trust.close_period")}
    payments = queries.payments_to_confirm()
    twins = queries.same_operation(payments)  # another company registered the same bank operation
    to_execute = queries.to_execute()
    confirmed = queries.recent_confirmed_payments(10)
    execute_forms = {}
    close = balance = None
    if allowed["execute"]:
        for d in to_execute:
            form = ExecuteForm(prefix=f"e{d.id}")
            form.amount.data = d.amount - d.paid_amount
            execute_forms[d.id] = form
        balance = BankBalanceForm()
        balance.on.data = clock.today()
    next_close = books.next_period_to_close()
    if allowed["close"]:
        close = CloseForm()
        close.month.choices = []
        if next_close is not None and next_close < clock.today().replace(day=1):
            close.month.choices = [(f"{next_close:%Y-%m}", month_label(next_close))]
            close.month.data = next_close
    return render_template(
        "trust/trustee.html", payments=payments, twins=twins, to_execute=to_execute, execute_forms=execute_forms,
        confirmed=confirmed, confirm_form=ConfirmForm, note_form=NoteForm, close_form=close, balance_form=balance,
        next_close=next_close, month_end=books.month_end_reconciliation(next_close) if next_close else None,
        periods=queries.latest_periods(12),
        reconciliation=books.bank_reconciliation(), position=books.fund_position(), allowed=allowed,
        read_only=not any(allowed.values()))


@bp.route("/fiduciario/declarar", methods=["GET", "POST"])
@requires("trust.declare_on_behalf")
def declare_on_behalf():
    """The trustee declares a month on behalf of a company: the trust service applies the company's rules."""
    form = OnBehalfDeclareForm()
    companies = queries.active_companies()
    form.company_id.choices = select_choices([(str(c.id), f"{c.legal_name} – RUC {c.ruc}") for c in companies])
    if form.validate_on_submit():
        outcome = run_service(form, lambda: contributions.declare(
            company_id=int(form.company_id.data), month=form.month.data, payroll=form.payroll.data,
            headcount=form.headcount.data, actor=current_user, key=form.key()))
        if outcome:
            done = outcome.value
            flash(REPLAYED if done.replayed else
                  f"Declaración registrada en nombre de {done.value.company.legal_name}: aporte de "
                  f"{format_money(done.value.amount_due)}.", "success")
            return redirect(url_for("trust.contributions_list"))
    return render_template("trust/declare.html", form=form, on_behalf=True, rate=contributions.preview_rate())


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
