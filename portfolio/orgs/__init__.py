"""Companies and public entities (shared by projects and the trust) and the entities' annual CIPRL caps."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def register(app: Flask) -> None:
    from portfolio import navigation
    from portfolio.navigation import NavItem
    from portfolio.orgs import exports
    from portfolio.orgs.views import bp

    app.register_blueprint(bp)
    exports.register()
    navigation.add(app, NavItem("Organizaciones", "orgs.companies", "orgs.view", order=50, prefix="/organizaciones",
                                section="Empresas aportantes e inversionistas; entidades públicas y sus topes CIPRL."))
