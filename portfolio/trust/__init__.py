"""The trust (fideicomiso): ledger, contributions, programs, disbursements and statements."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def register(app: Flask) -> None:
    from portfolio import navigation
    from portfolio.navigation import NavItem
    from portfolio.trust import exports, mef
    from portfolio.trust.cli import register_commands
    from portfolio.trust.views import bp

    app.register_blueprint(bp)
    exports.register_exports()
    mef.register()
    register_commands(app)
    navigation.add(
        app,
        NavItem("Mis aportes", "trust.company_home", "trust.company", order=30),
        NavItem("Fideicomiso", "trust.overview", "trust.view", order=31),
        NavItem("Comité Técnico", "trust.board_queue", "trust.board.view", order=32),
        NavItem("Fiduciario", "trust.trustee_home", "trust.trustee.view", order=33),
    )
