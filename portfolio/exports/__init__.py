"""Excel exports: the pure xlsx builder, the export registry, background jobs and the MEF workbook.

See :mod:`portfolio.exports.registry` for how other packages add exports and MEF sheets, and
:mod:`portfolio.exports.runners` for the job runners (``EXPORT_QUEUE=thread|rq|inline``). The settings are
read in :mod:`portfolio.config`.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def check_settings(app: Flask) -> None:
    """Refuse to start with an export runner that does not exist."""
    from portfolio.exports.runners import RUNNERS

    if app.config["EXPORT_QUEUE"] not in RUNNERS:
        from portfolio.config import ConfigError

        raise ConfigError(f"EXPORT_QUEUE desconocido: {app.config['EXPORT_QUEUE']!r} (use {', '.join(RUNNERS)})")


def register(app: Flask) -> None:
    from portfolio import audit, navigation
    from portfolio.auth.policy import allows
    from portfolio.exports import mef
    from portfolio.exports.cli import register_commands
    from portfolio.exports.registry import get_export
    from portfolio.exports.views import bp

    check_settings(app)
    audit.describe_actions({"export.download": "Exportación a Excel descargada",
                            "export.request": "Exportación a Excel solicitada"})
    audit.describe_objects({"export": "Exportación", "export_jobs": "Exportación en segundo plano"})
    mef.register_builtin()
    app.register_blueprint(bp)
    register_commands(app)
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
