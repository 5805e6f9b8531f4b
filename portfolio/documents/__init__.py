"""Documents (the expediente): files attached to projects, milestones, certificate requests, disbursements,
tranches and board decisions; stored once per SHA-256 in a local folder or an S3-compatible bucket."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def filesize(value: int | None) -> str:
    """Bytes as people read them: «532 B», «12,3 kB», «4,1 MB» (Spanish decimal comma)."""
    if value is None:
        return "—"
    if value < 1000:
        return f"{value} B"
    for unit, size in (("kB", 1000), ("MB", 1000**2), ("GB", 1000**3)):
        if value < size * 1000 or unit == "GB":
            return f"{value / size:.1f} {unit}".replace(".", ",")
    return f"{value} B"  # pragma: no cover


def register(app: Flask) -> None:
    from portfolio.documents import storage
    from portfolio.documents.cli import register_commands
    from portfolio.documents.views import bp

    app.extensions["portfolio_documents"] = storage.from_config(app.config)
    app.register_blueprint(bp)
    app.add_template_filter(filesize, "filesize")
    register_commands(app)
