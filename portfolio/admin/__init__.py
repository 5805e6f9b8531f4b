"""Administration: users, effective-dated rules and the audit trail viewer."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def register(app: Flask) -> None:
    from portfolio import navigation
    from portfolio.admin import exports
    from portfolio.admin.views import bp
    from portfolio.navigation import NavItem

    app.register_blueprint(bp)
    exports.register()
    navigation.add(
        app,
        NavItem("Usuarios", "admin.users", "users.manage", order=80,
                section="Cuentas, roles y accesos; restablecer contraseñas."),
        NavItem("Reglas", "admin.rules", "rules.view", order=85,
                section="Topes, porcentajes y tasas vigentes por fecha, con su base legal."),
        NavItem("Auditoría", "admin.audit_log", "audit.view", order=90,
                section="Quién hizo qué y cuándo, con los valores antes y después."),
    )
