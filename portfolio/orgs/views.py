"""Companies and public entities: lists with search, filters, sorting and pagination; forms for staff/admin."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import or_, select

from portfolio.auth.policy import allows, requires
from portfolio.forms import run_service
from portfolio.listing import paginate, text_arg
from portfolio.orgs import services, ubigeo
from portfolio.orgs.forms import CapForm, CompanyForm, EntityForm
from portfolio.orgs.models import ENTITY_KINDS, LEVELS, SECTORS, Company, PublicEntity

bp = Blueprint("orgs", __name__, url_prefix="/organizaciones")


def _version(form) -> int | None:
    raw = (form.version.data or "").strip()
    return int(raw) if raw.isdigit() else None


@bp.route("/empresas")
@requires("orgs.view")
def companies():
    query = select(Company)
    q = text_arg("q")
    if q:
        like = f"%{q}%"
        query = query.where(or_(Company.ruc.like(like), Company.legal_name.ilike(like), Company.trade_name.ilike(like)))
    sector = text_arg("sector")
    if sector in SECTORS:
        query = query.where(Company.sector == sector)
    region = text_arg("region", 2)
    if region:
        query = query.where(Company.ubigeo.like(f"{region}%"))
    page = paginate(query, sortable={"ruc": Company.ruc, "name": Company.legal_name, "sector": Company.sector},
                    default_sort="name", tiebreak=Company.id)
    return render_template("orgs/companies.html", page=page, q=q, sector=sector, region=region, sectors=SECTORS,
                           departments=ubigeo.departments(), can_manage=allows(current_user, "orgs.manage"))


@bp.route("/empresas/nueva", methods=["GET", "POST"])
@requires("orgs.manage")
def company_new():
    form = CompanyForm()
    if form.validate_on_submit():
        outcome = run_service(form, lambda: services.create_company(form.data))
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
        outcome = run_service(form, lambda: services.update_company(company, form.data, expected_version=_version(form)))
        if outcome:
            flash("Empresa actualizada.", "success")
            return redirect(url_for("orgs.company_detail", company_id=company.id))
    return render_template("orgs/company_form.html", form=form, company=company)


@bp.route("/entidades")
@requires("orgs.view")
def entities():
    query = select(PublicEntity)
    q = text_arg("q")
    if q:
        like = f"%{q}%"
        query = query.where(or_(PublicEntity.name.ilike(like), PublicEntity.short_name.ilike(like),
                                PublicEntity.ruc.like(like)))
    level = text_arg("nivel")
    if level in LEVELS:
        query = query.where(PublicEntity.level == level)
    kind = text_arg("tipo")
    if kind in ENTITY_KINDS:
        query = query.where(PublicEntity.kind == kind)
    page = paginate(query, sortable={"name": PublicEntity.name, "level": PublicEntity.level,
                                     "kind": PublicEntity.kind},
                    default_sort="name", tiebreak=PublicEntity.id)
    return render_template("orgs/entities.html", page=page, q=q, level=level, kind=kind, levels=LEVELS,
                           kinds=ENTITY_KINDS, can_manage=allows(current_user, "orgs.manage"))


@bp.route("/entidades/nueva", methods=["GET", "POST"])
@requires("orgs.manage")
def entity_new():
    form = EntityForm()
    if form.validate_on_submit():
        outcome = run_service(form, lambda: services.create_entity(form.data))
        if outcome:
            entity = outcome.value
            flash(f"Entidad {entity.name} registrada.", "success")
            return redirect(url_for("orgs.entity_detail", entity_id=entity.id))
    return render_template("orgs/entity_form.html", form=form, entity=None)


def _render_entity(entity, cap_form):
    return render_template("orgs/entity_detail.html", entity=entity, cap_form=cap_form,
                           can_manage=allows(current_user, "orgs.manage"), ubigeo=ubigeo)


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
            entity, year=cap_form.year.data, amount=cap_form.amount.data, legal_basis=cap_form.legal_basis.data,
            published_on=cap_form.published_on.data, notes=cap_form.notes.data))
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
        outcome = run_service(form, lambda: services.update_entity(entity, form.data, expected_version=_version(form)))
        if outcome:
            flash("Entidad actualizada.", "success")
            return redirect(url_for("orgs.entity_detail", entity_id=entity.id))
    return render_template("orgs/entity_form.html", form=form, entity=entity)
