"""Obras por Impuestos pages: list, pipeline, project page, create/edit, financing companies and stages.

Every view: parse the form → permission-aware getter → one service through ``run_service`` → redirect.
Budget, variations, milestones and certificates are in ``views_items.py`` (same blueprint).
"""
from __future__ import annotations

from decimal import Decimal

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portfolio import clock
from portfolio.auth.policy import allows, requires
from portfolio.documents import panels as document_panels
from portfolio.forms import run_service, select_choices
from portfolio.kept_pages import kept_page
from portfolio.listing import text_arg
from portfolio.mef import queries as mef_queries
from portfolio.orgs import queries as orgs_queries
from portfolio.orgs import ubigeo
from portfolio.orgs.models import LEVELS
from portfolio.projects import chart, queries, services, stages
from portfolio.projects.forms import MembersForm, ProjectForm, TransitionForm
from portfolio.projects.models import SECTORS, Project

bp = Blueprint("projects", __name__, url_prefix="/proyectos")


def actor():
    return current_user._get_current_object()


def form_version(form) -> int | None:
    """The version the user's form was built from, read from the posted data only (``obj=`` would fill a
    missing field with the current version). Missing or forged → -1, which never matches: a conflict."""
    raw = str(form.version.raw_data[0]).strip() if form.version.raw_data else ""
    return int(raw) if raw.isdigit() else -1


_entities = orgs_queries.active_entities
_companies = orgs_queries.active_companies


@bp.route("/")
@requires("projects.view")
@kept_page
def index():
    listing = queries.project_list(request.args, current_user)  # the same function as the Excel export
    pipeline = queries.pipeline(current_user)
    # Unfiltered, the list holds exactly the projects the stage summary counts: no second count.
    page = listing.paginate(total=None if listing.filters else sum(row.count for row in pipeline))
    return render_template(
        "projects/index.html", page=page, f=queries.filters_from(request.args), stages=stages.STAGES, levels=LEVELS,
        sectors=SECTORS, entities=queries.entity_filter_choices(), companies=queries.financier_filter_choices(current_user),
        departments=ubigeo.departments(), can_manage=allows(current_user, "projects.manage"),
        pipeline=pipeline, progress=queries.progress_by_project(page.items),
        place_names=ubigeo.place_names, department_names=ubigeo.department_names,
    )


@bp.route("/etapas")
@requires("projects.view")
@kept_page
def pipeline():
    demo = text_arg("demo", 2)
    rows = queries.pipeline(current_user, demo=demo)
    total_count = sum(r.count for r in rows)
    total_amount = sum((r.amount for r in rows), Decimal("0.00"))
    return render_template("projects/pipeline.html", rows=rows, total_count=total_count, total_amount=total_amount,
                           demo=demo, main_stages=stages.MAIN_STAGES)


def _project_form(form: ProjectForm, project: Project | None = None) -> ProjectForm:
    form.entity_id.choices = select_choices([(str(e.id), e.name) for e in _entities()])
    if project is not None and not form.is_submitted():
        form.version.data = str(project.version)
        form.entity_id.data = str(project.entity_id)
        form.locations.data = ", ".join(project.location_codes)
    return form


@bp.route("/nuevo", methods=["GET", "POST"])
@requires("projects.manage")
def create():
    form = _project_form(ProjectForm())
    if form.validate_on_submit():
        outcome = run_service(form, lambda: services.create_project(data=form.data, actor=actor()))
        if outcome:
            flash(f"Proyecto «{outcome.value.name}» registrado en etapa Priorizado.", "success")
            return redirect(url_for("projects.detail", project_id=outcome.value.id))
    return render_template("projects/form.html", form=form, project=None, ubigeo_data=ubigeo.picker_json())


