from __future__ import annotations

from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional

from portfolio.forms import DateField, MoneyField, SpanishForm, select_choices, valid_ruc, valid_ubigeo
from portfolio.orgs.models import ENTITY_KINDS, LEVELS, SECTORS


class CompanyForm(SpanishForm):
    version = HiddenField()
    ruc = StringField("RUC", validators=[DataRequired("Ingrese el RUC."), Length(max=13), valid_ruc])
    legal_name = StringField("Razón social", validators=[DataRequired("Ingrese la razón social."), Length(max=200)])
    trade_name = StringField("Nombre comercial", validators=[Optional(), Length(max=200)])
    sector = SelectField("Sector", choices=select_choices(SECTORS), validators=[DataRequired("Seleccione un sector.")])
    ubigeo = StringField("Ubigeo (distrito, INEI)", validators=[Optional(), Length(max=6), valid_ubigeo])
    contact_name = StringField("Persona de contacto", validators=[Optional(), Length(max=200)])
    contact_email = EmailField("Correo de contacto", validators=[Optional(), Email("Correo inválido."), Length(max=254)])
    contact_phone = StringField("Teléfono", validators=[Optional(), Length(max=30)])
    active = BooleanField("Activa", default=True)


class EntityForm(SpanishForm):
    version = HiddenField()
    name = StringField("Nombre", validators=[DataRequired("Ingrese el nombre."), Length(max=200)])
    short_name = StringField("Sigla", validators=[Optional(), Length(max=40)])
    ruc = StringField("RUC", validators=[Optional(), Length(max=13), valid_ruc])
    level = SelectField("Nivel de gobierno", choices=select_choices(LEVELS), validators=[DataRequired("Seleccione el nivel.")])
    kind = SelectField("Tipo de entidad", choices=select_choices(ENTITY_KINDS), validators=[DataRequired("Seleccione el tipo.")])
    ubigeo = StringField("Ubigeo (sede)", validators=[Optional(), Length(max=6), valid_ubigeo])
    active = BooleanField("Activa", default=True)


class CapForm(SpanishForm):
    year = IntegerField("Año", validators=[DataRequired("Ingrese el año."), NumberRange(2008, 2100, "Año inválido.")])
    # InputRequired, not DataRequired: a zero cap (0.00) is real and must be accepted.
    amount = MoneyField("Tope CIPRL (S/)", validators=[InputRequired("Ingrese el tope (puede ser 0.00).")])
    legal_basis = StringField("Base legal", validators=[DataRequired("Indique la base legal."), Length(max=300)])
    published_on = DateField("Fecha de publicación", validators=[Optional()])
    notes = TextAreaField("Notas", validators=[Optional(), Length(max=2000)])

