"""Shared form fields and validators: money, dates, months, RUC, ubigeo. Forms check shape only; rules live
in services."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from flask_wtf import FlaskForm
from wtforms import Field, StringField
from wtforms.i18n import get_translations
from wtforms.validators import StopValidation, ValidationError

from portfolio.formatting import (
    DATE_HINT,
    MONTH_HINT,
    DateInputError,
    date_input_value,
    month_input_value,
    parse_date,
    parse_month,
)
from portfolio.money import MoneyError, parse_money
from portfolio.orgs import ubigeo
from portfolio.orgs.ruc import clean_ruc, ruc_problem

__all__ = [
    "MoneyField", "Outcome", "SpanishForm", "attach_error", "clean_ruc", "ruc_problem", "run_service", "select_choices",
    "valid_ruc", "valid_ubigeo",
]

_SPANISH = get_translations(["es"])


class SpanishForm(FlaskForm):
    """A FlaskForm whose built-in WTForms messages ("Not a valid date value.") come in Spanish.

    Flask-WTF only translates them through Flask-Babel, which the app does not use."""

    class Meta:
        def get_translations(self, form):
            return _SPANISH


class MoneyField(StringField):
    """A text input holding soles; ``data`` is an exact Decimal or None. Never rounds."""

    def __init__(self, label=None, validators=None, allow_negative: bool = False, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.allow_negative = allow_negative
        self.money_error: str | None = None

    def process_formdata(self, valuelist):
        self.money_error = None
        raw = valuelist[0].strip() if valuelist else ""
        self.raw_data = [raw]
        if not raw:
            self.data = None
            return
        try:
            self.data = parse_money(raw, allow_negative=self.allow_negative)
        except MoneyError as exc:
            self.data = None
            self.money_error = str(exc)

    def pre_validate(self, form):
        if self.money_error:
            raise ValidationError(self.money_error)

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        if isinstance(self.data, Decimal):
            return f"{self.data:.2f}"
        return ""


class _TypedDateField(StringField):
    """A plain text input (never the browser's own date widget, whose language and format follow the
    browser's settings and which Firefox and Safari lack for months): people type the Peruvian form, the
    hint says which, and the server parses it. ``data`` is a ``datetime.date`` or None."""

    hint = ""
    parse = staticmethod(parse_date)
    show = staticmethod(date_input_value)

    def __init__(self, label=None, validators=None, render_kw=None, **kwargs):
        attrs = {"inputmode": "numeric", "placeholder": self.hint, "autocomplete": "off",
                 "maxlength": len(self.hint), "data-format": self.hint}
        attrs.update(render_kw or {})
        super().__init__(label, validators, render_kw=attrs, **kwargs)
        self.date_error: str | None = None

    def process_formdata(self, valuelist):
        self.date_error = None
        raw = valuelist[0].strip() if valuelist else ""
        self.raw_data = [raw]
        try:
            self.data = self.parse(raw)
        except DateInputError as exc:
            self.data = None
            self.date_error = str(exc)

    def pre_validate(self, form):
        if self.date_error:
            raise StopValidation(self.date_error)

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return self.show(self.data) if isinstance(self.data, dt.date) else ""


class DateField(_TypedDateField):
    """A day typed as dd/mm/aaaa (``15/03/2026``; ISO ``2026-03-15`` from older clients is accepted too)."""

    hint = DATE_HINT
    parse = staticmethod(parse_date)
    show = staticmethod(date_input_value)


class MonthField(_TypedDateField):
    """A month typed as mm/aaaa (``03/2026``; ISO ``2026-03`` too); ``data`` is the month's first day."""

    hint = MONTH_HINT
    parse = staticmethod(parse_month)
    show = staticmethod(month_input_value)


def valid_ruc(form, field: Field) -> None:
    if field.data:
        field.data = clean_ruc(field.data)
        problem = ruc_problem(field.data)
        if problem:
            raise ValidationError(problem)


def valid_ubigeo(form, field: Field) -> None:
    if field.data:
        field.data = field.data.strip()
        if not ubigeo.is_valid(field.data):
            raise ValidationError("Ubigeo inválido: use el código INEI de 6 dígitos de un distrito (p. ej. 130101).")


def attach_error(form, exc) -> None:
    """Show a service's DomainError next to its field, or at the top of the form."""
    target = getattr(form, exc.field, None) if getattr(exc, "field", None) else None
    if target is not None and hasattr(target, "errors"):
        target.errors = list(target.errors) + [exc.message]
    else:
        form.form_errors.append(exc.message)


class Outcome:
    """What ``run_service`` returns: ``ok`` and the service's return ``value``."""

    __slots__ = ("ok", "value")

    def __init__(self, ok: bool, value=None):
        self.ok, self.value = ok, value

    def __bool__(self) -> bool:
        return self.ok


def run_service(form, action) -> Outcome:
    """The request contract in one place: call one service, commit once on success; on a DomainError
    roll everything back (nothing partial is written) and show the message on the form."""
    from portfolio import db

    failed = Outcome(False)

    def refuse(exc) -> Outcome:
        attach_error(form, exc)
        return failed

    value = db.commit_or_rollback(action, refuse)
    return failed if value is failed else Outcome(True, value)


def select_choices(pairs, blank: str | None = "— Seleccione —"):
    """Choices for a SelectField from a mapping or (value, label) pairs, with an optional blank first."""
    from wtforms.fields.choices import SelectChoice

    items = pairs.items() if hasattr(pairs, "items") else pairs
    result = [SelectChoice("", blank)] if blank is not None else []
    result.extend(SelectChoice(value, label) for value, label in items)
    return result
