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
