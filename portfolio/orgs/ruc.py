"""The Peruvian taxpayer number (RUC): 11 digits, prefix 10/15/17/20 and a check digit (``stdnum.pe.ruc``).

Plain functions with Spanish messages, shared by forms, services and imports; no web framework.
"""
from __future__ import annotations

from stdnum.exceptions import ValidationError as StdnumError
from stdnum.pe import ruc as ruc_number


def clean_ruc(value: str | None) -> str:
    return (value or "").strip().replace(" ", "").replace("-", "")


def ruc_problem(value: str) -> str | None:
    value = clean_ruc(value)
    if not value.isdigit() or len(value) != 11:
        return "El RUC debe tener exactamente 11 dígitos."
    if value[:2] not in ("10", "15", "17", "20"):
        return "El RUC debe empezar con 10, 15, 17 o 20."
    try:
        ruc_number.validate(value)
    except StdnumError:
        return "El RUC no es válido: el dígito verificador no coincide."
    return None
