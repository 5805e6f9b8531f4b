"""portfolio: financing of citizen-security investment in La Libertad (Obras por Impuestos and the trust).

``create_app`` reads like a table of contents: configuration, the shared machinery (database, CSRF, assets,
login, security headers, formats, error pages, menu, the access-policy hook), then every package's
``register(app)`` — its blueprint, menu entries, exports and commands. Nothing touches the database at
import time.
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

    from portfolio import db, errors, formatting, kept_pages, logging_setup, navigation, page_cache, security
    from portfolio.auth.enforcement import enforce
    from portfolio.extensions import bootstrap, csrf, login_manager

    _trust_proxies(app)
    logging_setup.init_app(app)  # first: every later hook and log line has the request id
    db.init_app(app)
    page_cache.init_app(app)
    kept_pages.init_app(app)
    csrf.init_app(app)
    bootstrap.init_app(app)
    login_manager.init_app(app)
    security.init_app(app)
    formatting.init_app(app)
    errors.register_error_handlers(app)
    navigation.init_app(app)
    app.before_request(enforce)

    from portfolio import (
        admin,
        api,
        auth,
        cli,
        documents,
        exports,
        imports,
        indicators,
        main,
        mef,
        notifications,
        orgs,
        pdfs,
        projects,
        public,
        trust,
    )

    for package in (
        main,        # /            each role's home dashboard; /healthz
        auth,        # /login       login, logout, own password; `flask users …`
        admin,       # /admin       users, rules, audit trail
        orgs,        # /organizaciones  companies, public entities, CIPRL caps
        projects,    # /proyectos   Obras por Impuestos
        trust,       # /fideicomiso the trust; `flask ledger …`
        documents,   # /documentos  the expediente: uploads, downloads; `flask documents verify`
        exports,     # /exportaciones  Excel exports and background jobs; `flask exports …`
        imports,     # /importar    spreadsheet imports (and MEF's execution CSV)
        mef,         # `flask mef importar`  MEF's execution figures
        indicators,  # /indicadores quarterly indicators
        public,      # /transparencia  the public portal
        pdfs,        # /pdf, /verificar  issued PDFs and their public verification
        api,         # /api/v1      the JSON API (OpenAPI, docs); /cuenta/claves-api; `flask api …`
        notifications,  # /avisos  deadlines, reminders, e-mail, calendar feed; `flask notify run`
        cli,         # `flask db …`, `flask seed`, `flask backup`
    ):
        package.register(app)
    if app.config.get("GC_FREEZE") and not app.testing:
        _freeze_start_up_objects()
    return app


def _freeze_start_up_objects() -> None:
    """A full pass of Python's cyclic garbage collector scans every tracked object: after start-up about
    220,000 (modules, classes, SQLAlchemy's mappers), none of which will ever be garbage, so a pass costs
    300–600 ms of one request every hundred or so. Configure the mappers, collect what start-up left over,
    then move everything that exists into the permanent generation (``gc.freeze``): a full pass then scans
    only what requests create (about 30 ms)."""
    import gc

    from sqlalchemy.orm import configure_mappers

    configure_mappers()
    gc.collect()
    gc.freeze()


def _trust_proxies(app: Flask) -> None:
    """Behind N reverse proxies (``TRUSTED_PROXIES``): take the client address (used by login throttling)
    from X-Forwarded-For."""
    if app.config.get("TRUSTED_PROXIES"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = int(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
