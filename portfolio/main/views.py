"""Home page per role and the health check."""
from __future__ import annotations

from flask import Blueprint, jsonify, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import text

from portfolio import db
from portfolio.auth.policy import allows, public
from portfolio.navigation import NavItem

bp = Blueprint("main", __name__)

NAV = [
    NavItem("Organizaciones", "orgs.companies", "orgs.view", order=50, prefix="/organizaciones",
            section="Empresas aportantes e inversionistas; entidades públicas y sus topes CIPRL."),
    NavItem("Usuarios", "admin.users", "users.manage", order=80,
            section="Cuentas, roles y accesos; restablecer contraseñas."),
    NavItem("Reglas", "admin.rules", "rules.view", order=85,
            section="Topes, porcentajes y tasas vigentes por fecha, con su base legal."),
    NavItem("Auditoría", "admin.audit_log", "audit.view", order=90,
            section="Quién hizo qué y cuándo, con los valores antes y después."),
]


@bp.route("/")
@public
def home():
    """A signed-in user's own home page; a citizen (anyone not signed in) goes to the transparency portal."""
    from portfolio.dashboards.home import context_for

    if not allows(current_user, "home"):
        return redirect(url_for("public.home"))

    template, context = context_for(current_user)
    return render_template(template, user=current_user, **context)


@bp.route("/healthz")
@public
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
        database = "ok"
    except Exception:  # the check must answer even when the database is down
        db.session.rollback()
        database = "error"
    status = 200 if database == "ok" else 503
    return jsonify(status="ok" if status == 200 else "degraded", database=database), status
