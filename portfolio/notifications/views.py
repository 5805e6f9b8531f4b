"""The notification centre (/avisos): the list with mark as read, the channel per kind, the private calendar
link; and the calendar feed itself (/avisos/calendario/<token>.ics, public: the token is the credential)."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user

from portfolio import clock
from portfolio.auth.policy import public, requires
from portfolio.forms import run_service
from portfolio.notifications import calendar, links, queries, services
from portfolio.notifications.forms import ActionForm, preferences_form
from portfolio.notifications.obligations import notified_kinds, obligations_for
from portfolio.notifications.vocab import CHANNEL_LABELS, EMAIL_STATUS_LABELS, KIND_LABELS, LEGAL_KINDS
from portfolio.urls import public_base_url

bp = Blueprint("notifications", __name__, url_prefix="/avisos")
TOKEN_KEY = "calendar_token_once"


@bp.route("/")
@requires("notifications.own")
def index():
    unread_only = request.args.get("estado") == "no-leidos"
    try:
        page = max(int(request.args.get("pagina", "1")), 1)
    except ValueError:
        page = 1
    total, notices = queries.inbox(current_user.id, page=page, unread_only=unread_only)
    return render_template("notifications/index.html", notices=notices, total=total, page=page,
                           pages=max(1, -(-total // 25)), unread_only=unread_only, form=ActionForm(),
                           smtp_configured=bool(current_app.config.get("SMTP_URL")),
                           email_labels=EMAIL_STATUS_LABELS, kind_labels=KIND_LABELS)


@bp.route("/leidos", methods=["POST"])
@requires("notifications.own")
def mark_read():
    form = ActionForm()
    everything = request.form.get("todos") == "1"
    ids = [value for value in request.form.getlist("aviso") if value.isdigit()]
    if form.validate_on_submit():
        outcome = run_service(form, lambda: services.mark_read(actor=current_user, notice_ids=ids,
                                                               everything=everything))
        if outcome:
            flash("Avisos marcados como leídos." if outcome.value else "No había avisos por marcar.", "success")
        else:
            flash(form.form_errors[0] if form.form_errors else "No se pudo marcar los avisos.", "danger")
    else:
        flash("La sesión del formulario venció; vuelva a intentarlo.", "danger")
    return redirect(request.form.get("volver") if request.form.get("volver", "").startswith("/avisos")
                    else url_for("notifications.index"))


@bp.route("/preferencias", methods=["GET", "POST"])
@requires("notifications.own")
def preferences():
    kinds = notified_kinds(current_user)
    current = queries.preferences(current_user.id)
    contact = queries.is_company_contact(current_user)
    form = preferences_form(kinds, current, formdata=request.form if request.method == "POST" else None)
    if request.method == "POST" and form.validate_on_submit():
        choices = {kind: form[f"kind_{kind}"].data for kind in kinds}
        if run_service(form, lambda: services.set_preferences(actor=current_user, choices=choices)):
            flash("Preferencias de avisos guardadas.", "success")
            return redirect(url_for("notifications.preferences"))
    feed = queries.calendar_feed(current_user.id)
    token = session.pop(TOKEN_KEY, None)
    return render_template("notifications/preferences.html", form=form, kinds=kinds, contact=contact,
                           legal=LEGAL_KINDS, channel_labels=CHANNEL_LABELS, action=ActionForm(),
                           feed_active=bool(feed and feed.token_hash),
                           feed_url=links.absolute(url_for("notifications.feed", token=token), public_base_url())
                           if token else None,
                           smtp_configured=bool(current_app.config.get("SMTP_URL")))


@bp.route("/calendario/nuevo", methods=["POST"])
@requires("notifications.own")
def calendar_issue():
    form = ActionForm()
    if form.validate_on_submit():
        outcome = run_service(form, lambda: services.issue_calendar_token(actor=current_user))
        if outcome:
            session[TOKEN_KEY] = outcome.value  # shown once on the next page, never stored
            flash("Enlace privado de calendario creado; el anterior, si había uno, dejó de funcionar.", "success")
    return redirect(url_for("notifications.preferences"))


@bp.route("/calendario/revocar", methods=["POST"])
@requires("notifications.own")
def calendar_revoke():
    form = ActionForm()
    if form.validate_on_submit():
        if run_service(form, lambda: services.revoke_calendar_token(actor=current_user)):
            flash("Enlace de calendario revocado: ya no muestra sus vencimientos.", "success")
        else:
            flash(form.form_errors[0] if form.form_errors else "No tiene un enlace activo.", "danger")
    return redirect(url_for("notifications.preferences"))


@bp.route("/calendario/<token>.ics")
@public
def feed(token: str):
    """The calendar feed: the token in the URL is the credential (unknown or revoked: 404)."""
    user = queries.user_for_feed_token(token)
    if user is None:
        abort(404)
    base = public_base_url()
    body = calendar.feed(obligations_for(user, clock.today()), domain=base.split("//")[-1].split("/")[0],
                         url_for_ob=lambda ob: links.absolute(links.path_for(ob), base))
    response = current_app.response_class(body, mimetype="text/calendar")
    response.headers["Content-Disposition"] = 'inline; filename="vencimientos.ics"'
    response.headers["Cache-Control"] = "private, max-age=900"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
