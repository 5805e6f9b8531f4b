"""The filtered queries behind the users list and the audit trail, shared by the pages and their exports.

Each function reads the filters from ``args`` (the query string, or the arguments stored with an export
job) and returns a :class:`~portfolio.listing.ListQuery`; the page and the export use the same one.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from sqlalchemy import or_, select

from portfolio import clock, db
from portfolio.audit import AuditEntry
from portfolio.audit_labels import action_label, object_label
from portfolio.auth.models import User
from portfolio.auth.roles import ROLE_LABELS
from portfolio.formatting import DateInputError, date_input_value, format_date, parse_date
from portfolio.listing import ListQuery, text_value


def user_list(args: Mapping[str, str]) -> ListQuery:
    query = select(User).outerjoin(User.company)
    filters: dict[str, str] = {}
    notes: list[tuple[str, str]] = []
    q = text_value(args, "q")
    if q:
        like = f"%{q.lower()}%"
        query = query.where(or_(User.email.ilike(like), User.name.ilike(like)))
        filters["q"] = q
        notes.append(("Búsqueda", q))
    role = text_value(args, "rol")
    if role in ROLE_LABELS:
        query = query.where(User.role == role)
        filters["rol"] = role
        notes.append(("Rol", ROLE_LABELS[role]))
    state = text_value(args, "estado")
    if state in ("activo", "inactivo"):
        query = query.where(User.active.is_(state == "activo"))
        filters["estado"] = state
        notes.append(("Estado", "Activos" if state == "activo" else "Inactivos"))
    return ListQuery(query=query, sortable={"email": User.email, "name": User.name, "role": User.role,
                                            "last_login": User.last_login_at},
                     default_sort="email", tiebreak=User.id, filters=filters, notes=notes)


def _date_value(args: Mapping[str, str], name: str) -> dt.date | None:
    try:
        return parse_date(text_value(args, name, 10))
    except DateInputError:
        return None


def audit_list(args: Mapping[str, str]) -> ListQuery:
    query = select(AuditEntry)
    notes: list[tuple[str, str]] = []
    errors: list[str] = []
    actor = text_value(args, "actor")
    if actor:
        query = query.where(AuditEntry.actor_email.ilike(f"%{actor.lower()}%"))
        notes.append(("Usuario", actor))
    action = text_value(args, "accion")
    if action:
        query = query.where(AuditEntry.action.ilike(f"{action}%"))
        notes.append(("Acción", action_label(action)))
    object_type = text_value(args, "objeto")
    if object_type:
        query = query.where(AuditEntry.object_type == object_type)
        notes.append(("Tipo de objeto", object_label(object_type)))
    object_id = text_value(args, "id", 40)
    if object_id:
        query = query.where(AuditEntry.object_id == object_id)
        notes.append(("Id del objeto", object_id))
    since, until = _date_value(args, "desde"), _date_value(args, "hasta")
    if since and until and since > until:
        errors.append("La fecha «desde» es posterior a la fecha «hasta»; se ignoró el rango.")
        since = until = None
    if since:
        query = query.where(AuditEntry.at >= clock.start_of_day(since))
        notes.append(("Desde", format_date(since)))
    if until:
        query = query.where(AuditEntry.at < clock.start_of_day(until + dt.timedelta(days=1)))
        notes.append(("Hasta", format_date(until)))
    filters = {"actor": actor, "accion": action, "objeto": object_type, "id": object_id,
               "desde": date_input_value(since), "hasta": date_input_value(until)}
    return ListQuery(query=query, sortable={"at": AuditEntry.at, "action": AuditEntry.action,
                                            "actor": AuditEntry.actor_email},
                     default_sort="at", default_direction="desc", tiebreak=AuditEntry.id.desc(),
                     filters=filters, notes=notes, errors=errors)


def rule_values() -> list:
    """Every value of every rule, by key and newest effective date first (the rules page)."""
    from portfolio.rules import RuleValue

    return list(db.session.scalars(select(RuleValue).order_by(RuleValue.key, RuleValue.effective_from.desc())))


def audit_object_types() -> list[str]:
    """The object types present in the audit trail (the audit page's filter)."""
    return list(db.session.scalars(select(AuditEntry.object_type).distinct().order_by(AuditEntry.object_type)))
