"""pydantic's validation errors in Spanish, one per field."""
from __future__ import annotations

from pydantic import ValidationError

MESSAGES = {
    "missing": "Campo obligatorio.",
    "extra_forbidden": "Campo no admitido.",
    "int_type": "Debe ser un número entero.",
    "int_parsing": "Debe ser un número entero.",
    "int_from_float": "Debe ser un número entero.",
    "string_type": "Debe ser texto.",
    "string_too_short": "Es demasiado corto (mínimo {min_length} caracteres).",
    "string_too_long": "Es demasiado largo (máximo {max_length} caracteres).",
    "string_pattern_mismatch": "Formato no válido.",
    "date_type": "Fecha no válida: use AAAA-MM-DD.",
    "date_parsing": "Fecha no válida: use AAAA-MM-DD.",
    "date_from_datetime_parsing": "Fecha no válida: use AAAA-MM-DD.",
    "date_from_datetime_inexact": "Fecha no válida: use AAAA-MM-DD.",
    "datetime_parsing": "Fecha y hora no válidas: use ISO 8601.",
    "greater_than_equal": "Debe ser mayor o igual que {ge}.",
    "greater_than": "Debe ser mayor que {gt}.",
    "less_than_equal": "Debe ser menor o igual que {le}.",
    "less_than": "Debe ser menor que {lt}.",
    "literal_error": "Valor no admitido; use uno de: {expected}.",
    "enum": "Valor no admitido; use uno de: {expected}.",
    "bool_type": "Debe ser true o false.",
    "bool_parsing": "Debe ser true o false.",
    "model_type": "Debe ser un objeto JSON.",
    "model_attributes_type": "Debe ser un objeto JSON.",
    "dict_type": "Debe ser un objeto JSON.",
    "list_type": "Debe ser una lista.",
}


def field_errors(exc: ValidationError, where: str) -> list[dict[str, str]]:
    out = []
    for error in exc.errors(include_url=False):
        loc = ".".join(str(part) for part in error.get("loc", ())) or where
        kind = error["type"]
        if kind in MESSAGES:
            try:
                detail = MESSAGES[kind].format(**(error.get("ctx") or {}))
            except (KeyError, IndexError):
                detail = MESSAGES[kind].split(" (")[0]
        elif kind in ("money", "date_range"):
            detail = error["msg"]
        else:
            detail = "Valor no válido."
        out.append({"field": loc, "detail": detail})
    return out
