"""Workbook specs: columns, tables, summary blocks, charts; the constants every sheet shares."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from portfolio import clock

WORKBOOK_OPTIONS = {"strings_to_formulas": False, "strings_to_urls": False, "constant_memory": True}

MONEY_FORMAT = '"S/ "#,##0.00'
PERCENT_FORMAT = "0.0%"
DATE_FORMAT = "dd/mm/yyyy"
DATETIME_FORMAT = "dd/mm/yyyy hh:mm"
INT_FORMAT = "#,##0"
NUMBER_FORMAT = "#,##0.00"
KINDS = ("text", "money", "date", "datetime", "percent", "int", "number")
DEFAULT_WIDTHS = {"money": 18, "date": 12, "datetime": 17, "percent": 10, "int": 10, "number": 14}
DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
MAX_TEXT_WIDTH = 60
WIDTH_SAMPLE_ROWS = 500
PROGRESS_EVERY = 1000
SHEET_NAME_MAX = 31

class SpecError(ValueError):
    """A programming error in a table spec (unknown kind, bad formula reference…)."""


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    kind: str = "text"
    width: float | None = None
    total: bool = False
    # A formula over other columns of the same row, by key: "{revised}-{original}". The row value given
    # for this column is used as the cached result (shown by viewers that do not recalculate).
    formula: str | None = None

    def __post_init__(self):
        if self.kind not in KINDS:
            raise SpecError(f"unknown column kind {self.kind!r}")
        if self.total and self.kind not in ("money", "int", "number"):
            raise SpecError(f"column {self.key!r}: only numeric columns can have totals")


@dataclass
class Table:
    """One sheet: header, streamed rows (sequences in column order), totals row."""

    name: str
    columns: Sequence[Column]
    rows: Iterable[Sequence[Any]]
    totals_label: str = "Total"
    empty_message: str = "No hay registros para los filtros elegidos."


@dataclass
class Block:
    """A small titled table inside a :class:`Summary` sheet (key figures by stage, by level…)."""

    title: str
    columns: Sequence[Column]
    rows: Sequence[Sequence[Any]]
    totals: bool = True


@dataclass
class Chart:
    """A native Excel chart over one block of a summary: categories from one column, series from others."""

    title: str
    block: int
    categories: str
    values: Sequence[str]
    kind: str = "column"  # column, bar, line, pie
    y_title: str | None = None


@dataclass
class Summary:
    name: str
    blocks: Sequence[Block]
    charts: Sequence[Chart] = ()
    heading: str | None = None
    lines: Sequence[tuple[str, Any]] = ()  # key facts above the blocks: ("Fecha de corte", date)


@dataclass
class WorkbookResult:
    rows: dict[str, int] = field(default_factory=dict)  # data rows written per sheet
    totals: dict[str, dict[str, Decimal | int]] = field(default_factory=dict)  # exact sums per sheet/column


Sheet = Table | Summary


def is_dangerous(text: str) -> bool:
    return text.startswith(DANGEROUS_PREFIXES)


def sheet_name(name: str) -> str:
    """Excel sheet names: at most 31 characters, none of ``[]:*?/\\``."""
    cleaned = " ".join("".join(" " if ch in '[]:*?/\\' else ch for ch in name).split()).strip("'")
    return cleaned[:SHEET_NAME_MAX].strip() or "Hoja"


def to_excel_datetime(value: dt.datetime) -> dt.datetime:
    """Aware datetimes are shown in the business time zone (``TIMEZONE``) (Excel has no time zones)."""
    if value.tzinfo is not None:
        value = value.astimezone(clock.zone()).replace(tzinfo=None)
    return value


def notes_sheet(*, generated_at: dt.datetime, generated_by: str, title: str,
                filters: Sequence[tuple[str, Any]] = (), cutoff: dt.date | None = None,
                extra: Sequence[tuple[str, Any]] = ()) -> Summary:
    """The *Notas* sheet: what this file is, when and by whom it was generated, with which filters."""
    lines: list[tuple[str, Any]] = [("Documento", title), ("Generado el", generated_at),
                                    ("Generado por", generated_by)]
    if cutoff is not None:
        lines.append(("Fecha de corte", cutoff))
    if filters:
        lines.extend((f"Filtro: {label}", value) for label, value in filters)
    else:
        lines.append(("Filtros", "Ninguno (todos los registros a su alcance)"))
    lines.extend(extra)
    lines.append(("Montos", "Soles (S/), exactos al céntimo; los totales usan SUBTOTAL y siguen los filtros."))
    lines.append(("Fechas", "dd/mm/aaaa, hora de Lima"))
    return Summary(name="Notas", blocks=(), lines=lines, heading="Notas")
