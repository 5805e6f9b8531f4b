"""Excel exports: the pure xlsx builder, the export registry, background jobs and the MEF workbook.

See :mod:`portfolio.exports.registry` for how other packages add exports and MEF sheets, and
:mod:`portfolio.exports.runners` for the job runners (``EXPORT_QUEUE=thread|rq|inline``).
"""
from __future__ import annotations

import os
from typing import TYPE_CHECKING

from portfolio.config import INSTANCE_DIR

if TYPE_CHECKING:
    from flask import Flask

DEFAULTS = {
    "EXPORT_QUEUE": "thread",
    "EXPORT_DIR": str(INSTANCE_DIR / "exports"),
    "EXPORT_SYNC_MAX_ROWS": "5000",
    "EXPORT_THREADS": "2",
    "EXPORT_JOB_TIMEOUT_MINUTES": "60",
    "EXPORT_RQ_QUEUE": "portfolio-exports",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}


def configure(app: Flask) -> None:
    """Export settings: explicit overrides win, then the environment, then the defaults above."""
    for key, default in DEFAULTS.items():
        app.config.setdefault(key, os.environ.get(key, default))
    from portfolio.exports.runners import RUNNERS

    if app.config["EXPORT_QUEUE"] not in RUNNERS:
        from portfolio.config import ConfigError

        raise ConfigError(f"EXPORT_QUEUE desconocido: {app.config['EXPORT_QUEUE']!r} (use {', '.join(RUNNERS)})")


def register(app: Flask) -> None:
    from portfolio import navigation
    from portfolio.auth.policy import allows
    from portfolio.exports import lists, mef
    from portfolio.exports.registry import get_export
    from portfolio.exports.views import bp

    configure(app)
    from portfolio import audit

    audit.describe_actions({"export.download": "Exportación a Excel descargada",
                            "export.request": "Exportación a Excel solicitada"})
    audit.describe_objects({"export": "Exportación", "export_jobs": "Exportación en segundo plano"})
    lists.register_builtin()
    mef.register_builtin()
    app.register_blueprint(bp)
    _register_commands(app)
    navigation.add(app, navigation.NavItem("Exportaciones", "exports.index", "exports.download", order=95))

    @app.context_processor
    def _exports():
        from flask_login import current_user

        def export_allowed(name: str) -> bool:
            try:
                spec = get_export(name)
            except Exception:
                return False
            return allows(current_user, "exports.download") and allows(current_user, spec.permission)

        return {"export_allowed": export_allowed}


def _register_commands(app: Flask) -> None:
    import datetime as dt

    import click

    @app.cli.command("exports-purge")
    @click.option("--days", default=7, show_default=True, type=click.IntRange(min=0),
                  help="Borra los archivos de exportaciones terminadas hace más de estos días.")
    def exports_purge(days):
        """Borra archivos de exportaciones antiguas (los registros de los trabajos se conservan)."""
        from portfolio import db
        from portfolio.exports.jobs import purge_files

        removed = purge_files(dt.timedelta(days=days))
        db.session.commit()
        click.echo(f"Archivos borrados: {removed}.")
