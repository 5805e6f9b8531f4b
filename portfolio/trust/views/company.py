"""Company pages: its own declarations, payments, statement and arrears (another company's id → 404)."""
from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from portfolio import clock
from portfolio.auth.policy import requires
from portfolio.forms import run_service
from portfolio.kept_pages import kept_page
from portfolio.listing import paginate
from portfolio.money import format_money
from portfolio.trust import queries
from portfolio.trust.forms import DeclareForm, PaymentForm, RectifyForm
from portfolio.trust.models import CONTRIBUTION_STATUS, Contribution
from portfolio.trust.services import books, contributions
from portfolio.trust.views.common import REPLAYED, act, bp, period_args


@bp.route("/empresa")
@requires("trust.company")
@kept_page
def company_home():
    listing = queries.contribution_list({}, current_user)  # scoped to the user's company
    page = paginate(listing.query, sortable={"month": Contribution.month, "due": Contribution.amount_due},
                    default_sort="month", default_direction="desc", tiebreak=Contribution.id)
    today = clock.today()
    arrears = books.arrears_ageing(today, company_id=current_user.company_id)
    return render_template("trust/company_home.html", page=page, today=today, statuses=CONTRIBUTION_STATUS,
                           arrears=arrears[0] if arrears else None, buckets=books.AGE_BUCKETS, form=DeclareForm())


@bp.route("/empresa/declarar", methods=["GET", "POST"])
@requires("trust.declare")
def declare():
    form = DeclareForm()
    if form.validate_on_submit():
        outcome = run_service(form, lambda: contributions.declare(
            company_id=current_user.company_id, month=form.month.data, payroll=form.payroll.data,
            headcount=form.headcount.data, actor=current_user, key=form.key()))
        if outcome:
            done = outcome.value
            flash(REPLAYED if done.replayed else
                  f"Declaración registrada: aporte de {format_money(done.value.amount_due)}.", "success")
            return redirect(url_for("trust.contribution_detail", contribution_id=done.value.id))
    return render_template("trust/declare.html", form=form, rate=contributions.preview_rate())


@bp.route("/empresa/declaraciones/<int:contribution_id>")
@requires("trust.company")
def contribution_detail(contribution_id: int):
    contribution = contributions.get_contribution(contribution_id, company_id=current_user.company_id)
    rectify = RectifyForm()
    current = contribution.versions[-1]
    rectify.payroll.data, rectify.headcount.data = current.payroll, current.headcount
    payment = PaymentForm()
    payment.paid_on.data = clock.today()
    return render_template("trust/contribution.html", c=contribution, today=clock.today(), rectify=rectify,
                           payment=payment, statuses=CONTRIBUTION_STATUS,
                           pending=contributions.pending_registered(contribution.id))


@bp.route("/empresa/declaraciones/<int:contribution_id>/rectificar", methods=["POST"])
@requires("trust.declare")
def rectify(contribution_id: int):
    contributions.get_contribution(contribution_id, company_id=current_user.company_id)
    form = RectifyForm()
    return act(form, lambda: contributions.rectify(
        contribution_id=contribution_id, payroll=form.payroll.data, headcount=form.headcount.data,
        reason=form.reason.data, actor=current_user, key=form.key()),
        "Rectificación registrada: se contabilizó solo la diferencia.",
        url_for("trust.contribution_detail", contribution_id=contribution_id))


@bp.route("/empresa/declaraciones/<int:contribution_id>/pagar", methods=["POST"])
@requires("trust.pay")
def pay(contribution_id: int):
    contributions.get_contribution(contribution_id, company_id=current_user.company_id)
    form = PaymentForm()
    return act(form, lambda: contributions.register_payment(
        contribution_id=contribution_id, amount=form.amount.data, paid_on=form.paid_on.data, bank=form.bank.data,
        operation_number=form.operation_number.data, actor=current_user, key=form.key()),
        "Pago registrado. El fiduciario lo confirmará contra el extracto bancario.",
        url_for("trust.contribution_detail", contribution_id=contribution_id))


@bp.route("/empresa/estado-de-cuenta")
@requires("trust.company")
@kept_page
def company_statement():
    start, end = period_args()
    statement = books.company_statement(current_user.company, start, end)
    return render_template("trust/company_statement.html", s=statement, company=current_user.company,
                           endpoint="trust.company_statement", route={})


@bp.route("/empresas/<int:company_id>/estado-de-cuenta")
@requires("trust.view")
@kept_page
def company_statement_for(company_id: int):
    from portfolio.orgs.services import get_company

    company = get_company(company_id)
    start, end = period_args()
    statement = books.company_statement(company, start, end)
    return render_template("trust/company_statement.html", s=statement, company=company,
                           endpoint="trust.company_statement_for", route={"company_id": company_id})
