"""The audit trail in the users' language: one registry of Spanish labels for every action code, object
type (table) and field that the code base writes to ``audit_log``, and how each field's value is shown.

``tests/test_audit_labels.py`` collects every action code the code base can write and fails on any without
a label here. Values are stored as JSON (money as ``"1234.50"``, dates as ISO strings); :func:`show_value`
formats them like the rest of the app (``S/ 1,234.50``, ``dd/mm/aaaa``, «Sí»/«No», stage labels).
"""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from portfolio.formatting import format_date, format_datetime, format_month
from portfolio.money import format_money

ACTION_LABELS: dict[str, str] = {
    # foundation
    "auth.login": "Inicio de sesión",
    "auth.logout": "Cierre de sesión",
    "auth.login_slowed": "Cuenta frenada por muchos intentos fallidos",
    "user.create": "Usuario creado",
    "user.update": "Usuario modificado",
    "user.reset_password": "Contraseña restablecida",
    "user.change_password": "Contraseña cambiada por el usuario",
    "company.create": "Empresa registrada",
    "company.update": "Empresa modificada",
    "entity.create": "Entidad pública registrada",
    "entity.update": "Entidad pública modificada",
    "entity_cap.set": "Tope CIPRL registrado o corregido",
    "rule.add": "Nuevo valor de regla",
    "api.token.create": "Clave de API creada",
    "api.token.revoke": "Clave de API revocada",
    "api.idempotency.purge": "Respuestas de la API por Idempotency-Key olvidadas",
    # exports and imports
    "export.download": "Exportación a Excel descargada",
    "export.request": "Exportación en segundo plano solicitada",
    "imports.apply": "Importación aplicada",
    "imports.discard": "Importación descartada",
    "pdf.issue": "Documento PDF emitido (con código de verificación)",
    "mef.execution": "Cifras de ejecución de MEF registradas (nueva versión)",
    # Obras por Impuestos
    "project.create": "Proyecto registrado",
    "project.update": "Proyecto modificado",
    "project.members": "Empresas financistas actualizadas",
    "project.transition": "Cambio de etapa",
    "budget.add": "Partida presupuestal registrada",
    "budget.revise": "Partida presupuestal modificada",
    "budget.execution": "Devengado y girado actualizados",
    "variation.add": "Adenda registrada",
    "milestone.add": "Hito registrado",
    "milestone.update": "Hito modificado",
    "certificate.add": "Certificado solicitado",
    "certificate.status": "Estado de certificado cambiado",
    "tax.declare": "Impuesto a la renta del año anterior declarado",
    # indicators
    "indicator.create": "Indicador registrado",
    "indicator.target": "Meta anual de indicador registrada",
    "indicator.measure": "Medición de indicador registrada",
    "indicator.correct": "Medición de indicador corregida",
    # trust
    "trust.declare": "Aporte declarado",
    "trust.rectify": "Declaración rectificada",
    "trust.payment.register": "Pago de aporte registrado",
    "trust.payment.confirm": "Pago de aporte confirmado",
    "trust.payment.reject": "Pago de aporte rechazado",
    "trust.payment.reverse": "Pago de aporte revertido",
    "trust.disbursement.request": "Desembolso solicitado",
    "trust.vote": "Voto del Comité Técnico",
    "trust.disbursement.reject": "Desembolso rechazado",
    "trust.disbursement.approve": "Desembolso aprobado (fondos reservados)",
    "trust.disbursement.execute": "Desembolso ejecutado (pago)",
    "trust.disbursement.cancel": "Desembolso cancelado",
    "trust.program.create": "Programa registrado",
    "trust.program.allocation": "Asignación anual de programa registrada",
    "trust.organization.create": "Organización beneficiaria registrada",
    "trust.conflict.declare": "Conflicto de interés declarado",
    "trust.period.close": "Periodo contable cerrado",
    "trust.bank_balance": "Saldo de extracto bancario registrado",
    # notices of deadlines
    "notify.run": "Avisos de vencimientos creados",
    "notify.preferences": "Preferencias de avisos modificadas",
    "calendar.issue": "Enlace privado de calendario creado",
    "calendar.revoke": "Enlace privado de calendario revocado",
    # documents
    "document.upload": "Documento adjuntado",
    "document.version": "Nueva versión de documento",
    "document.withdraw": "Documento retirado del expediente",
}