def _transition_choices(form, project) -> None:
    """The stages that may follow, pre-selecting the one the project can enter now (never one the service
    would refuse); with none ready, a blank first option makes the user choose."""
    allowed = stages.allowed_next(project.stage)
    if not allowed:
        form.target.choices = []
        return
    suggested = stages.suggested_target(project)
    form.target.choices = select_choices([(s, stages.label(s)) for s in allowed],
                                         blank=None if suggested else "— Seleccione la etapa —")
    if not form.is_submitted():
        form.target.data = suggested or ""


@bp.route("/<int:project_id>")
@requires("projects.view")
@kept_page
def detail(project_id: int):
    project = queries.get_project_or_404(project_id, current_user)
    data = queries.project_page(project)
    today = clock.today()
    transition_form = TransitionForm(from_stage=project.stage)
    _transition_choices(transition_form, project)
    return render_template(
        "projects/detail.html", p=project, data=data, today=today, curve=chart.build(project, data.milestones, today),
        transition_form=transition_form, stages=stages, ubigeo=ubigeo,
        can_manage=allows(current_user, "projects.manage"), can_certify=allows(current_user, "certificates.manage"),
        mef_years=mef_queries.execution_by_year(project.id), mef_compare=mef_queries.comparison(project.id),
        mef_history=mef_queries.history(project.id), mef_link=mef_queries.consulta_url(project.cui),
        mef_link_name=mef_queries.MEF_CONSULTA_NAME,
        docs_panel=document_panels.project_panel(project.id, current_user, milestones=data.milestones,
                                                 certificates=data.certificates),
    )


@bp.route("/<int:project_id>/editar", methods=["GET", "POST"])
@requires("projects.manage")
def edit(project_id: int):
    project = queries.get_project_or_404(project_id, current_user)
    form = _project_form(ProjectForm(obj=project), project)
    if form.validate_on_submit():
        outcome = run_service(form, lambda: services.update_project(
            project=project, data=form.data, expected_version=form_version(form), actor=actor()))
        if outcome:
            flash("Proyecto actualizado.", "success")
            return redirect(url_for("projects.detail", project_id=project.id))
    return render_template("projects/form.html", form=form, project=project, ubigeo_data=ubigeo.picker_json())


@bp.route("/<int:project_id>/financistas", methods=["GET", "POST"])
@requires("projects.manage")
def members(project_id: int):
    project = queries.get_project_or_404(project_id, current_user)
    form = MembersForm()
    choices = select_choices([(str(c.id), f"{c.legal_name} (RUC {c.ruc})") for c in _companies()], blank="— Ninguna —")
    if not form.is_submitted():
        form.version.data = str(project.version)
        for row, member in zip(form.rows, project.members, strict=False):
            row.company_id.data = str(member.company_id)
            row.share.data = str(member.share)
    for row in form.rows:
        row.company_id.choices = choices
    if form.validate_on_submit():
        rows = [(row.company_id.data, row.share.data) for row in form.rows]
        outcome = run_service(form, lambda: services.set_members(
            project=project, rows=rows, expected_version=form_version(form), actor=actor()))
        if outcome:
            flash("Empresas financistas actualizadas.", "success")
            return redirect(url_for("projects.detail", project_id=project.id))
    return render_template("projects/members.html", form=form, project=project)


@bp.route("/<int:project_id>/etapa", methods=["GET", "POST"])
@requires("projects.manage")
def transition(project_id: int):
    project = queries.get_project_or_404(project_id, current_user)
    form = TransitionForm()
    _transition_choices(form, project)
    if not form.is_submitted():
        form.from_stage.data = project.stage
    if form.validate_on_submit():
        outcome = run_service(form, lambda: services.transition(
            project=project, target=form.target.data, note=form.note.data or "", on=form.on.data,
            expected_stage=form.from_stage.data or None, actor=actor()))
        if outcome:
            flash(f"Etapa cambiada a «{stages.label(project.stage)}».", "success")
            for warning in outcome.value.warnings:
                flash(warning, "warning")
            return redirect(url_for("projects.detail", project_id=project.id))
    return render_template("projects/transition.html", form=form, project=project, stages=stages)
