"""Bulk import from spreadsheets (.xlsx / .csv): payroll declarations, bank statements, the project portfolio.

Every import is two steps: upload → validation and a preview of what will be created, changed or left
alone (with every error by row and column) → confirmation, applied in one transaction through the same
domain services the forms use. Any error: nothing is applied.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def register(app: Flask) -> None:
    from portfolio import navigation
    from portfolio.imports.views import NAV, bp

    app.register_blueprint(bp)
    navigation.add(app, *NAV)
    # Before anything reads the form (CSRF does, app-wide): a streamed kind's upload may be larger.
    app.before_request_funcs.setdefault(None, []).insert(0, _streamed_upload_limit)


def _streamed_upload_limit() -> None:
    from flask import current_app, request

    if request.endpoint == "imports.upload" and request.method == "POST":
        from portfolio.imports.services import kinds

        kind = kinds().get((request.view_args or {}).get("kind_key", ""))
        if kind is not None and getattr(kind, "streaming", False):
            request.max_content_length = int(current_app.config.get("MEF_IMPORT_MAX_MB", 1024)) * 1048576 + 65536
