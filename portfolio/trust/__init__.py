"""The trust (fideicomiso): ledger, contributions, programs, disbursements and statements."""
from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    from portfolio.trust.views import bp

    app.register_blueprint(bp)
