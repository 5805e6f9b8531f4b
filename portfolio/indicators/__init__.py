"""Quarterly indicators of §3.2: catalogue, targets, measurements with corrections, quarterly report."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def register(app: Flask) -> None:
    from portfolio import navigation
    from portfolio.indicators.views import NAV, bp

    app.register_blueprint(bp)
    navigation.add(app, *NAV)
    from portfolio.indicators.exports import register_builtin

    register_builtin()
