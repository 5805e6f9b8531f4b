"""The Spanish error pages and the HTTP handlers of domain errors (defined in :mod:`portfolio.domain_errors`)."""
from __future__ import annotations

import logging

from flask import Flask, g, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from sqlalchemy import exc as sa_exc
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
    503: ("Servicio no disponible por un momento",
          "Se perdió la comunicación con la base de datos. Si estaba guardando algo, puede que sí se haya "
          "registrado: revíselo antes de repetirlo. Intente de nuevo en unos momentos."),
}
RETRY_AFTER_SECONDS = 5


def database_unavailable(exc: BaseException) -> bool:
    """Is ``exc`` the database going away (dropped connection, server restart, pool exhausted, lock timeout)
    rather than a bug? Those get a 503 «intente de nuevo», not a 500."""
    if isinstance(exc, sa_exc.DBAPIError):
        return exc.connection_invalidated or isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError)
    return isinstance(exc, sa_exc.TimeoutError)


def _wants_json() -> bool:
    return request.path.startswith("/healthz") or request.accept_mimetypes.best == "application/json"


def render_error(status: int, message: str | None = None):
    title, default = TITLES.get(status, TITLES[400])
    if _wants_json():
        return jsonify(error=title, message=message or default, request_id=g.get("request_id")), status
    return render_template("errors/error.html", status=status, title=title, message=message or default,
                           request_id=g.get("request_id") if status >= 500 else None), status


def _bare_page(status: int):
    """The error page without the layout (which may need the database that just failed)."""
    title, message = TITLES[status]
    reference = f"<p>Código de referencia: {escape(g.get('request_id', '-'))}</p>"
    html = (f'<!doctype html><html lang="es-PE"><head><meta charset="utf-8"><title>{title}</title></head>'
            f"<body><h1>{title}</h1><p>{message}</p>{reference}</body></html>")
    return html, status, {"Content-Type": "text/html; charset=utf-8"}


def _retry_after(exc: HTTPException) -> int:
    """Seconds until a rate limit (Flask-Limiter's ``RateLimitExceeded``) lets the client in again."""
    limit = getattr(exc, "limit", None)
    try:
        return max(1, int(limit.limit.get_expiry())) if limit is not None else 60
    except Exception:  # a limiter without expiry information
        return 60


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(exc):
        from portfolio import db

        db.session.rollback()
        return render_error(
            400,
            "El formulario expiró o no es válido (protección CSRF). Vuelva a cargar la página e intente de nuevo.",
        )

    from portfolio.api.problems import ApiProblem, api_error_response, is_api_request

    @app.errorhandler(ApiProblem)
    def _api_problem(exc: ApiProblem):
        from portfolio import db
        from portfolio.api.problems import problem

        db.session.rollback()
        return problem(exc.status, exc.detail, errors=exc.errors, headers=exc.headers)

    @app.errorhandler(DomainError)
    def _domain(exc: DomainError):
        from portfolio import db

        db.session.rollback()
        if is_api_request():
            return api_error_response(exc.status_code, exc.message, field=exc.field)
        return render_error(exc.status_code, exc.message)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        status = exc.code or 500
        if is_api_request():
            headers = {k: v for k, v in (exc.get_headers() or []) if k in ("Retry-After", "Allow")}
            if status == 429 and "Retry-After" not in headers:
                headers["Retry-After"] = str(_retry_after(exc))
            return api_error_response(status if 400 <= status < 600 else 400, headers=headers)
        return render_error(status if status in TITLES else 400)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        from portfolio import db

        unavailable = database_unavailable(exc)
        if unavailable:
            log.error("Database unavailable on %s %s: %s", request.method, request.path,
                      str(exc).splitlines()[0] if str(exc) else type(exc).__name__, exc_info=exc)
        else:
            log.exception("Unhandled error on %s %s", request.method, request.path)
        try:
            db.session.rollback()
        except Exception:  # the database may be the thing that failed
            log.exception("rollback failed")
        status = 503 if unavailable else 500
        if is_api_request():
            return api_error_response(status, headers={"Retry-After": str(RETRY_AFTER_SECONDS)} if unavailable else None)
        try:
            response = app.make_response(render_error(status))
        except Exception:  # rendering the layout needed the database too
            log.exception("error page failed; answering the bare page")
            response = app.make_response(_bare_page(status))
        if unavailable:
            response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
