"""Trust forms: shape only (types, required, formats). Every money form carries an idempotency key
(``idem``), generated when the form is first shown, so a replayed or double-submitted form is recognised."""
from __future__ import annotations

import datetime as dt
import re
import uuid

from wtforms import HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from portfolio.formatting import parse_month
from portfolio.forms import DateField, MoneyField, MonthField, SpanishForm, select_choices, valid_ruc
from portfolio.trust.models import BANKS, LEGAL_STATUS
from portfolio.trust.vocab import VoteDecision

INVOICE_RE = re.compile(r"^\s*(\d{11})\s+([A-Za-z0-9]{4})\s*-\s*(\d{1,8})\s*$")


class Integer(IntegerField):
    def process_formdata(self, valuelist):
        if valuelist and valuelist[0].strip():
            try:
                self.data = int(valuelist[0].strip())
            except ValueError:
                self.data = None
                raise ValueError("Ingrese un número entero.") from None
        else:
            self.data = None


# The trust's forms use the shared typed fields: dd/mm/aaaa days and mm/aaaa months in every browser.
Date = DateField
Month = MonthField


def _month_choice(value):
    return value if isinstance(value, dt.date) else parse_month(str(value))


class MonthSelectField(SelectField):
    """A ``<select>`` of months (value aaaa-mm, label «noviembre de 2026») → the first day of the month.
    The choices are what the page offers; the service decides whether the posted month may be used."""

    def __init__(self, label=None, validators=None, **kw):
        super().__init__(label, validators, coerce=_month_choice, validate_choice=False, **kw)

    def process_formdata(self, valuelist):
        raw = (valuelist[0] if valuelist else "").strip()
        self.data = parse_month(raw) if raw else None


def new_key() -> str:
    return uuid.uuid4().hex


class MoneyForm(SpanishForm):
    idem = HiddenField(default=new_key)

    def key(self) -> str:
        return f"form:{self.idem.data or ''}"


class DeclareForm(MoneyForm):
    month = Month("Mes declarado", validators=[DataRequired("Indique el mes.")])
    payroll = MoneyField("Planilla bruta del mes (S/)", validators=[InputRequired("Ingrese la planilla.")])
    headcount = Integer("Número de trabajadores", validators=[DataRequired("Ingrese el número de trabajadores."),
                                                             NumberRange(1, 1_000_000, "Al menos 1 trabajador.")])


class OnBehalfDeclareForm(DeclareForm):
    """The trustee's declaration: the same fields plus the company it declares for (choices: active companies)."""

    company_id = SelectField("Empresa", validators=[DataRequired("Seleccione la empresa.")])


class RectifyForm(MoneyForm):
    payroll = MoneyField("Planilla bruta corregida (S/)", validators=[InputRequired("Ingrese la planilla.")])
    headcount = Integer("Número de trabajadores", validators=[DataRequired("Ingrese el número de trabajadores."),
                                                             NumberRange(1, 1_000_000, "Al menos 1 trabajador.")])
    reason = StringField("Motivo de la rectificación", validators=[DataRequired("Indique el motivo."), Length(max=300)])


class PaymentForm(MoneyForm):
    amount = MoneyField("Monto pagado (S/)", validators=[InputRequired("Ingrese el monto.")])
    paid_on = Date("Fecha de pago", validators=[DataRequired("Indique la fecha de pago.")])
    bank = SelectField("Banco", choices=select_choices(BANKS),
                       validators=[DataRequired("Seleccione el banco.")])
    operation_number = StringField("N.º de operación", validators=[DataRequired("Indique el número de operación."),
                                                                   Length(max=30)])


class ConfirmForm(MoneyForm):
    pass


class NoteForm(MoneyForm):
    note = StringField("Motivo", validators=[DataRequired("Indique el motivo."), Length(max=300)])


def parse_invoices(text: str) -> list[tuple[str, str, str]]:
    invoices = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        match = INVOICE_RE.match(line)
        if not match:
            raise ValidationError(f"Línea {number}: use «RUC SERIE-NÚMERO», p. ej. 20131312955 F001-000123.")
        invoices.append((match.group(1), match.group(2).upper(), match.group(3)))
    return invoices