OBJECT_LABELS: dict[str, str] = {
    "users": "Usuario",
    "companies": "Empresa",
    "public_entities": "Entidad pública",
    "entity_caps": "Tope CIPRL",
    "rule_values": "Regla",
    "export": "Exportación",
    "export_jobs": "Exportación en segundo plano",
    "import_batches": "Importación",
    "projects": "Proyecto",
    "budget_lines": "Partida presupuestal",
    "project_variations": "Adenda",
    "project_milestones": "Hito",
    "project_certificates": "Certificado",
    "company_tax_declarations": "Impuesto declarado",
    "indicators": "Indicador",
    "indicator_targets": "Meta de indicador",
    "indicator_measurements": "Medición de indicador",
    "trust_contributions": "Declaración de aporte",
    "trust_payments": "Pago de aporte",
    "trust_programs": "Programa del fideicomiso",
    "trust_program_allocations": "Asignación de programa",
    "trust_organizations": "Organización beneficiaria",
    "trust_conflicts": "Conflicto de interés",
    "trust_disbursements": "Desembolso",
    "trust_votes": "Voto",
    "ledger_periods": "Periodo contable",
    "trust_bank_balances": "Saldo de extracto bancario",
    "issued_documents": "Documento PDF emitido",
    "api_tokens": "Clave de API",
    "api_idempotency": "Respuestas recordadas de la API",
    "notices": "Avisos",
    "notification_preferences": "Preferencias de avisos",
    "calendar_feeds": "Calendario privado",
    "mef_executions": "Ejecución presupuestal MEF (año)",
    "documents": "Documento",
}

