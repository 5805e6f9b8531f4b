"""Administration: users, effective-dated rules and the audit trail viewer."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portfolio import clock
from portfolio.admin import queries
from portfolio.admin.forms import RuleValueForm, TrustRuleValueForm
from portfolio.audit_labels import ACTION_LABELS, OBJECT_LABELS, object_link
from portfolio.auth import services as auth_services
from portfolio.auth.forms import ResetPasswordForm, UserForm
from portfolio.auth.policy import allows, requires
from portfolio.auth.roles import ROLE_LABELS
from portfolio.forms import run_service, select_choices
from portfolio.orgs import queries as orgs_queries
from portfolio.rules import REFERENCE_PERMISSION, RULES, TRUST_PERMISSION, add_rule_value

bp = Blueprint("admin", __name__)


def _company_choices():
    companies = orgs_queries.company_names()
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
        outcome = run_service(form, lambda: auth_services.update_user(user=user, name=form.name.data, role=form.role.data,
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
        outcome = run_service(reset_form, lambda: auth_services.set_password(
            user=user, new_password=reset_form.password.data, actor=current_user))
        if outcome:
            flash("Contraseña restablecida; las sesiones abiertas de ese usuario se cerraron.", "success")
        else:
            for message in reset_form.form_errors + reset_form.password.errors:
                flash(message, "danger")
    else:
        flash("Ingrese la nueva contraseña.", "danger")
    return redirect(url_for("admin.user_edit", user_id=user.id))


def _render_rules(form=None, trust_form=None):
    values = queries.rule_values()
    today = clock.today()
    in_force: dict[str, int] = {}
    for row in values:
        if row.effective_from <= today and row.key not in in_force:
            in_force[row.key] = row.id
    # Each form only for the owner of its rules: the administration the reference rules, the trustee the trust's.
    if form is None and allows(current_user, REFERENCE_PERMISSION):
        form = RuleValueForm()
    if trust_form is None and allows(current_user, TRUST_PERMISSION):
        trust_form = TrustRuleValueForm(prefix="fid")
    return render_template("admin/rules.html", values=values, rules=RULES, form=form, trust_form=trust_form,
                           in_force=set(in_force.values()), today=today)


@bp.route("/admin/reglas")
@requires("rules.view")
def rules():
    return _render_rules()


@bp.route("/admin/reglas", methods=["POST"])
@requires(REFERENCE_PERMISSION)
def rule_add():
    form = RuleValueForm()
    if form.validate_on_submit():
        outcome = run_service(form, lambda: add_rule_value(
            key=form.key.data, value=form.value.data, effective_from=form.effective_from.data,
            legal_basis=form.legal_basis.data, actor=current_user))
        if outcome:
            flash("Nuevo valor registrado. Los valores anteriores se conservan para fechas pasadas.", "success")
            return redirect(url_for("admin.rules"))
    return _render_rules(form=form), 422


@bp.route("/admin/reglas/fideicomiso", methods=["POST"])
@requires(TRUST_PERMISSION)
def trust_rule_add():
    form = TrustRuleValueForm(prefix="fid")
    if form.validate_on_submit():
        outcome = run_service(form, lambda: add_rule_value(
            key=form.key.data, value=form.value.data, effective_from=form.effective_from.data,
            resolution_number=form.resolution_number.data, resolution_date=form.resolution_date.data,
            legal_basis=form.legal_basis.data, actor=current_user))
        if outcome:
            flash("Nuevo valor de la regla del fideicomiso registrado con el acuerdo del Comité Técnico. "
                  "Los valores anteriores se conservan para fechas pasadas.", "success")
            return redirect(url_for("admin.rules"))
    return _render_rules(trust_form=form), 422


@bp.route("/auditoria")
@requires("audit.view")
def audit_log():
    listing = queries.audit_list(request.args)
    page = listing.paginate(per_page=50)
    object_types = [(t, OBJECT_LABELS.get(t, t)) for t in queries.audit_object_types()]
    actions = sorted(ACTION_LABELS.items(), key=lambda item: item[1])
    if listing.filters.get("accion") and listing.filters["accion"] not in ACTION_LABELS:
        actions.insert(0, (listing.filters["accion"], listing.filters["accion"]))  # a prefix typed in the URL
    return render_template("admin/audit_log.html", page=page, object_types=object_types, errors=listing.errors,
                           filters=listing.filters, actions=actions, object_link=object_link)
