"""Turning raw cells into values, the way Peruvian users type them; each failure is a Spanish reason.

Amounts: ``1234.56``, ``1,234.56``, ``S/ 1,234.56`` or a numeric cell (through ``money.parse_money``:
more than two decimals, negatives and exponents are refused, never rounded). Dates: ``15/03/2026``,
``2026-03-15`` or a real date cell. Periods (months): ``03/2026``, ``3/2026``, ``2026-03``, ``marzo 2026``,
``mar-2026`` or a date cell. A cell starting with ``=`` is a formula: never evaluated — literal text in a
text column, an error in any other.
"""
from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from decimal import Decimal, InvalidOperation

from portfolio.money import MoneyError, parse_money
from portfolio.orgs.ruc import clean_ruc, ruc_problem

MONTHS = {
    "enero": 1, "ene": 1, "febrero": 2, "feb": 2, "marzo": 3, "mar": 3, "abril": 4, "abr": 4, "mayo": 5, "may": 5,
    "junio": 6, "jun": 6, "julio": 7, "jul": 7, "agosto": 8, "ago": 8, "setiembre": 9, "septiembre": 9, "set": 9,
    "sep": 9, "sept": 9, "octubre": 10, "oct": 10, "noviembre": 11, "nov": 11, "diciembre": 12, "dic": 12,
}
_DATE_DMY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_DATE_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00)?)?$")
_PERIOD_MY = re.compile(r"^(\d{1,2})[/.-](\d{4})$")
_PERIOD_YM = re.compile(r"^(\d{4})[/.-](\d{1,2})$")
_PERIOD_NAME = re.compile(r"^([a-z]+)\.?[\s/.-]*(?:de\s+|del\s+)?(\d{4})$")
_INTEGER = re.compile(r"^\d{1,3}(?:,\d{3})+$|^\d+$")
MIN_YEAR, MAX_YEAR = 1990, 2100


class CellError(ValueError):
    """The reason a cell is not acceptable (Spanish)."""


def is_formula(value: object) -> bool:
    if isinstance(value, str):
        return value.lstrip().startswith("=")
    return type(value).__name__ in ("ArrayFormula", "DataTableFormula")


