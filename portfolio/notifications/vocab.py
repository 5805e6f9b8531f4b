"""Vocabularies of deadlines and notices: kinds of obligation, their states, delivery channels and e-mail states."""
from __future__ import annotations

from enum import StrEnum


class ObligationKind(StrEnum):
    APORTE = "aporte"                # a company's declared month, unpaid (the legal due date)
    DECLARACION = "declaracion"      # a company's month not yet declared (the legal due date)
    CONFIRMACION = "confirmacion"    # a payment waiting for the trustee's confirmation
    VOTO = "voto"                    # a request waiting for one board member's vote
    EJECUCION = "ejecucion"          # an approved disbursement waiting for execution
    CIERRE = "cierre"                # a month waiting to be closed
    HITO = "hito"                    # a project milestone coming due or overdue
    CERTIFICADO = "certificado"      # a certificate request pending
    INDICADOR = "indicador"          # a quarterly indicator measurement due


KIND_LABELS = {
    ObligationKind.APORTE: "Pago del aporte mensual", ObligationKind.DECLARACION: "Declaración mensual de planilla",
    ObligationKind.CONFIRMACION: "Pagos por confirmar", ObligationKind.VOTO: "Solicitudes por votar",
    ObligationKind.EJECUCION: "Desembolsos por ejecutar", ObligationKind.CIERRE: "Meses por cerrar",
    ObligationKind.HITO: "Hitos de obra", ObligationKind.CERTIFICADO: "Solicitudes de certificado",
    ObligationKind.INDICADOR: "Mediciones de indicadores",
}
# The company's legal due dates: its contact always receives these reminders by e-mail (they cannot be switched
# off for the contact), and at +escalation days the trustee is told.
LEGAL_KINDS = frozenset({ObligationKind.APORTE, ObligationKind.DECLARACION})


class ObligationState(StrEnum):
    POR_VENCER = "por_vencer"        # due today or later
    VENCIDO = "vencida"              # past its due date
    ESCALADO = "escalada"            # a legal obligation overdue by the escalation days: the trustee was told


STATE_LABELS = {ObligationState.POR_VENCER: "Por vencer", ObligationState.VENCIDO: "Vencido",
                ObligationState.ESCALADO: "Vencido (escalado al fiduciario)"}


class Channel(StrEnum):
    CORREO = "correo"                # e-mail and the in-app centre
    APLICACION = "aplicacion"        # the in-app centre only
    NINGUNO = "ninguno"              # off


CHANNEL_LABELS = {Channel.CORREO: "Correo y avisos en la aplicación", Channel.APLICACION: "Solo en la aplicación",
                  Channel.NINGUNO: "No avisarme"}


class EmailStatus(StrEnum):
    NO_APLICA = "no_aplica"          # in-app only (the recipient's choice, or no address)
    SIN_SMTP = "sin_smtp"            # SMTP_URL unset when the notice was created: never sent
    POR_ENVIAR = "por_enviar"        # waiting (first attempt or a retry after a failure)
    ENVIADO = "enviado"
    FALLIDO = "fallido"              # refused by the server, or every retry failed


EMAIL_STATUS_LABELS = {EmailStatus.NO_APLICA: "Solo en la aplicación", EmailStatus.SIN_SMTP: "Correo no configurado",
                       EmailStatus.POR_ENVIAR: "Por enviar", EmailStatus.ENVIADO: "Enviado",
                       EmailStatus.FALLIDO: "Fallido"}

# Steps that are not a day of the schedule: the company's arrears letter and the trustee's notice at +escalation.
STEP_LETTER = "cobranza"
STEP_ESCALATION = "escalado"
