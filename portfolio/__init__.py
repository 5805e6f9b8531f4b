"""portfolio: financing of citizen-security investment in La Libertad (Obras por Impuestos and the trust).

``create_app`` reads like a table of contents: configuration, database, security, accounts, the domain
blueprints, error pages and commands. Nothing touches the database at import time.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from portfolio.config import load_config

if TYPE_CHECKING:  # the package imports no Flask until an app is built (the ledger and services stay pure)
    from flask import Flask

TEMPLATES = __import__("pathlib").Path(__file__).resolve().parent.parent / "templates"


def create_app(overrides: dict | None = None) -> Flask:
    from flask import Flask

    app = Flask(__name__, template_folder=str(TEMPLATES), instance_relative_config=False)
    app.config.update(load_config())
    if overrides:
        app.config.update(overrides)

    from portfolio import db, errors, formatting, logging_setup, security
    from portfolio.auth.enforcement import enforce
    from portfolio.extensions import bootstrap, csrf, login_manager

    if app.config.get("TRUSTED_PROXIES"):
        # Behind N reverse proxies: take the client address (used by login throttling) from X-Forwarded-For.
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = int(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    logging_setup.init_app(app)  # first: every later hook and log line has the request id
    db.init_app(app)
    csrf.init_app(app)
    bootstrap.init_app(app)
    login_manager.init_app(app)
    security.init_app(app)
    formatting.init_app(app)
    errors.register_error_handlers(app)
    app.before_request(enforce)

    from portfolio.admin.views import bp as admin_bp
    from portfolio.auth.views import bp as auth_bp
    from portfolio.exports import register as register_exports
    from portfolio.imports import register as register_imports
    from portfolio.main.views import bp as main_bp
    from portfolio.orgs.views import bp as orgs_bp
    from portfolio.projects import register as register_projects
    from portfolio.trust import register as register_trust

    for blueprint in (main_bp, auth_bp, admin_bp, orgs_bp):
        app.register_blueprint(blueprint)
    register_projects(app)
    register_trust(app)
    register_exports(app)
    register_imports(app)

    from portfolio.indicators import register as register_indicators

    register_indicators(app)

    from portfolio.public import register as register_public

    register_public(app)

    from portfolio import navigation
    from portfolio.main.views import NAV as main_nav

    navigation.add(app, *main_nav)

    @app.context_processor
    def _layout():
        from flask_wtf.csrf import generate_csrf

        return {"nav_items": navigation.visible_items(app), "csrf_token_value": generate_csrf}

    from portfolio.cli import register_commands

    register_commands(app)
    return app
