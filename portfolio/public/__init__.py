"""The public transparency portal: no login, read-only, cacheable, aggregated figures only."""
from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    from portfolio.public.views import bp

    app.register_blueprint(bp)
