"""The home page (each role's dashboard) and the health check."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def register(app: Flask) -> None:
    from portfolio.main.views import bp

    app.register_blueprint(bp)
