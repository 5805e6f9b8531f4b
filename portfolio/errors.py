"""The Spanish error pages and the HTTP handlers of domain errors (defined in :mod:`portfolio.domain_errors`)."""
from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from portfolio.domain_errors import Conflict, DomainError, Forbidden, NotFound

__all__ = ["Conflict", "DomainError", "Forbidden", "NotFound", "TITLES", "register_error_handlers", "render_error"]

log = logging.getLogger(__name__)

TITLES = {
    400: ("Solicitud no válida", "La solicitud no se pudo procesar. Revise los datos e intente de nuevo."),
    403: ("Acceso denegado", "No tiene permiso para ver esta página o realizar esta acción."),
    404: ("Página no encontrada", "La página o el registro que busca no existe o no está a su alcance."),
    405: ("Método no permitido", "Esta dirección no admite esa operación."),
    409: ("Conflicto", "El registro cambió mientras lo editaba. Vuelva a cargarlo e intente de nuevo."),
    413: ("Archivo o formulario demasiado grande", "El envío supera el tamaño máximo permitido."),
    422: ("No se pudo completar la operación", "Los datos no cumplen las reglas del sistema."),
    429: ("Demasiados intentos", "Ha realizado demasiados intentos. Espere unos minutos e intente de nuevo."),
    500: ("Error interno", "Ocurrió un error inesperado. El equipo técnico fue notificado; intente más tarde."),
}


def _wants_json() -> bool:
    return request.path.startswith("/healthz") or request.accept_mimetypes.best == "application/json"


def render_error(status: int, message: str | None = None):
    title, default = TITLES.get(status, TITLES[400])
    if _wants_json():
        return jsonify(error=title, message=message or default), status
    return render_template("errors/error.html", status=status, title=title, message=message or default), status


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(exc):
        from portfolio import db

        db.session.rollback()
        return render_error(
            400,
            "El formulario expiró o no es válido (protección CSRF). Vuelva a cargar la página e intente de nuevo.",
        )

    @app.errorhandler(DomainError)
    def _domain(exc: DomainError):
        from portfolio import db

        db.session.rollback()
        return render_error(exc.status_code, exc.message)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        status = exc.code or 500
        return render_error(status if status in TITLES else 400)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        from portfolio import db

        log.exception("Unhandled error on %s %s", request.method, request.path)
        try:
            db.session.rollback()
        except Exception:  # pragma: no cover - the database may be the thing that failed
            log.exception("rollback failed")
        return render_error(500)
