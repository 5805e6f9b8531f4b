from __future__ import annotations

from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from portfolio.forms import DateField, SpanishForm, select_choices
from portfolio.rules import REFERENCE_PERMISSION, TRUST_PERMISSION, rules_owned_by


class RuleValueForm(SpanishForm):
    """A new value of a reference rule (administration)."""

    key = SelectField("Regla", choices=select_choices(((k, v[0]) for k, v in rules_owned_by(REFERENCE_PERMISSION).items()),
                                                      blank=None),
                      validators=[DataRequired("Seleccione la regla.")])
    value = StringField("Nuevo valor", validators=[DataRequired("Ingrese el valor."), Length(max=20)])
    effective_from = DateField("Vigente desde", validators=[DataRequired("Ingrese una fecha válida.")])
    legal_basis = StringField("Base legal", validators=[DataRequired("Indique la base legal."), Length(max=300)])


class TrustRuleValueForm(SpanishForm):
    """A new value of a trust rule (trustee), citing the Comité Técnico's resolution."""

    key = SelectField("Regla del fideicomiso",
                      choices=select_choices(((k, v[0]) for k, v in rules_owned_by(TRUST_PERMISSION).items()),
                                             blank=None),
                      validators=[DataRequired("Seleccione la regla.")])
    value = StringField("Nuevo valor", validators=[DataRequired("Ingrese el valor."), Length(max=20)])
    effective_from = DateField("Vigente desde", validators=[DataRequired("Ingrese una fecha válida.")])
    resolution_number = StringField("N.° del acuerdo del Comité Técnico",
                                    validators=[DataRequired("Indique el número del acuerdo."), Length(max=60)])
    resolution_date = DateField("Fecha del acuerdo", validators=[DataRequired("Ingrese la fecha del acuerdo.")])
    legal_basis = StringField("Nota (opcional)", validators=[Optional(), Length(max=200)])
