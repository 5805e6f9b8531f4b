"""Forms of the notification centre: a CSRF-only action form and the channel per kind of obligation."""
from __future__ import annotations

from wtforms import RadioField
from wtforms.validators import InputRequired

from portfolio.forms import SpanishForm, select_choices
from portfolio.notifications.vocab import CHANNEL_LABELS, KIND_LABELS, Channel


class ActionForm(SpanishForm):
    """Mark as read, create or revoke the calendar link: the CSRF token is the whole form."""


def preferences_form(kinds, current: dict[str, str], formdata=None) -> SpanishForm:
    """One radio group per kind the user deals with (``kind_<kind>``), preset to the current channel (never
    chosen: e-mail and in-app)."""

    class PreferencesForm(SpanishForm):
        pass

    for kind in kinds:
        setattr(PreferencesForm, f"kind_{kind}", RadioField(
            KIND_LABELS[kind], choices=select_choices(CHANNEL_LABELS, blank=None), default=current.get(kind) or Channel.CORREO,
            validators=[InputRequired("Elija una opción.")]))
    return PreferencesForm(formdata=formdata)
