"""Read-only overview for staff, board, trustee and auditor; disbursement requests; programs."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from portfolio import clock
from portfolio.auth.policy import allows, requires
from portfolio.documents import panels as document_panels
from portfolio.forms import run_service, select_choices
from portfolio.kept_pages import kept_page
from portfolio.trust import queries
from portfolio.trust.forms import (
    AllocationForm,
    ConflictForm,
    ExecuteForm,
    NoteForm,
    OrganizationForm,
    ProgramForm,
    RequestForm,
    VoteForm,
)
from portfolio.trust.models import CONTRIBUTION_STATUS, DISBURSEMENT_STATUS
from portfolio.trust.services import books, disbursements, programs
from portfolio.trust.views.common import REPLAYED, act, bp, decision_facts, invoice_flags, period_args


@bp.route("/")
@requires("trust.view")
@kept_page
def overview():
    today = clock.today()
    return render_template("trust/overview.html", position=books.fund_position(), collection=books.collection_summary(),
                           programs=books.program_summary(today.year), year=today.year,
                           arrears=books.arrears_ageing(today), buckets=books.AGE_BUCKETS,
                           recent=queries.recent_disbursements(10))


@bp.route("/aportes")
@requires("trust.view")
@kept_page
def contributions_list():
    listing = queries.contribution_list(request.args, current_user)
    totals = queries.contribution_totals(listing)
    return render_template("trust/contributions.html", page=listing.paginate(total=totals["count"]),
                           q=listing.filters.get("q"), filters=listing.filters, errors=listing.errors, totals=totals,
                           today=clock.today(), statuses=CONTRIBUTION_STATUS)


@bp.route("/estado-de-cuenta")
@requires("trust.books.view")
@kept_page
def trust_statement():
    start, end = period_args()
    return render_template(
        "trust/trust_statement.html", s=books.trust_statement(start, end), reconciliation=books.bank_reconciliation(),
        periods=queries.latest_periods(24))


@bp.route("/desembolsos")
@requires("trust.view")
@kept_page
def disbursement_list():
    listing = queries.disbursement_list(request.args, current_user)
    totals = queries.disbursement_totals(listing)
    page = listing.paginate(total=totals["count"])  # the query loads program and beneficiary with each request
    return render_template("trust/disbursements.html", page=page, status=listing.filters.get("estado"),
                           statuses=DISBURSEMENT_STATUS, totals=totals,
                           paid_on=queries.last_paid_on([d.id for d in page.items]))


def _request_form() -> RequestForm:
    form = RequestForm()
    form.program_id.choices = select_choices([(0, "— Seleccione —")] + [(p.id, p.name) for p in programs.programs() if p.active], blank=None)
    form.organization_id.choices = select_choices([(0, "— Seleccione —")] + [
        (o.id, o.name + ("" if o.can_receive else " (no constituida)")) for o in programs.organizations()], blank=None)
    if form.year.data is None and not form.is_submitted():
        form.year.data = clock.today().year
    return form


@bp.route("/desembolsos/nuevo", methods=["GET", "POST"])
@requires("trust.request")
def disbursement_new():
    form = _request_form()
    if form.validate_on_submit():
        outcome = run_service(form, lambda: disbursements.request(
            program_id=form.program_id.data, organization_id=form.organization_id.data, year=form.year.data,
            amount=form.amount.data, purpose=form.purpose.data, invoices=form.parsed_invoices, actor=current_user,
            key=form.key()))
        if outcome:
            done = outcome.value
            flash(REPLAYED if done.replayed else f"Solicitud N.º {done.value.id} registrada; pasa a votación del Comité.",
                  "success")
            return redirect(url_for("trust.disbursement_detail", disbursement_id=done.value.id))
    year = form.year.data if isinstance(form.year.data, int) else clock.today().year
    rooms = [(p, disbursements.allocation_room(p.id, year)) for p in programs.programs() if p.active]
    return render_template("trust/request_form.html", form=form, rooms=rooms, room_year=year)


@bp.route("/desembolsos/<int:disbursement_id>")
@requires("trust.view")
def disbursement_detail(disbursement_id: int):
    d = disbursements.get_disbursement(disbursement_id)
    execute = ExecuteForm(prefix=f"e{d.id}")
    execute.amount.data = d.amount - d.paid_amount
    return render_template("trust/disbursement.html", d=d, facts=decision_facts(d), vote_form=VoteForm(prefix=f"v{d.id}"),
                           flags=invoice_flags(d), dossier_panel=document_panels.dossier_panel(d, current_user),
                           execute_form=execute, cancel_form=NoteForm(),
                           can_vote=allows(current_user, "trust.vote"), can_execute=allows(current_user, "trust.execute"),
                           can_cancel=allows(current_user, "trust.request"))


@bp.route("/desembolsos/<int:disbursement_id>/cancelar", methods=["POST"])
@requires("trust.request")
def disbursement_cancel(disbursement_id: int):
    disbursements.get_disbursement(disbursement_id)
    form = NoteForm()
    return act(form, lambda: disbursements.cancel(disbursement_id=disbursement_id, reason=form.note.data,
                                                  actor=current_user, key=form.key()),
               "Desembolso cancelado; la reserva de fondos, si la había, fue anulada.",
               url_for("trust.disbursement_detail", disbursement_id=disbursement_id))


@bp.route("/programas")
@requires("trust.books.view")
def programs_page():
    year = request.args.get("anio", type=int) or clock.today().year
    allocation = AllocationForm()
    allocation.program_id.choices = select_choices([(0, "— Seleccione —")] + [(p.id, p.name) for p in programs.programs()], blank=None)
    allocation.year.data = allocation.year.data or year
    conflict = ConflictForm()
    members = queries.conflict_members(current_user)  # a board member declares only its own
    conflict.user_id.choices = select_choices([(0, "— Seleccione —")] + [(u.id, u.name) for u in members], blank=None)
    conflict.organization_id.choices = select_choices([(0, "— Seleccione —")] + [(o.id, o.name) for o in programs.organizations()], blank=None)
    return render_template(
        "trust/programs.html", year=year, summary=books.program_summary(year), programs=programs.programs(),
        organizations=programs.organizations(),
        conflicts=queries.conflicts() if allows(current_user, "trust.view") else None,
        program_form=ProgramForm(), allocation_form=allocation, organization_form=OrganizationForm(),
        conflict_form=conflict, can_manage=allows(current_user, "trust.programs.manage"),
        can_declare=allows(current_user, "trust.conflicts.declare"))


def _manage(form, action, success):
    return act(form, action, success, url_for("trust.programs_page"))


@bp.route("/programas/nuevo", methods=["POST"])
@requires("trust.programs.manage")
def program_create():
    form = ProgramForm()
    return _manage(form, lambda: programs.create_program(code=form.code.data, name=form.name.data,
                                                          description=form.description.data, actor=current_user),
                   "Programa registrado.")


@bp.route("/programas/asignacion", methods=["POST"])
@requires("trust.programs.manage")
def allocation_set():
    form = AllocationForm()
    form.program_id.choices = select_choices([(p.id, p.name) for p in programs.programs()], blank=None)
    return _manage(form, lambda: programs.set_allocation(program_id=form.program_id.data, year=form.year.data,
                                                          amount=form.amount.data, goals=form.goals.data,
                                                          actor=current_user), "Asignación anual registrada.")


@bp.route("/organizaciones/nueva", methods=["POST"])
@requires("trust.programs.manage")
def organization_create():
    form = OrganizationForm()
    return _manage(form, lambda: programs.create_organization(
        ruc=form.ruc.data, name=form.name.data, legal_status=form.legal_status.data,
        registry_entry=form.registry_entry.data, constituted_on=form.constituted_on.data, actor=current_user),
        "Organización beneficiaria registrada.")


@bp.route("/conflictos/nuevo", methods=["POST"])
@requires("trust.conflicts.declare")
def conflict_declare():
    form = ConflictForm()
    from portfolio.trust.services.disbursements import active_board

    form.user_id.choices = select_choices([(u.id, u.name) for u in active_board()], blank=None)
    form.organization_id.choices = select_choices([(o.id, o.name) for o in programs.organizations()], blank=None)
    return _manage(form, lambda: programs.declare_conflict(user_id=form.user_id.data,
                                                            organization_id=form.organization_id.data,
                                                            description=form.description.data, actor=current_user),
                   "Conflicto de interés registrado: el miembro se abstendrá en las solicitudes de esa organización.")
