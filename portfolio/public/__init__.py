"""The public transparency portal: no login, read-only, cacheable, aggregated figures only."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def register(app: Flask) -> None:
    from portfolio.public.views import bp

    app.register_blueprint(bp)
