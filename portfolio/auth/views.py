"""Login, logout and the user's own password."""
from __future__ import annotations

import functools
from urllib.parse import urlsplit

from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from portfolio import db
from portfolio.auth import queries, services
from portfolio.auth.forms import ChangePasswordForm, LoginForm
from portfolio.auth.models import User
from portfolio.auth.policy import anonymous, requires
from portfolio.extensions import login_manager
from portfolio.formatting import format_datetime
from portfolio.forms import run_service

bp = Blueprint("auth", __name__)


@login_manager.user_loader
def load_user(identifier: str) -> User | None:
    """The cookie names the user, the user's token (rotated by password change and deactivation) and the
    server-side session (ended by logout); all three must still hold."""
    user_id, _, token = identifier.partition(":")
    if not user_id.isdigit() or not token:
        return None
    if request.method not in ("GET", "HEAD"):
        return queries.session_user(int(user_id), token, session.get("sid"))[0]
    # A page also needs the data version (kept results) and the bell's count: read them in the same statement.
    from portfolio.read_cache import preset_request_version

    user, extras = queries.session_user(int(user_id), token, session.get("sid"), *_page_columns())
    if user is not None:
        version, unread = extras
        preset_request_version(version or 0)
        g.portfolio_unread_notices = unread or 0
    return user


@functools.cache
def _page_columns() -> tuple:
    """The data version and the bell's count of the session's user, as columns of the session's statement."""
    from portfolio.notifications.queries import unread_count_column
    from portfolio.page_cache import data_version_column

    return data_version_column(), unread_count_column(queries.USER_ID)


def _safe_next(target: str | None) -> str | None:
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def client_address() -> str:
    return request.remote_addr or "-"


def _failed_attempts_notice(failed) -> str:
    shown = "; ".join(f"{format_datetime(at)} desde {address}" for at, address in failed.latest)
    more = f" (se muestran los {len(failed.latest)} más recientes)" if failed.count > len(failed.latest) else ""
    plural = "intento fallido" if failed.count == 1 else "intentos fallidos"
    return (f"Desde su último ingreso hubo {failed.count} {plural} de iniciar sesión con su cuenta{more}: {shown}. "
            "Si no fue usted, cambie su contraseña y avise al administrador.")


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
            return render_template("auth/login.html", form=form), 429, {"Retry-After": str(exc.retry_after)}
        db.session.commit()
        if result.user is not None:
            next_url = _safe_next(request.args.get("next"))
            session.clear()  # a fresh session at login: nothing from before survives
            session["sid"] = result.session_key
            session.permanent = True
            login_user(result.user)
            flash(f"Bienvenido(a), {result.user.name}.", "success")
            if result.failed_attempts and result.failed_attempts.count:
                flash(_failed_attempts_notice(result.failed_attempts), "warning")
            return redirect(next_url or url_for("main.home"))
        form.form_errors.append(result.error)
        status = 401
    elif request.method == "POST":
        status = 400
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
@requires("home")
def logout():
    services.end_session(user=current_user._get_current_object(), session_key=session.get("sid"),
                         actor=current_user._get_current_object())
    db.session.commit()
    logout_user()
    session.clear()
    flash("Cerró sesión correctamente.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/cuenta/contrasena", methods=["GET", "POST"])
@requires("account.password")
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if run_service(form, lambda: services.change_own_password(
                actor=current_user, current_password=form.current_password.data,
                new_password=form.new_password.data)):
            # The token rotated: keep this browser's session, every other one has ended.
            login_user(current_user._get_current_object())  # the user, not the proxy that points back at it
            flash("Su contraseña fue cambiada. Las demás sesiones abiertas se cerraron.", "success")
            return redirect(url_for("main.home"))
    return render_template("auth/change_password.html", form=form)
