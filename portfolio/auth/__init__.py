"""Users, roles, login, passwords and the access policy (``policy.py``, no Flask)."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def register(app: Flask) -> None:
    from portfolio.auth.cli import register_commands
    from portfolio.auth.views import bp

    app.register_blueprint(bp)
    register_commands(app)
