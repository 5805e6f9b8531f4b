"""Administration: users, effective-dated rules and the audit trail viewer."""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from portfolio import db
from portfolio.admin import queries
from portfolio.admin.forms import RuleValueForm
from portfolio.audit import AuditEntry
from portfolio.audit_labels import ACTION_LABELS, OBJECT_LABELS, object_link
from portfolio.auth import services as auth_services
from portfolio.auth.forms import ResetPasswordForm, UserForm
from portfolio.auth.policy import allows, requires
from portfolio.auth.roles import ROLE_LABELS
from portfolio.errors import DomainError
from portfolio.forms import run_service, select_choices
from portfolio.orgs.models import Company
from portfolio.rules import RULES, RuleValue, add_rule_value

bp = Blueprint("admin", __name__)


def _company_choices():
    companies = db.session.execute(select(Company.id, Company.legal_name).order_by(Company.legal_name)).all()
    return select_choices([("0", "— Ninguna —")] + [(str(c.id), c.legal_name) for c in companies], blank=None)


@bp.route("/admin/usuarios")
@requires("users.manage")
def users():
    listing = queries.user_list(request.args)
    page = listing.paginate()
    return render_template("admin/users.html", page=page, roles=ROLE_LABELS, q=listing.filters.get("q", ""),
                           role=listing.filters.get("rol", ""), state=listing.filters.get("estado", ""))


@bp.route("/admin/usuarios/nuevo", methods=["GET", "POST"])
@requires("users.manage")
def user_new():
    form = UserForm()
    form.company_id.choices = _company_choices()
    form.password.flags.required = True
    if form.validate_on_submit():
        outcome = run_service(form, lambda: auth_services.create_user(
            email=form.email.data, name=form.name.data, role=form.role.data,
            password=form.password.data or "", company_id=form.company_id.data or None, actor=current_user,
        ))
        if outcome:
            user = outcome.value
            flash(f"Usuario {user.email} creado.", "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=None)


@bp.route("/admin/usuarios/<int:user_id>", methods=["GET", "POST"])
@requires("users.manage")
def user_edit(user_id: int):
    user = auth_services.get_user(user_id)
    form = UserForm(obj=user)
    form.company_id.choices = _company_choices()
    if not form.is_submitted():
        form.company_id.data = user.company_id or 0
    reset_form = ResetPasswordForm(prefix="reset")
    if form.validate_on_submit():
        outcome = run_service(form, lambda: auth_services.update_user(user, name=form.name.data, role=form.role.data,
                                  company_id=form.company_id.data or None, active=form.active.data,
                                  actor=current_user))
        if outcome:
            flash("Usuario actualizado.", "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=user, reset_form=reset_form)


@bp.route("/admin/usuarios/<int:user_id>/contrasena", methods=["POST"])
@requires("users.manage")
def user_reset_password(user_id: int):
    user = auth_services.get_user(user_id)
    reset_form = ResetPasswordForm(prefix="reset")
    if reset_form.validate_on_submit():
        try:
            auth_services.set_password(user, reset_form.password.data, actor=current_user)
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
        else:
            db.session.commit()
            flash("Contraseña restablecida; las sesiones abiertas de ese usuario se cerraron.", "success")
    else:
        flash("Ingrese la nueva contraseña.", "danger")
    return redirect(url_for("admin.user_edit", user_id=user.id))


def _render_rules(form, can_manage: bool):
    values = db.session.scalars(select(RuleValue).order_by(RuleValue.key, RuleValue.effective_from.desc())).all()
    today = dt.date.today()
    in_force: dict[str, int] = {}
    for row in values:
        if row.effective_from <= today and row.key not in in_force:
            in_force[row.key] = row.id
    return render_template("admin/rules.html", values=values, rules=RULES, form=form, can_manage=can_manage,
                           in_force=set(in_force.values()), today=today)


@bp.route("/admin/reglas")
@requires("rules.view")
def rules():
    return _render_rules(RuleValueForm(), allows(current_user, "rules.manage"))


@bp.route("/admin/reglas", methods=["POST"])
@requires("rules.manage")
def rule_add():
    form = RuleValueForm()
    if form.validate_on_submit():
        outcome = run_service(form, lambda: add_rule_value(
            key=form.key.data, value=form.value.data, effective_from=form.effective_from.data,
            legal_basis=form.legal_basis.data, actor=current_user))
        if outcome:
            flash("Nuevo valor registrado. Los valores anteriores se conservan para fechas pasadas.", "success")
            return redirect(url_for("admin.rules"))
    return _render_rules(form, True), 422


@bp.route("/auditoria")
@requires("audit.view")
def audit_log():
    listing = queries.audit_list(request.args)
    page = listing.paginate(per_page=50)
    object_types = [(t, OBJECT_LABELS.get(t, t)) for t in
                    db.session.scalars(select(AuditEntry.object_type).distinct().order_by(AuditEntry.object_type))]
    actions = sorted(ACTION_LABELS.items(), key=lambda item: item[1])
    if listing.filters.get("accion") and listing.filters["accion"] not in ACTION_LABELS:
        actions.insert(0, (listing.filters["accion"], listing.filters["accion"]))  # a prefix typed in the URL
    return render_template("admin/audit_log.html", page=page, object_types=object_types, errors=listing.errors,
                           filters=listing.filters, actions=actions, object_link=object_link)