def shown(value: object) -> str:
    """The cell as the user typed it, for error messages."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%d/%m/%Y") if value.time() == dt.time(0) else value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, float):
        return repr(value)
    text = getattr(value, "text", None) if not isinstance(value, str) else value
    return str(text if text is not None else value)[:80]


def _formula_error(value: object) -> CellError:
    return CellError(f"La celda tiene una fórmula ({shown(value)[:40]}); las fórmulas no se calculan: "
                     "escriba el valor.")


def blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def text(value: object, *, max_length: int = 200) -> str:
    if is_formula(value) and not isinstance(value, str):
        value = shown(value)
    if isinstance(value, dt.datetime | dt.date):
        value = shown(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    result = " ".join(str(value).split())
    if len(result) > max_length:
        raise CellError(f"El texto tiene {len(result)} caracteres; el máximo es {max_length}.")
    return result


def money(value: object) -> Decimal:
    if is_formula(value):
        raise _formula_error(value)
    if isinstance(value, bool):
        raise CellError("No es un monto.")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise CellError("No es un monto.")
        value = Decimal(repr(value))  # the shortest decimal the cell shows; 3 decimals stay 3 decimals
    elif isinstance(value, str):
        value = " ".join(value.split()).replace("S/.", "S/")
    try:
        return parse_money(value)
    except (MoneyError, InvalidOperation) as exc:
        raise CellError(str(exc)) from exc


def integer(value: object, *, minimum: int = 0, maximum: int = 10**9) -> int:
    if is_formula(value):
        raise _formula_error(value)
    if isinstance(value, bool):
        raise CellError("Debe ser un número entero.")
    if isinstance(value, float):
        if not value.is_integer():
            raise CellError("Debe ser un número entero, sin decimales.")
        value = int(value)
    if isinstance(value, str):
        raw = "".join(value.split())
        if raw.endswith(".0"):
            raw = raw[:-2]
        if not _INTEGER.match(raw):
            raise CellError("Debe ser un número entero, sin decimales (p. ej. 125).")
        value = int(raw.replace(",", ""))
    if not isinstance(value, int):
        raise CellError("Debe ser un número entero.")
    if value < minimum:
        raise CellError(f"Debe ser al menos {minimum}.")
    if value > maximum:
        raise CellError(f"Debe ser como máximo {maximum:,}.")
    return value


def _make_date(year: int, month: int, day: int, shown_as: str) -> dt.date:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise CellError(f"El año {year} está fuera de rango.")
    try:
        return dt.date(year, month, day)
    except ValueError as exc:
        raise CellError(f"La fecha {shown_as} no existe.") from exc


def date(value: object) -> dt.date:
    if is_formula(value):
        raise _formula_error(value)
    if isinstance(value, dt.datetime):
        if value.time() != dt.time(0):
            raise CellError("Escriba solo la fecha, sin hora.")
        value = value.date()
    if isinstance(value, dt.date):
        return _make_date(value.year, value.month, value.day, shown(value))
    if not isinstance(value, str):
        raise CellError("No es una fecha: use el formato dd/mm/aaaa (p. ej. 15/03/2026).")
    raw = value.strip()
    match = _DATE_DMY.match(raw)
    if match:
        day, month, year = (int(g) for g in match.groups())
        return _make_date(year, month, day, raw)
    match = _DATE_ISO.match(raw)
    if match:
        year, month, day = (int(g) for g in match.groups())
        return _make_date(year, month, day, raw)
    raise CellError("No es una fecha: use el formato dd/mm/aaaa (p. ej. 15/03/2026).")


def period(value: object) -> dt.date:
    """A month, returned as its first day."""
    if is_formula(value):
        raise _formula_error(value)
    if isinstance(value, dt.datetime | dt.date):
        return date(value).replace(day=1)
    if not isinstance(value, str):
        raise CellError("No es un periodo: use mes/año, p. ej. 03/2026.")
    raw = " ".join(value.split())
    plain = "".join(ch for ch in unicodedata.normalize("NFKD", raw.lower()) if not unicodedata.combining(ch))
    for pattern, order in ((_PERIOD_MY, "my"), (_PERIOD_YM, "ym")):
        match = pattern.match(plain)
        if match:
            a, b = (int(g) for g in match.groups())
            month, year = (a, b) if order == "my" else (b, a)
            if not 1 <= month <= 12:
                raise CellError(f"El mes {month} no existe.")
            return _make_date(year, month, 1, raw)
    match = _PERIOD_NAME.match(plain)
    if match and match.group(1) in MONTHS:
        return _make_date(int(match.group(2)), MONTHS[match.group(1)], 1, raw)
    if _DATE_DMY.match(plain) or _DATE_ISO.match(plain):
        return date(plain).replace(day=1)
    raise CellError("No es un periodo: use mes/año, p. ej. 03/2026.")


def ruc(value: object) -> str:
    if is_formula(value):
        raise _formula_error(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    cleaned = clean_ruc(str(value))
    problem = ruc_problem(cleaned)
    if problem:
        raise CellError(problem)
    return cleaned


def choice(value: object, options: dict[str, str]) -> str:
    """A value among ``options`` (key → label), matched on key or label without case or accents."""
    if is_formula(value):
        raise _formula_error(value)

    def norm(s: str) -> str:
        s = unicodedata.normalize("NFKD", s.strip().lower())
        return " ".join("".join(ch for ch in s if not unicodedata.combining(ch)).replace("_", " ").split())

    wanted = norm(str(value))
    for key, label in options.items():
        if wanted in (norm(key), norm(label)):
            return key
    raise CellError("Valor no reconocido; use uno de: " + ", ".join(options.values()) + ".")
