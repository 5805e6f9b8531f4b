"""Forms of the OxI pipeline. They check shape only; rules that need the database live in the services."""
from __future__ import annotations

from wtforms import (
    BooleanField,
    FieldList,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

from portfolio.forms import DateField, MoneyField, SpanishForm, select_choices
from portfolio.projects.models import (
    BUDGET_CATEGORIES,
    MECHANISMS,
    MILESTONE_KINDS,
    MILESTONE_STATUSES,
    SECTORS,
    VARIATION_KINDS,
)
from portfolio.projects.vocab import MilestoneStatus

DATE_MESSAGE = "Fecha inválida."


def _choices(mapping):
    return select_choices(mapping)


def _date(label):
    return DateField(label, validators=[Optional()])


class ProjectForm(SpanishForm):
    version = HiddenField()
    cui = StringField("CUI (Invierte.pe)", validators=[Optional(), Regexp(r"^\d{7}$", message=(
        "CUI inválido: el Código Único de Inversiones tiene exactamente 7 dígitos."))])
    name = StringField("Nombre del proyecto", validators=[DataRequired("Ingrese el nombre."), Length(max=300)])
    description = TextAreaField("Descripción", validators=[Optional(), Length(max=5000)])
    entity_id = SelectField("Entidad pública", coerce=str, validators=[DataRequired("Seleccione la entidad.")])
    sector = SelectField("Función / sector", choices=_choices(SECTORS), validators=[DataRequired("Seleccione.")])
    mechanism = SelectField("Mecanismo", choices=select_choices(MECHANISMS, blank=None), default="oxi")
    locations = StringField("Ubigeos (distritos INEI, separados por comas)", validators=[Optional(), Length(max=500)])
    multidepartmental = BooleanField("Multidepartamental")
    reference_amount = MoneyField("Monto referencial (S/)")
    awarded_amount = MoneyField("Monto adjudicado / del convenio original (S/)")
    final_cost = MoneyField("Costo final de liquidación (S/)")
    term_days = IntegerField("Plazo de ejecución (días)", validators=[Optional(), NumberRange(0, 36500, "Plazo inválido.")])
    executing_company = StringField("Empresa ejecutora", validators=[Optional(), Length(max=200)])
    supervisor = StringField("Entidad privada supervisora", validators=[Optional(), Length(max=200)])
    proinversion_assisted = BooleanField("Con asistencia técnica de ProInversión")
    contraloria_ref = StringField("Informe previo de la Contraloría (referencia)", validators=[Optional(), Length(max=120)])
    contraloria_date = _date("Fecha del informe previo")
    prioritized_on = _date("Fecha de priorización")
    call_on = _date("Fecha de convocatoria")
    awarded_on = _date("Fecha de buena pro")
    convenio_on = _date("Fecha del convenio")
    start_on = _date("Fecha de inicio")
    completion_on = _date("Fecha de culminación")
    reception_on = _date("Fecha de recepción")
    settlement_on = _date("Fecha de liquidación")


class MemberRow(SpanishForm):
    class Meta:
        csrf = False

    company_id = SelectField("Empresa", coerce=str, validate_choice=False)
    share = StringField("Participación (%)", validators=[Optional(), Length(max=10)])


class MembersForm(SpanishForm):
    version = HiddenField()
    rows = FieldList(FormField(MemberRow), min_entries=5, max_entries=5)


class TransitionForm(SpanishForm):
    from_stage = HiddenField()
    target = SelectField("Nueva etapa", coerce=str, validate_choice=False,
                         validators=[DataRequired("Seleccione la etapa.")])
    on = DateField("Fecha del evento", validators=[Optional()])
    note = TextAreaField("Nota / motivo", validators=[Optional(), Length(max=2000)])


class BudgetLineForm(SpanishForm):
    category = SelectField("Categoría", choices=_choices(BUDGET_CATEGORIES), validators=[DataRequired("Seleccione.")])
    description = StringField("Descripción", validators=[Optional(), Length(max=300)])
    amount = MoneyField("Monto original (S/)", validators=[InputRequired("Ingrese el monto.")])


class BudgetRevisionForm(SpanishForm):
    amount = MoneyField("Nuevo monto (S/)", validators=[InputRequired("Ingrese el monto.")])
    reason = StringField("Sustento", validators=[DataRequired("Indique el sustento."), Length(max=300)])


class BudgetExecutionForm(SpanishForm):
    version = HiddenField()
    accrued = MoneyField("Devengado acumulado (S/)", validators=[InputRequired("Ingrese el devengado.")])
    paid = MoneyField("Girado acumulado (S/)", validators=[InputRequired("Ingrese el girado.")])


class VariationForm(SpanishForm):
    kind = SelectField("Tipo", choices=_choices(VARIATION_KINDS), validators=[DataRequired("Seleccione el tipo.")])
    amount_delta = MoneyField("Variación de monto (S/; negativo para deductivos)", allow_negative=True)
    days_delta = IntegerField("Variación de plazo (días)", validators=[Optional(), NumberRange(-3650, 3650, "Días inválidos.")])
    approved_on = DateField("Fecha de aprobación", validators=[DataRequired(DATE_MESSAGE)])
    legal_reference = StringField("Referencia legal (resolución, adenda)",
                                  validators=[DataRequired("Indique la referencia."), Length(max=200)])
    description = TextAreaField("Descripción", validators=[Optional(), Length(max=2000)])


class MilestoneForm(SpanishForm):
    version = HiddenField()
    kind = SelectField("Tipo de hito", choices=_choices(MILESTONE_KINDS), validators=[DataRequired("Seleccione.")])
    description = StringField("Descripción", validators=[Optional(), Length(max=300)])
    planned_date = DateField("Fecha programada", validators=[DataRequired(DATE_MESSAGE)])
    actual_date = _date("Fecha real")
    planned_physical = StringField("Avance físico programado acumulado (%)", validators=[Optional(), Length(max=10)])
    actual_physical = StringField("Avance físico real acumulado (%)", validators=[Optional(), Length(max=10)])
    amount = MoneyField("Monto de la valorización (S/)")
    status = SelectField("Estado", choices=select_choices(MILESTONE_STATUSES, blank=None), default=MilestoneStatus.PROGRAMADO)
    conformity_date = _date("Fecha de conformidad (supervisora)")


class CertificateForm(SpanishForm):
    number = StringField("Número del certificado", validators=[DataRequired("Ingrese el número."), Length(max=40)])
    amount = MoneyField("Monto (S/)", validators=[InputRequired("Ingrese el monto.")])
    issue_date = DateField("Fecha de emisión", validators=[DataRequired(DATE_MESSAGE)])
    milestone_id = SelectField("Hito / valorización que lo respalda", coerce=str, validate_choice=False)


class CertificateStatusForm(SpanishForm):
    version = HiddenField()
    status = HiddenField(validators=[DataRequired()])


class TaxForm(SpanishForm):
    year = IntegerField("Año tributario", validators=[DataRequired("Ingrese el año.")])
    amount = MoneyField("Impuesto a la renta de ese año (S/)", validators=[InputRequired("Ingrese el monto.")])
