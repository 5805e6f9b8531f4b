"""Login, logout and the user's own password."""
from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from portfolio import db
from portfolio.auth import queries, services
from portfolio.auth.forms import ChangePasswordForm, LoginForm
from portfolio.auth.models import User
from portfolio.auth.policy import anonymous, requires
from portfolio.errors import DomainError
from portfolio.extensions import login_manager
from portfolio.forms import attach_error

bp = Blueprint("auth", __name__)


@login_manager.user_loader
def load_user(identifier: str) -> User | None:
    user_id, _, token = identifier.partition(":")
    if not user_id.isdigit() or not token:
        return None
    user = queries.user_by_id(int(user_id))
    if user is None or not user.active or not secrets.compare_digest(user.session_token, token):
        return None
    return user


def _safe_next(target: str | None) -> str | None:
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def client_address() -> str:
    return request.remote_addr or "-"


@bp.route("/login", methods=["GET", "POST"])
@anonymous
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        try:
            result = services.authenticate(form.email.data, form.password.data, client_address())
        except services.LoginThrottled as exc:
            db.session.rollback()
            form.form_errors.append(exc.message)
            return render_template("auth/login.html", form=form), 429
        db.session.commit()
        if result.user is not None:
            next_url = _safe_next(request.args.get("next"))
            session.clear()  # a fresh session at login: nothing from before survives
            session["sid"] = secrets.token_urlsafe(16)
            session.permanent = True
            login_user(result.user)
            flash(f"Bienvenido(a), {result.user.name}.", "success")
            return redirect(next_url or url_for("main.home"))
        form.form_errors.append(result.error)
        status = 401
    elif request.method == "POST":
        status = 400
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
@requires("home")
def logout():
    logout_user()
    session.clear()
    flash("Cerró sesión correctamente.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/cuenta/contrasena", methods=["GET", "POST"])
@requires("account.password")
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_own_password(current_user, form.current_password.data, form.new_password.data)
        except DomainError as exc:
            db.session.rollback()
            attach_error(form, exc)
        else:
            db.session.commit()
            # The token rotated: keep this browser's session, every other one has ended.
            login_user(current_user)
            flash("Su contraseña fue cambiada. Las demás sesiones abiertas se cerraron.", "success")
            return redirect(url_for("main.home"))
    return render_template("auth/change_password.html", form=form)
