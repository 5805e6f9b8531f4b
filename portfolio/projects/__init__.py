"""Obras por Impuestos: projects, stages, budgets, variations, milestones and certificates."""
from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    from portfolio.projects.views import bp

    app.register_blueprint(bp)