# field: (label, kind). Kinds: text, money, date, month, bool, pct, stage, status, role, list.
FIELDS: dict[str, tuple[str, str]] = {
    "email": ("Correo", "text"), "name": ("Nombre", "text"), "role": ("Rol", "role"),
    "scopes": ("Alcances", "text"), "expires_at": ("Vence", "text"), "token_user": ("Usuario", "text"),
    "revoked": ("Revocada", "bool"), "days": ("Días", "text"),
    "company_id": ("Empresa (id)", "text"), "active": ("Activo", "bool"),
    "ruc": ("RUC", "text"), "legal_name": ("Razón social", "text"), "trade_name": ("Nombre comercial", "text"),
    "sector": ("Sector", "text"), "ubigeo": ("Ubigeo", "text"), "contact_name": ("Contacto", "text"),
    "contact_email": ("Correo de contacto", "text"), "contact_phone": ("Teléfono de contacto", "text"),
    "short_name": ("Nombre corto", "text"), "level": ("Nivel de gobierno", "text"), "kind": ("Tipo", "text"),
    "year": ("Año", "text"), "amount": ("Monto", "money"), "legal_basis": ("Base legal", "text"),
    "published_on": ("Fecha de publicación", "date"), "notes": ("Notas", "text"),
    "key": ("Regla", "text"), "value": ("Valor", "text"), "effective_from": ("Vigente desde", "date"),
    "intentos_fallidos": ("Intentos fallidos", "text"),
    "intentos_fallidos_previos": ("Intentos fallidos anteriores", "text"),
    "ventana_minutos": ("Ventana (minutos)", "text"),
    "acuerdo": ("Acuerdo del Comité Técnico", "text"), "fecha_acuerdo": ("Fecha del acuerdo", "date"),
    "params": ("Filtros", "text"), "mode": ("Modo", "text"), "export": ("Exportación", "text"),
    "file": ("Archivo", "text"), "sha256": ("Huella SHA-256", "text"),
    "subject": ("Asunto", "text"), "pdf_sha256": ("Huella SHA-256 del PDF", "text"), "rows": ("Filas", "text"),
    # projects
    "cui": ("CUI", "text"), "description": ("Descripción", "text"), "entity_id": ("Entidad pública (id)", "text"),
    "mechanism": ("Mecanismo", "text"), "multidepartmental": ("Multidepartamental", "bool"),
    "reference_amount": ("Monto referencial", "money"), "awarded_amount": ("Monto adjudicado", "money"),
    "final_cost": ("Costo final", "money"), "term_days": ("Plazo (días)", "text"),
    "executing_company": ("Empresa ejecutora", "text"), "supervisor": ("Supervisora", "text"),
    "proinversion_assisted": ("Asistencia de ProInversión", "bool"),
    "contraloria_ref": ("Informe previo de la Contraloría", "text"),
    "contraloria_date": ("Fecha del informe previo", "date"), "prioritized_on": ("Fecha de priorización", "date"),
    "call_on": ("Fecha de convocatoria", "date"), "awarded_on": ("Fecha de buena pro", "date"),
    "convenio_on": ("Fecha del convenio", "date"), "start_on": ("Fecha de inicio", "date"),
    "completion_on": ("Fecha de culminación", "date"), "reception_on": ("Fecha de recepción", "date"),
    "settlement_on": ("Fecha de liquidación", "date"), "locations": ("Ubigeos", "list"),
    "members": ("Empresas financistas (id, %)", "list"), "stage": ("Etapa", "stage"), "note": ("Nota", "text"),
    "warnings": ("Advertencias", "list"), "project_id": ("Proyecto (id)", "text"),
    "category": ("Categoría", "text"), "original": ("Monto original", "money"), "version": ("Versión", "text"),
    "reason": ("Motivo", "text"), "accrued": ("Devengado", "money"), "paid": ("Pagado", "money"),
    "amount_delta": ("Variación de monto", "money"), "days_delta": ("Variación de plazo (días)", "text"),
    "approved_on": ("Fecha de aprobación", "date"), "legal_reference": ("Referencia legal", "text"),
    "planned_date": ("Fecha programada", "date"), "actual_date": ("Fecha real", "date"),
    "planned_physical": ("Avance físico programado (centésimas de %)", "text"),
    "actual_physical": ("Avance físico real (centésimas de %)", "text"),
    "status": ("Estado", "status"), "conformity_date": ("Fecha de conformidad", "date"),
    "type": ("Tipo de certificado", "text"), "number": ("Número", "text"), "issue_date": ("Fecha de emisión", "date"),
    "milestone_id": ("Hito (id)", "text"), "holdings": ("Reparto (empresa, monto)", "list"),
    # MEF execution figures
    "pia": ("PIA", "money"), "pim": ("PIM", "money"), "certificado": ("Certificado", "money"),
    "comprometido": ("Compromiso anual", "money"), "devengado": ("Devengado (MEF)", "money"),
    "girado": ("Girado (MEF)", "money"), "source_file": ("Archivo de MEF", "text"),
    "first_row": ("Primera fila del archivo", "text"), "last_row": ("Última fila del archivo", "text"),
    # indicators
    "code": ("Código", "text"), "unit": ("Unidad", "text"), "direction": ("Sentido", "text"),
    "owner_type": ("Tipo de responsable", "text"), "owner_id": ("Responsable (id)", "text"),
    "baseline_value": ("Línea de base", "text"), "baseline_year": ("Año base", "text"),
    "indicator": ("Indicador", "text"), "quarter": ("Trimestre", "text"), "source": ("Fuente", "text"),
    "measured_on": ("Fecha de medición", "date"),
    # trust
    "month": ("Mes", "month"), "payroll": ("Planilla bruta", "money"), "headcount": ("Trabajadores", "text"),
    "amount_due": ("Aporte", "money"), "difference": ("Diferencia", "money"), "paid_on": ("Fecha de pago", "date"),
    "bank": ("Banco", "text"), "operation": ("N.º de operación", "text"), "entry": ("Asiento contable", "text"),
    "program": ("Programa", "text"), "organization": ("Organización", "text"), "invoices": ("Comprobantes", "list"),
    "disbursement": ("Desembolso (id)", "text"), "decision": ("Decisión", "text"), "transfer": ("Reserva (id)", "text"),
    "user": ("Miembro del Comité (id)", "text"), "legal_status": ("Situación legal", "text"),
    "on": ("Fecha", "date"), "balance": ("Saldo", "money"), "en_nombre_de": ("En nombre de (RUC)", "text"),
    "entries": ("Asientos del mes", "text"), "total": ("Total", "money"),
    # notices: a run's counts, and a user's channel per kind of deadline
    "obligaciones": ("Obligaciones abiertas", "text"), "avisos_nuevos": ("Avisos nuevos", "text"),
    "fecha": ("Fecha", "date"), "renovado": ("Reemplaza un enlace anterior", "bool"),
    "avisos_aporte": ("Avisos del aporte mensual", "text"),
    "avisos_declaracion": ("Avisos de la declaración", "text"),
    "avisos_confirmacion": ("Avisos de pagos por confirmar", "text"),
    "avisos_voto": ("Avisos de solicitudes por votar", "text"),
    "avisos_ejecucion": ("Avisos de desembolsos por ejecutar", "text"),
    "avisos_cierre": ("Avisos de meses por cerrar", "text"),
    "avisos_hito": ("Avisos de hitos de obra", "text"),
    "avisos_certificado": ("Avisos de certificados", "text"),
    "avisos_indicador": ("Avisos de mediciones de indicadores", "text"),
    # documents
    "owner": ("Adjunto a", "text"), "doc_type": ("Tipo de documento", "text"), "filename": ("Nombre del archivo", "text"),
    "size": ("Tamaño (bytes)", "text"), "public": ("Público", "bool"), "dedup": ("Contenido ya almacenado", "bool"),
    "invoice": ("Comprobante", "text"), "supersedes": ("Reemplaza al documento (id)", "text"),
    "documents": ("Documentos en el expediente", "text"),
}
_FIELD_PREFIXES = {"count_": "Filas: "}

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def action_label(code: str) -> str:
    return ACTION_LABELS.get(code, code)


