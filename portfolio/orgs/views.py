"""Companies and public entities: lists with search, filters, sorting and pagination; forms for staff/admin."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portfolio import clock
from portfolio.auth.policy import allows, requires
from portfolio.forms import run_service
from portfolio.orgs import queries, services, ubigeo
from portfolio.orgs.forms import CapForm, CompanyForm, EntityForm
from portfolio.orgs.models import ENTITY_KINDS, LEVELS, SECTORS

bp = Blueprint("orgs", __name__, url_prefix="/organizaciones")


def _version() -> int:
    """The version the edit form was built from, read from the posted data only (WTForms would fill a
    missing field from the object). A missing or forged version counts as a conflict (-1 matches nothing)."""
    raw = request.form.get("version", "").strip()
    return int(raw) if raw.isdigit() else -1


@bp.route("/empresas")
@requires("orgs.view")
def companies():
    listing = queries.company_list(request.args)
    page = listing.paginate()
    return render_template("orgs/companies.html", page=page, q=listing.filters.get("q", ""),
                           sector=listing.filters.get("sector", ""), region=listing.filters.get("region", ""),
                           sectors=SECTORS, departments=ubigeo.departments(),
                           can_manage=allows(current_user, "orgs.manage"))


@bp.route("/empresas/nueva", methods=["GET", "POST"])
@requires("orgs.manage")
def company_new():
    form = CompanyForm()
    del form.active  # the box is shown on edit only: a new company is active (the service's default)
    if form.validate_on_submit():
        outcome = run_service(form, lambda: services.create_company(data=form.data, actor=current_user))
        if outcome:
            company = outcome.value
            flash(f"Empresa {company.legal_name} registrada.", "success")
            return redirect(url_for("orgs.company_detail", company_id=company.id))
    return render_template("orgs/company_form.html", form=form, company=None)


@bp.route("/empresas/<int:company_id>")
@requires("orgs.view")
def company_detail(company_id: int):
    company = services.get_company(company_id)
    return render_template("orgs/company_detail.html", company=company, ubigeo=ubigeo,
                           can_manage=allows(current_user, "orgs.manage"))


@bp.route("/empresas/<int:company_id>/editar", methods=["GET", "POST"])
@requires("orgs.manage")
def company_edit(company_id: int):
    company = services.get_company(company_id)
    form = CompanyForm(obj=company)
    if not form.is_submitted():
        form.version.data = str(company.version)
    if form.validate_on_submit():
        outcome = run_service(form, lambda: services.update_company(
            company=company, data=form.data, expected_version=_version(), actor=current_user))
        if outcome:
            flash("Empresa actualizada.", "success")
            return redirect(url_for("orgs.company_detail", company_id=company.id))
    return render_template("orgs/company_form.html", form=form, company=company)


@bp.route("/entidades")
@requires("orgs.view")
def entities():
    listing = queries.entity_list(request.args)
    page = listing.paginate()
    return render_template("orgs/entities.html", page=page, q=listing.filters.get("q", ""),
                           level=listing.filters.get("nivel", ""), kind=listing.filters.get("tipo", ""),
                           levels=LEVELS, kinds=ENTITY_KINDS, can_manage=allows(current_user, "orgs.manage"))


@bp.route("/entidades/nueva", methods=["GET", "POST"])
@requires("orgs.manage")
def entity_new():
    form = EntityForm()
    del form.active  # the box is shown on edit only: a new entity is active (the service's default)
    if form.validate_on_submit():
        outcome = run_service(form, lambda: services.create_entity(data=form.data, actor=current_user))
        if outcome:
            entity = outcome.value
            flash(f"Entidad {entity.name} registrada.", "success")
            return redirect(url_for("orgs.entity_detail", entity_id=entity.id))
    return render_template("orgs/entity_form.html", form=form, entity=None)


def _render_entity(entity, cap_form):
    from portfolio.projects.queries import entity_ciprl_usage

    # The cap rule's own figures (the ones the certificate and convenio services check) for this year.
    usage = entity_ciprl_usage(entity.id, clock.today().year)
    return render_template("orgs/entity_detail.html", entity=entity, cap_form=cap_form,
                           can_manage=allows(current_user, "orgs.manage"), ubigeo=ubigeo, usage=usage)


@bp.route("/entidades/<int:entity_id>")
@requires("orgs.view")
def entity_detail(entity_id: int):
    return _render_entity(services.get_entity(entity_id), CapForm(prefix="cap"))


@bp.route("/entidades/<int:entity_id>/topes", methods=["POST"])
@requires("orgs.manage")
def entity_cap_set(entity_id: int):
    entity = services.get_entity(entity_id)
    cap_form = CapForm(prefix="cap")
    if cap_form.validate_on_submit():
        outcome = run_service(cap_form, lambda: services.set_cap(
            entity=entity, year=cap_form.year.data, amount=cap_form.amount.data, legal_basis=cap_form.legal_basis.data,
            published_on=cap_form.published_on.data, notes=cap_form.notes.data, actor=current_user))
        if outcome:
            flash(f"Tope CIPRL {cap_form.year.data} registrado.", "success")
            return redirect(url_for("orgs.entity_detail", entity_id=entity.id))
    return _render_entity(entity, cap_form), 422


@bp.route("/entidades/<int:entity_id>/editar", methods=["GET", "POST"])
@requires("orgs.manage")
def entity_edit(entity_id: int):
    entity = services.get_entity(entity_id)
    form = EntityForm(obj=entity)
    if not form.is_submitted():
        form.version.data = str(entity.version)
    if form.validate_on_submit():
        outcome = run_service(form, lambda: services.update_entity(
            entity=entity, data=form.data, expected_version=_version(), actor=current_user))
        if outcome:
            flash("Entidad actualizada.", "success")
            return redirect(url_for("orgs.entity_detail", entity_id=entity.id))
    return render_template("orgs/entity_form.html", form=form, entity=entity)
