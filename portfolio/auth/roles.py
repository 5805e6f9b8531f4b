"""The six roles of the product (see DOMAIN.md, "Who uses it")."""
from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    STAFF = "staff"
    COMPANY = "company"
    BOARD = "board"
    TRUSTEE = "trustee"
    AUDITOR = "auditor"


ADMIN, STAFF, COMPANY, BOARD, TRUSTEE, AUDITOR = Role
ROLES = tuple(Role)

ROLE_LABELS = {
    ADMIN: "Administrador del sistema",
    STAFF: "Personal ProInversión / Gobierno Regional",
    COMPANY: "Representante de empresa",
    BOARD: "Miembro del Comité Técnico",
    TRUSTEE: "Fiduciario",
    AUDITOR: "Auditor (MEF / control)",
}