class RequestForm(MoneyForm):
    program_id = SelectField("Programa", coerce=int, validators=[DataRequired("Seleccione el programa.")])
    organization_id = SelectField("Organización beneficiaria", coerce=int,
                                  validators=[DataRequired("Seleccione la organización.")])
    year = Integer("Año del plan", validators=[DataRequired("Indique el año."), NumberRange(2000, 2100, "Año inválido.")])
    amount = MoneyField("Monto solicitado (S/)", validators=[InputRequired("Ingrese el monto.")])
    purpose = TextAreaField("Finalidad", validators=[DataRequired("Describa la finalidad."), Length(max=2000)])
    invoices = TextAreaField("Comprobantes de sustento (uno por línea: RUC SERIE-NÚMERO)",
                             validators=[DataRequired("Ingrese al menos un comprobante.")])

    def validate_invoices(self, field):
        self.parsed_invoices = parse_invoices(field.data)


class VoteForm(MoneyForm):
    decision = SelectField("Decisión", choices=select_choices([(VoteDecision.APROBAR, "Aprobar"), (VoteDecision.RECHAZAR, "Rechazar")]),
                           validators=[DataRequired("Elija aprobar o rechazar.")])
    comment = StringField("Comentario", validators=[DataRequired("El voto lleva un comentario."), Length(max=500)])


class ExecuteForm(MoneyForm):
    amount = MoneyField("Monto de este tramo (S/)", validators=[InputRequired("Ingrese el monto.")])
    reference = StringField("Referencia de la transferencia", validators=[DataRequired("Indique la referencia."),
                                                                         Length(max=60)])


class CloseForm(MoneyForm):
    month = MonthSelectField("Mes a cerrar", validators=[DataRequired("Indique el mes.")])


class BankBalanceForm(MoneyForm):
    on = Date("Fecha del extracto", validators=[DataRequired("Indique la fecha.")])
    balance = MoneyField("Saldo según el banco (S/)", validators=[InputRequired("Ingrese el saldo.")])
    note = StringField("Nota", validators=[Optional(), Length(max=300)])


class ProgramForm(SpanishForm):
    code = StringField("Código", validators=[DataRequired("Indique el código."), Length(max=20)])
    name = StringField("Nombre", validators=[DataRequired("Indique el nombre."), Length(max=200)])
    description = TextAreaField("Descripción", validators=[Optional(), Length(max=2000)])


class AllocationForm(SpanishForm):
    program_id = SelectField("Programa", coerce=int, validators=[DataRequired("Seleccione el programa.")])
    year = Integer("Año", validators=[DataRequired("Indique el año."), NumberRange(2000, 2100, "Año inválido.")])
    amount = MoneyField("Asignación anual (S/)", validators=[InputRequired("Ingrese el monto.")])
    goals = TextAreaField("Metas e indicadores", validators=[Optional(), Length(max=2000)])


class OrganizationForm(SpanishForm):
    ruc = StringField("RUC", validators=[DataRequired("Ingrese el RUC."), Length(max=13), valid_ruc])
    name = StringField("Nombre", validators=[DataRequired("Ingrese el nombre."), Length(max=200)])
    legal_status = SelectField("Situación legal", choices=select_choices(LEGAL_STATUS),
                               validators=[DataRequired("Seleccione la situación legal.")])
    registry_entry = StringField("Partida registral (SUNARP)", validators=[Optional(), Length(max=40)])
    constituted_on = Date("Fecha de constitución", validators=[Optional()])


class ConflictForm(SpanishForm):
    user_id = SelectField("Miembro del Comité", coerce=int, validators=[DataRequired("Seleccione el miembro.")])
    organization_id = SelectField("Organización", coerce=int, validators=[DataRequired("Seleccione la organización.")])
    description = StringField("Vínculo", validators=[DataRequired("Describa el vínculo."), Length(max=300)])
