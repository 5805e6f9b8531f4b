"""Home page per role and the health check."""
from __future__ import annotations

from flask import Blueprint, jsonify, render_template
from flask_login import current_user

from portfolio import db
from portfolio.auth.policy import public, requires

bp = Blueprint("main", __name__)


@bp.route("/")
@requires("home")
def home():
    from portfolio.dashboards.home import context_for

    template, context = context_for(current_user)
    return render_template(template, user=current_user, **context)


@bp.route("/healthz")
@public
def healthz():
    database = "ok" if db.answers() else "error"
    status = 200 if database == "ok" else 503
    return jsonify(status="ok" if status == 200 else "degraded", database=database), status
