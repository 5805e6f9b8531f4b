"""Forms of the PDF doors: issuing one (a year or a period; shape only) and checking a file on the
verification page."""
from __future__ import annotations

from flask_wtf.file import FileField
from wtforms import IntegerField, StringField
from wtforms.validators import NumberRange, Optional

from portfolio.forms import DateField, SpanishForm


class IssueForm(SpanishForm):
    """The POST behind a «Descargar PDF» button: the year (constancia) or the period (estados de cuenta)."""

    year = IntegerField("Año", validators=[Optional(), NumberRange(2000, 2199, "Indique un año entre 2000 y 2199.")])
    desde = DateField("Desde", validators=[Optional()])
    hasta = DateField("Hasta", validators=[Optional()])


class VerifyFileForm(SpanishForm):
    """Upload the PDF one received (or paste its SHA-256) to check that it is exactly the one issued."""

    archivo = FileField("Archivo PDF recibido")
    sha256 = StringField("o su huella SHA-256", validators=[Optional()])
