"""Errors as ``application/problem+json`` (RFC 9457), in Spanish, with per-field errors.

Every error of an /api/ request goes through :func:`problem`: the app's error handlers call
:func:`api_error_response` for API paths, so a 404 for an unknown route, a 405, a 413 or a database outage
answer in the same shape as a domain error raised by a service.
"""
from __future__ import annotations

import json
from typing import Any

MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "/api/v1/problemas/"

TITLES = {
    400: ("solicitud-invalida", "Solicitud no válida"),
    401: ("no-autenticado", "Falta una clave de API válida"),
    403: ("prohibido", "La clave no permite esta operación"),
    404: ("no-encontrado", "No encontrado"),
    405: ("metodo-no-permitido", "Método no permitido"),
    409: ("conflicto", "Conflicto"),
    413: ("demasiado-grande", "Solicitud demasiado grande"),
    415: ("tipo-no-soportado", "Tipo de contenido no soportado"),
    422: ("datos-invalidos", "Los datos no cumplen las reglas"),
    429: ("demasiadas-solicitudes", "Demasiadas solicitudes"),
    500: ("error-interno", "Error interno"),
    503: ("no-disponible", "Servicio no disponible por un momento"),
}
DETAILS = {
    400: "La solicitud no se pudo interpretar.",
    401: "Envíe la cabecera «Authorization: Bearer <clave>» con una clave de API vigente.",
    403: "Su rol o los alcances de la clave no permiten esta operación.",
    404: "El recurso no existe o no está a su alcance.",
    405: "Esta dirección no admite ese método.",
    409: "La solicitud entra en conflicto con el estado actual.",
    413: "El cuerpo de la solicitud supera el tamaño máximo permitido.",
    415: "Envíe el cuerpo como JSON (Content-Type: application/json).",
    422: "Revise los campos indicados.",
    429: "Superó el límite de solicitudes. Espere el tiempo indicado en Retry-After.",
    500: "Ocurrió un error inesperado. El equipo técnico fue notificado.",
    503: "Se perdió la comunicación con la base de datos. Intente de nuevo en unos momentos.",
}


class ApiProblem(Exception):
    """Raised inside the API to answer a problem response."""

    def __init__(self, status: int, detail: str | None = None, *, errors: list[dict[str, str]] | None = None,
                 headers: dict[str, str] | None = None):
        super().__init__(detail or DETAILS.get(status, ""))
        self.status, self.detail, self.errors, self.headers = status, detail, errors, headers or {}


def problem_body(status: int, detail: str | None = None, errors: list[dict[str, str]] | None = None) -> dict[str, Any]:
    slug, title = TITLES.get(status, TITLES[400])
    body: dict[str, Any] = {"type": TYPE_BASE + slug, "title": title, "status": status,
                            "detail": detail or DETAILS.get(status, DETAILS[400])}
    if errors:
        body["errors"] = errors
    return body


def problem(status: int, detail: str | None = None, *, errors: list[dict[str, str]] | None = None,
            headers: dict[str, str] | None = None):
    from flask import current_app, g, request

    body = problem_body(status, detail, errors)
    body["instance"] = request.path
    if g.get("request_id"):
        body["request_id"] = g.request_id
    response = current_app.response_class(json.dumps(body, ensure_ascii=False), status=status, mimetype=MEDIA_TYPE)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    response.headers["Cache-Control"] = "no-store"
    return response


def is_api_request() -> bool:
    from flask import has_request_context, request

    return has_request_context() and (request.path == "/api" or request.path.startswith("/api/"))


def api_error_response(status: int, detail: str | None = None, *, field: str | None = None,
                       headers: dict[str, str] | None = None):
    """The app's error handlers answer API paths with this (a domain error's field becomes a field error)."""
    errors = [{"field": field, "detail": detail}] if field and detail else None
    return problem(status, detail, errors=errors, headers=headers)
