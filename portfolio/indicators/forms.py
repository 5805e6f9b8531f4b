"""Indicator forms: shape only; the rules (past years, recorded quarters, owners) live in services."""
from __future__ import annotations

from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from portfolio.forms import DateField, SpanishForm, select_choices
from portfolio.indicators.models import DIRECTIONS, LEVELS, QUARTERS

YEAR = NumberRange(1990, 2100, "Año fuera de rango.")


class IndicatorForm(SpanishForm):
    code = StringField("Código", validators=[DataRequired("Ingrese un código corto."), Length(max=30)])
    name = StringField("Nombre", validators=[DataRequired("Ingrese el nombre."), Length(max=200)])
    description = TextAreaField("Descripción y fórmula", validators=[Optional(), Length(max=2000)])
    unit = StringField("Unidad", validators=[DataRequired("Ingrese la unidad."), Length(max=60)])
    direction = SelectField("Sentido", choices=select_choices(DIRECTIONS),
                            validators=[DataRequired("Indique si mayor o menor es mejor.")])
    level = SelectField("Nivel de gobierno", choices=select_choices(LEVELS),
                        validators=[DataRequired("Elija el nivel de gobierno.")])
    owner = SelectField("Responsable", choices=[], validate_choice=False,
                        validators=[DataRequired("Elija el responsable.")])
    baseline_value = StringField("Línea de base (valor)", validators=[Optional(), Length(max=30)])
    baseline_year = IntegerField("Año de la línea de base", validators=[Optional(), YEAR])
    baseline_source = StringField("Fuente de la línea de base", validators=[Optional(), Length(max=300)])
    public = BooleanField("Publicar en el portal de transparencia", default=True)


class TargetForm(SpanishForm):
    year = IntegerField("Año", validators=[InputRequired("Indique el año."), YEAR])
    value = StringField("Meta", validators=[DataRequired("Ingrese la meta."), Length(max=30)])


class MeasurementForm(SpanishForm):
    year = IntegerField("Año", validators=[InputRequired("Indique el año."), YEAR])
    quarter = SelectField("Trimestre", choices=select_choices({str(k): v for k, v in QUARTERS.items()}, blank=None),
                          validate_choice=False, validators=[DataRequired("Elija el trimestre.")])
    value = StringField("Valor", validators=[DataRequired("Ingrese el valor."), Length(max=30)])
    source = StringField("Fuente", validators=[DataRequired("Indique la fuente."), Length(max=300)])
    measured_on = DateField("Fecha de medición", validators=[InputRequired("Indique la fecha (dd/mm/aaaa).")])


class CorrectionForm(MeasurementForm):
    reason = TextAreaField("Motivo de la corrección", validators=[DataRequired("Explique el motivo."),
                                                                  Length(max=1000)])
