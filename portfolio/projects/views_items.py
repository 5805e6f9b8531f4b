"""Project page sub-resources: budget lines, variations, milestones, certificates; the company's panel."""
from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from portfolio import clock
from portfolio.auth.policy import requires
from portfolio.forms import run_service, select_choices
from portfolio.money import format_money
from portfolio.projects import caps, certificates, execution, queries
from portfolio.projects.forms import (
    BudgetExecutionForm,
    BudgetLineForm,
    BudgetRevisionForm,
    CertificateForm,
    CertificateStatusForm,
    MilestoneForm,
    TaxForm,
    VariationForm,
)
from portfolio.projects.models import BudgetLine, Certificate, Milestone
from portfolio.projects.views import actor, bp, form_version
from portfolio.projects.vocab import CertificateStatus

CERTIFICATE_ACTIONS = {CertificateStatus.EMITIDO: "Registrar emisión", CertificateStatus.ANULADO: "Anular"}


def _back(project):
    return redirect(url_for("projects.detail", project_id=project.id))


def _render(project, form, title, submit, *, confirm=None, help_text=None):
    return render_template("projects/item_form.html", project=project, form=form, title=title, submit=submit,
                           confirm=confirm, help_text=help_text)


def _flash_warnings(warnings):
    for warning in warnings:
        flash(warning, "warning")


@bp.route("/<int:project_id>/presupuesto/nueva", methods=["GET", "POST"])
@requires("projects.manage")
def budget_new(project_id: int):
    project = queries.get_project_or_404(project_id, current_user)
    form = BudgetLineForm()
    if form.validate_on_submit():
        outcome = run_service(form, lambda: execution.add_budget_line(
            project=project, category=form.category.data, description=form.description.data, amount=form.amount.data,
            actor=actor()))
        if outcome:
            flash("Partida presupuestal registrada (versión original).", "success")
            return _back(project)
    return _render(project, form, "Nueva partida presupuestal", "Registrar partida")


@bp.route("/<int:project_id>/presupuesto/<int:line_id>/modificar", methods=["GET", "POST"])
@requires("projects.manage")
def budget_revise(project_id: int, line_id: int):
    project = queries.get_project_or_404(project_id, current_user)
    line = queries.get_child_or_404(BudgetLine, line_id, project)
    form = BudgetRevisionForm()
    if form.validate_on_submit():
        outcome = run_service(form, lambda: execution.revise_budget_line(
            line=line, amount=form.amount.data, reason=form.reason.data, actor=actor()))
        if outcome:
            flash(f"Partida modificada: versión {outcome.value.number} (el original se conserva).", "success")
            return _back(project)
    return _render(project, form, f"Modificar partida: {line.category_label}", "Registrar modificación",
                   help_text=f"Presupuesto vigente: versión {len(line.revisions)}. La modificación agrega una versión "
                             "nueva; el presupuesto original no se sobrescribe.")


@bp.route("/<int:project_id>/presupuesto/<int:line_id>/ejecucion", methods=["GET", "POST"])
@requires("projects.manage")
def budget_execution(project_id: int, line_id: int):
    project = queries.get_project_or_404(project_id, current_user)
    line = queries.get_child_or_404(BudgetLine, line_id, project)
    form = BudgetExecutionForm(obj=line)
    if not form.is_submitted():
        form.version.data = str(line.version)
    if form.validate_on_submit():
        outcome = run_service(form, lambda: execution.record_budget_execution(
            line=line, accrued=form.accrued.data, paid=form.paid.data, expected_version=form_version(form),
            actor=actor()))
        if outcome:
            flash("Ejecución de la partida actualizada.", "success")
            return _back(project)
    return _render(project, form, f"Devengado y girado: {line.category_label}", "Guardar ejecución",
                   confirm="¿Registrar estos montos devengados y girados?")


@bp.route("/<int:project_id>/variaciones/nueva", methods=["GET", "POST"])
@requires("projects.manage")
def variation_new(project_id: int):
    project = queries.get_project_or_404(project_id, current_user)
    form = VariationForm()
    if form.validate_on_submit():
        outcome = run_service(form, lambda: execution.add_variation(
            project=project, kind=form.kind.data, amount_delta=form.amount_delta.data, days_delta=form.days_delta.data,
            approved_on=form.approved_on.data, legal_reference=form.legal_reference.data,
            description=form.description.data, actor=actor()))
        if outcome:
            flash("Adenda registrada.", "success")
            _flash_warnings(outcome.value[1])
            return _back(project)
    room = caps.variation_room(project, clock.today())
    return _render(project, form, "Nueva variación (adenda)", "Registrar adenda",
                   confirm="¿Registrar esta adenda? Cambia el monto o el plazo vigente del convenio.",
                   help_text=f"Tope de variaciones vigente: {room.cap_pct} % del convenio original = "
                             f"{format_money(room.limit)}; aprobado {format_money(room.used)}; queda "
                             f"{format_money(room.left)} para adicionales (los deductivos no liberan tope).")


