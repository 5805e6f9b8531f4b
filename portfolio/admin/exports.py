"""Excel exports of the administration's list pages: users and the audit trail.

Each uses the page's own query function (portfolio/admin/queries.py), so the export holds exactly the rows
the page shows for the same query string, in the same order.
"""
from __future__ import annotations

from portfolio.admin import queries as admin_queries
from portfolio.auth.roles import ROLE_LABELS
from portfolio.exports.registry import ExportRequest, count_of, list_export, register_export
from portfolio.exports.xlsx import Column, Table

USER_COLUMNS = [
    Column("email", "Correo"),
    Column("name", "Nombre"),
    Column("role", "Rol"),
    Column("company", "Empresa"),
    Column("active", "Estado", width=10),
    Column("created_at", "Creado el", "datetime"),
    Column("last_login_at", "Último ingreso", "datetime"),
]


def _users(req: ExportRequest):
    listing = admin_queries.user_list(req.params)
    rows = (
        (u.email, u.name, ROLE_LABELS.get(u.role, u.role), u.company.legal_name if u.company else None,
         "Activo" if u.active else "Inactivo", u.created_at, u.last_login_at)
        for u in req.stream(listing.ordered(req.params))
    )
    return [Table("Usuarios", USER_COLUMNS, rows), req.notes_sheet("Usuarios", listing.notes)]


AUDIT_COLUMNS = [
    Column("at", "Fecha y hora", "datetime"),
    Column("actor", "Usuario"),
    Column("action", "Acción", width=30),
    Column("action_code", "Código de acción", width=20),
    Column("object_type", "Tipo de objeto", width=20),
    Column("object_id", "Id", width=10),
    Column("before", "Antes", width=50),
    Column("after", "Después", width=50),
    Column("address", "Dirección IP", width=16),
]


def _audit(req: ExportRequest):
    listing = admin_queries.audit_list(req.params)
    rows = (
        (e.at, e.actor_email or "sistema", e.action_label, e.action, e.object_label, e.object_id, e.before, e.after,
         e.address)
        for e in req.stream(listing.ordered(req.params))
    )
    extra = [("Aviso", message) for message in listing.errors]
    return [Table("Auditoría", AUDIT_COLUMNS, rows), req.notes_sheet("Registro de auditoría", listing.notes, extra=extra)]


def register() -> None:
    register_export(list_export("users", "Usuarios", "users.manage", _users,
                                count=count_of(admin_queries.user_list, scoped=False), back_endpoint="admin.users",
                                filename="usuarios"))
    register_export(list_export("audit", "Registro de auditoría", "audit.view", _audit,
                                count=count_of(admin_queries.audit_list, scoped=False), back_endpoint="admin.audit_log",
                                filename="auditoria"))
