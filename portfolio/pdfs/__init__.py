"""Issued PDFs: constancia de aportes, estados de cuenta (company, trust), acta de decisión of a disbursement
and ficha del proyecto, each with a verification code, a QR code to ``/verificar/<code>`` and its SHA-256
recorded at issue (table ``issued_documents``, append-only)."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def register(app: Flask) -> None:
    from portfolio.pdfs.views import bp, pdf_permissions

    app.register_blueprint(bp)
    app.context_processor(pdf_permissions)  # ``can_pdf(kind)`` for the «Descargar PDF» buttons on every page
