"""Home page per role and the health check."""
from __future__ import annotations

from flask import Blueprint, jsonify, redirect, render_template, url_for
from flask_login import current_user

from portfolio import db
from portfolio.auth.policy import allows, public
from portfolio.kept_pages import kept_page

bp = Blueprint("main", __name__)


@bp.route("/")
@public
@kept_page
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
    database = "ok" if db.answers() else "error"
    status = 200 if database == "ok" else 503
    return jsonify(status="ok" if status == 200 else "degraded", database=database), status
