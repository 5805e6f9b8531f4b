"""Obras por Impuestos: projects, stages, budgets, variations, milestones and certificates."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def register(app: Flask) -> None:
    from portfolio import navigation
    from portfolio.navigation import NavItem
    from portfolio.projects import exports, views_items  # noqa: F401  (routes on the same blueprint)
    from portfolio.projects.views import bp

    app.register_blueprint(bp)
    exports.register()
    navigation.add(
        app,
        NavItem("Obras por Impuestos", "projects.index", "projects.view",
                section="Cartera OxI: etapas, montos, certificados", order=10),
        NavItem("Mis certificados", "projects.company_panel", "tax_share.declare",
                section="Certificados de mi empresa e impuesto aplicable", order=11),
    )