def object_label(object_type: str) -> str:
    return OBJECT_LABELS.get(object_type, object_type)


def field_label(name: str) -> str:
    if name in FIELDS:
        return FIELDS[name][0]
    for prefix, label in _FIELD_PREFIXES.items():
        if name.startswith(prefix):
            return label + name[len(prefix):]
    return name


def _status_label(value: str) -> str:
    from portfolio.projects.models import CERTIFICATE_STATUSES, MILESTONE_STATUSES
    from portfolio.trust.models import CONTRIBUTION_STATUS, DISBURSEMENT_STATUS, PAYMENT_STATUS

    for table in (DISBURSEMENT_STATUS, PAYMENT_STATUS, CONTRIBUTION_STATUS, CERTIFICATE_STATUSES, MILESTONE_STATUSES):
        if value in table:
            return table[value]
    return value


def show_value(name: str, value: Any) -> str:
    """A stored before/after value as the rest of the app shows it."""
    kind = FIELDS.get(name, ("", "text"))[1]
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "Sí" if value else "No"
    if isinstance(value, list | tuple):
        return ", ".join(" · ".join(show_value("", v) for v in item) if isinstance(item, list | tuple)
                         else show_value("", item) for item in value) or "—"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {show_value(k, v)}" for k, v in value.items()) or "—"
    text = str(value)
    if kind == "money":
        try:
            return format_money(Decimal(text))
        except (InvalidOperation, TypeError):
            return text
    if kind == "bool" and text in ("0", "1"):
        return "Sí" if text == "1" else "No"
    if kind == "stage":
        from portfolio.projects.stages import label

        return label(text)
    if kind == "status":
        return _status_label(text)
    if kind == "role":
        from portfolio.auth.roles import ROLE_LABELS

        return ROLE_LABELS.get(text, text)
    if ISO_DATETIME.match(text):
        try:
            return format_datetime(dt.datetime.fromisoformat(text))
        except ValueError:
            return text
    if ISO_DATE.match(text):
        try:
            day = dt.date.fromisoformat(text)
        except ValueError:
            return text
        return format_month(day) if kind == "month" else format_date(day)
    return text


def fields(data: dict[str, Any] | None) -> list[tuple[str, str]]:
    """(Spanish label, formatted value) for each stored field, in stored order."""
    return [(field_label(k), show_value(k, v)) for k, v in (data or {}).items()]


# object type → (endpoint, URL argument); a child of a project links to its project.
OBJECT_LINKS: dict[str, tuple[str, str]] = {
    "users": ("admin.user_edit", "user_id"),
    "companies": ("orgs.company_detail", "company_id"),
    "public_entities": ("orgs.entity_detail", "entity_id"),
    "projects": ("projects.detail", "project_id"),
    "indicators": ("indicators.detail", "indicator_id"),
    "trust_disbursements": ("trust.disbursement_detail", "disbursement_id"),
    "import_batches": ("imports.batch", "batch_id"),
}
PROJECT_CHILDREN = ("budget_lines", "project_variations", "project_milestones", "project_certificates",
                    "mef_executions")


def object_link(entry, user) -> str | None:
    """A link to the audited object, when there is a page for it that ``user`` may open."""
    from flask import url_for
    from werkzeug.routing import BuildError

    from portfolio.auth.policy import PERMISSIONS, allows, policy_of

    target = OBJECT_LINKS.get(entry.object_type)
    object_id = entry.object_id
    if target is None and entry.object_type in PROJECT_CHILDREN:
        project_id = (entry.after_data or {}).get("project_id") or (entry.before_data or {}).get("project_id")
        target, object_id = ("projects.detail", "project_id"), project_id
    if target is None or object_id in (None, "") or not str(object_id).isdigit():
        return None
    endpoint, argument = target
    policy = policy_of(endpoint)
    if policy is None or (policy in PERMISSIONS and not allows(user, policy)):
        return None
    try:
        return url_for(endpoint, **{argument: int(object_id)})
    except BuildError:
        return None
