from __future__ import annotations

from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from portfolio.forms import DateField, SpanishForm, select_choices
from portfolio.rules import RULES


class RuleValueForm(SpanishForm):
    key = SelectField("Regla", choices=select_choices(((k, v[0]) for k, v in RULES.items()), blank=None),
                      validators=[DataRequired("Seleccione la regla.")])
    value = StringField("Nuevo valor", validators=[DataRequired("Ingrese el valor."), Length(max=20)])
    effective_from = DateField("Vigente desde", validators=[DataRequired("Ingrese una fecha válida.")])
    legal_basis = StringField("Base legal", validators=[DataRequired("Indique la base legal."), Length(max=300)])
