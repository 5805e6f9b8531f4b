"""MEF's budget execution figures («Presupuesto y ejecución de gasto»): the streaming reader of MEF's open
data CSV, the versioned figures per project and year, their reads for pages, portal and exports, and the
``flask mef`` commands. The upload page lives in the imports area (``portfolio/imports/kinds/mef.py``)."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def register(app: Flask) -> None:
    from portfolio.mef.cli import mef_cli

    app.cli.add_command(mef_cli)
