"""«Claves de API»: a user creates, sees (without the secret) and revokes their own tokens; the administrator
does the same for any user. The secret is shown once, on the page that answers the creation."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user
from wtforms import IntegerField, SelectField, SelectMultipleField, StringField, widgets
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from portfolio import clock
from portfolio.api import queries, services
from portfolio.api.models import SCOPE_LABELS, SCOPES, Scope
from portfolio.auth.policy import allows, requires
from portfolio.forms import SpanishForm, run_service

bp = Blueprint("api_keys", __name__, url_prefix="/cuenta/claves-api")


class TokenForm(SpanishForm):
    name = StringField("Nombre de la clave", validators=[DataRequired(), Length(max=80)])
    scopes = SelectMultipleField("Alcances", choices=[(s.value, SCOPE_LABELS[s]) for s in SCOPES],
                                 default=[Scope.READ.value], option_widget=widgets.CheckboxInput(),
                                 widget=widgets.ListWidget(prefix_label=False))
    days = IntegerField("Vigencia (días)", default=services.DEFAULT_DAYS,
                        validators=[Optional(), NumberRange(min=1, max=services.MAX_DAYS)])
    user_id = SelectField("Usuario", coerce=int, validators=[Optional()])


class RevokeForm(SpanishForm):
    pass


def _manages() -> bool:
    return allows(current_user, "api.tokens.manage")


def _form() -> TokenForm:
    form = TokenForm()
    if _manages():
        form.user_id.choices = [(u.id, f"{u.email} ({u.role_label})") for u in queries.active_users()]
    else:
        del form.user_id
    return form


@bp.route("/", methods=["GET", "POST"])
@requires("api.tokens.own")
def index():
    form = _form()
    created = None
    if form.validate_on_submit():
        user_id = form.user_id.data if _manages() and form.user_id.data else current_user.id
        outcome = run_service(form, lambda: services.create_token(
            user_id=user_id, name=form.name.data, scopes=form.scopes.data, days=form.days.data, actor=current_user))
        if outcome:
            token, secret = outcome.value
            created = {"secret": secret, "name": token.name}
            form = _form()
    tokens = queries.all_tokens() if _manages() else queries.tokens_of(current_user.id)
    response = render_template("api/tokens.html", form=form, tokens=tokens, created=created, manages=_manages(),
                               revoke=RevokeForm(), now_utc=clock.utcnow())
    return response, 200, {"Cache-Control": "no-store"}


@bp.route("/<int:token_id>/revocar", methods=["POST"])
@requires("api.tokens.own")
def revoke(token_id: int):
    form = RevokeForm()
    if form.validate_on_submit():
        outcome = run_service(form, lambda: services.revoke_token(token_id=token_id, actor=current_user))
        if outcome:
            flash(f"Clave «{outcome.value.name}» revocada: deja de funcionar de inmediato.", "success")
        else:
            for error in form.form_errors or ["No se pudo revocar la clave."]:
                flash(error, "danger")
    return redirect(url_for("api_keys.index"))
