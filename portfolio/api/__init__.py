"""The JSON API under /api/v1/ (OpenAPI 3.1 at /api/v1/openapi.json, docs at /api/v1/docs), its tokens
(«Claves de API», ``flask api create-token``) and rate limits. Every operation calls the services and
queries the web pages call."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def register(app: Flask) -> None:
    from portfolio.api import company, docs, limits, reads, views, writes  # noqa: F401  (the operations)
    from portfolio.api.cli import register_commands
    from portfolio.api.core import bp
    from portfolio.extensions import csrf

    csrf.exempt(bp)  # no session cookie is read under /api/: a token in a header cannot be forged cross-site
    limits.init_app(app, bp)
    app.register_blueprint(bp)
    app.register_blueprint(views.bp)
    register_commands(app)
