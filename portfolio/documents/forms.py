"""Document forms: shape only. The file's content, type and owner rules are the service's."""
from __future__ import annotations

from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, SelectField, StringField
from wtforms.validators import InputRequired, Length, Optional

from portfolio.forms import DateField, MoneyField, SpanishForm, select_choices


class UploadForm(SpanishForm):
    target = SelectField("Adjuntar a", validators=[InputRequired("Indique a qué se adjunta el documento.")],
                         validate_choice=False)
    doc_type = SelectField("Tipo de documento", validators=[Optional()], validate_choice=False)
    doc_date = DateField("Fecha del documento", validators=[Optional()])
    title = StringField("Descripción (opcional)", validators=[Optional(), Length(max=200)])
    public = SelectField("Portal de transparencia", choices=select_choices([
        ("", "Según el tipo (convenio, adendas, informes, actas y fotos: públicos)"), ("1", "Público en el portal"),
        ("0", "Privado (solo usuarios autorizados)")], blank=None), validate_choice=True, default="")

    def visibility(self) -> bool | None:
        return {"1": True, "0": False}.get(self.public.data or "")
    file = FileField("Archivo (PDF, JPEG, PNG, XLSX o DOCX)", validators=[FileRequired("Elija el archivo.")])
    invoice_ruc = StringField("RUC del emisor", validators=[Optional(), Length(max=20)])
    invoice_serie = StringField("Serie", validators=[Optional(), Length(max=10)])
    invoice_numero = StringField("Número", validators=[Optional(), Length(max=12)])
    invoice_amount = MoneyField("Monto del comprobante", validators=[Optional()])
    supersedes = HiddenField()

    def owner(self) -> tuple[str, int | None]:
        kind, _, raw = (self.target.data or "").partition(":")
        return kind, int(raw) if raw.isdigit() else None


class WithdrawForm(SpanishForm):
    reason = StringField("Motivo del retiro", validators=[InputRequired("Indique el motivo del retiro."),
                                                          Length(max=300)])
