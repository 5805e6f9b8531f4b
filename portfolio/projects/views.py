"""Obras por Impuestos pages."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("projects", __name__, url_prefix="/proyectos")