@bp.route("/<int:project_id>/hitos/nuevo", methods=["GET", "POST"])
@requires("projects.manage")
def milestone_new(project_id: int):
    project = queries.get_project_or_404(project_id, current_user)
    form = MilestoneForm()
    if form.validate_on_submit():
        outcome = run_service(form, lambda: execution.add_milestone(project=project, data=form.data, actor=actor()))
        if outcome:
            flash("Hito registrado.", "success")
            return _back(project)
    return _render(project, form, "Nuevo hito", "Registrar hito")


@bp.route("/<int:project_id>/hitos/<int:milestone_id>/editar", methods=["GET", "POST"])
@requires("projects.manage")
def milestone_edit(project_id: int, milestone_id: int):
    project = queries.get_project_or_404(project_id, current_user)
    milestone = queries.get_child_or_404(Milestone, milestone_id, project)
    form = MilestoneForm(obj=milestone)
    if not form.is_submitted():
        form.version.data = str(milestone.version)
        form.planned_physical.data = "" if milestone.planned_physical is None else str(milestone.planned_physical_pct)
        form.actual_physical.data = "" if milestone.actual_physical is None else str(milestone.actual_physical_pct)
    if form.validate_on_submit():
        outcome = run_service(form, lambda: execution.update_milestone(
            project=project, milestone=milestone, data=form.data, expected_version=form_version(form), actor=actor()))
        if outcome:
            flash("Hito actualizado.", "success")
            return _back(project)
    return _render(project, form, f"Hito: {milestone.label}", "Guardar hito")


@bp.route("/<int:project_id>/certificados/nuevo", methods=["GET", "POST"])
@requires("certificates.manage")
def certificate_new(project_id: int):
    project = queries.get_project_or_404(project_id, current_user)
    data = queries.project_page(project)
    form = CertificateForm()
    accepted = [m for m in data.milestones if m.accepted]
    whole_allowed = project.stage in certificates.WHOLE_PROJECT_STAGES
    form.milestone_id.choices = select_choices(
        [(str(m.id), f"{m.label} · {m.planned_date:%d/%m/%Y}") for m in accepted],
        blank="— Ninguno (certificado total tras la recepción) —" if whole_allowed else "— Seleccione el hito —")
    if not form.is_submitted():
        # Pre-select what the service accepts: before reception a certificate must rest on a milestone
        # (the first accepted one with room left); after reception the whole-project certificate.
        form.milestone_id.data = "" if whole_allowed else next(
            (str(m.id) for m in accepted
             if (m.amount or 0) > caps.live_certificates_total(project.id, m.id)), "")
        form.issue_date.data = clock.today()
    room = caps.certificate_room(project)
    if form.validate_on_submit():
        outcome = run_service(form, lambda: certificates.add_certificate(
            project=project, number=form.number.data, amount=form.amount.data, issue_date=form.issue_date.data,
            milestone_id=form.milestone_id.data, actor=actor()))
        if outcome:
            flash(f"{outcome.value[0].cert_type} {outcome.value[0].number} solicitado y distribuido entre las "
                  "empresas financistas.", "success")
            _flash_warnings(outcome.value[1])
            return _back(project)
    return _render(project, form, f"Nuevo certificado {project.certificate_type}", "Solicitar certificado",
                   confirm="¿Solicitar este certificado? Se distribuirá entre las empresas según su participación.",
                   help_text=f"Aún certificable: {format_money(room.left)} (convenio vigente "
                             f"{format_money(room.convenio)} − certificado {format_money(room.certified)}; "
                             f"valorizaciones con conformidad {format_money(room.valuations)}).")


@bp.route("/<int:project_id>/certificados/<int:certificate_id>/estado", methods=["POST"])
@requires("certificates.manage")
def certificate_status(project_id: int, certificate_id: int):
    project = queries.get_project_or_404(project_id, current_user)
    certificate = queries.get_child_or_404(Certificate, certificate_id, project)
    form = CertificateStatusForm()
    if form.validate_on_submit():
        outcome = run_service(form, lambda: certificates.change_status(
            certificate=certificate, target=form.status.data, expected_version=form_version(form), actor=actor()))
        if outcome:
            flash(f"Certificado {certificate.number}: {certificate.status_label.lower()}.", "success")
            return _back(project)
    for message in form.form_errors + [e for errors in form.errors.values() for e in errors]:
        flash(message, "danger")
    return _back(project)


@bp.route("/mis-certificados", methods=["GET", "POST"])
@requires("tax_share.declare")
def company_panel():
    company_id = current_user.company_id
    form = TaxForm()
    if form.validate_on_submit():
        outcome = run_service(form, lambda: certificates.declare_tax(company_id=company_id, year=form.year.data,
                                                                     amount=form.amount.data, actor=actor()))
        if outcome:
            flash("Impuesto del año anterior registrado.", "success")
            return redirect(url_for("projects.company_panel"))
    holdings, share = certificates.company_panel(company_id)
    if not form.is_submitted():
        form.year.data = share.tax_year
    return render_template("projects/company_panel.html", holdings=holdings, share=share, form=form)
