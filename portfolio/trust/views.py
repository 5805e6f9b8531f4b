"""Trust (fideicomiso) pages."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("trust", __name__, url_prefix="/fideicomiso")
