"""Typed cell writing: formats, the per-column writers of the hot loop, formula templates."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

import xlsxwriter
from xlsxwriter.utility import xl_col_to_name

from portfolio.exports.xlsx.spec import (
    DANGEROUS_PREFIXES,
    DATE_FORMAT,
    DATETIME_FORMAT,
    INT_FORMAT,
    MONEY_FORMAT,
    NUMBER_FORMAT,
    PERCENT_FORMAT,
    Column,
    SpecError,
    is_dangerous,
    to_excel_datetime,
)


class Formats:
    def __init__(self, book: xlsxwriter.Workbook):
        add = book.add_format
        self.header = add({"bold": True, "bg_color": "#DDE5F0", "border": 1, "text_wrap": True, "valign": "top"})
        self.title = add({"bold": True, "font_size": 13})
        self.label = add({"bold": True})
        self.text = add({})
        self.quoted = add({"quote_prefix": True})
        self.by_kind = {
            "money": add({"num_format": MONEY_FORMAT}),
            "date": add({"num_format": DATE_FORMAT}),
            "datetime": add({"num_format": DATETIME_FORMAT}),
            "percent": add({"num_format": PERCENT_FORMAT}),
            "int": add({"num_format": INT_FORMAT}),
            "number": add({"num_format": NUMBER_FORMAT}),
        }
        self.total_label = add({"bold": True, "top": 1})
        self.total_by_kind = {
            kind: add({"bold": True, "top": 1, "num_format": fmt})
            for kind, fmt in (("money", MONEY_FORMAT), ("int", INT_FORMAT), ("number", NUMBER_FORMAT))
        }
        self.total_blank = add({"top": 1})


class CellWriter:
    """Writes typed cells; the only place that talks to xlsxwriter's write_* methods."""

    def __init__(self, book: xlsxwriter.Workbook):
        self.formats = Formats(book)

    def text(self, sheet, row: int, col: int, value: Any, fmt=None) -> None:
        text = value if isinstance(value, str) else str(value)
        if fmt is None:
            fmt = self.formats.quoted if is_dangerous(text) else self.formats.text
        sheet.write_string(row, col, text, fmt)

    def cell(self, sheet, row: int, col: int, column: Column, value: Any) -> None:
        if value is None or value == "":
            return  # an empty cell, not a zero
        kind = column.kind
        if kind == "text":
            self.text(sheet, row, col, value)
        elif kind in ("money", "number", "percent", "int"):
            check_number(column, value)
            sheet.write_number(row, col, value, self.formats.by_kind[kind])
        elif kind == "date":
            if isinstance(value, dt.datetime):
                value = to_excel_datetime(value).date()
            sheet.write_datetime(row, col, value, self.formats.by_kind["date"])
        elif kind == "datetime":
            if isinstance(value, dt.datetime):
                value = to_excel_datetime(value)
            sheet.write_datetime(row, col, value, self.formats.by_kind["datetime"])

    def any_value(self, sheet, row: int, col: int, value: Any) -> None:
        """A label/value cell of a summary or the notes: typed from the Python value."""
        if value is None:
            return
        if isinstance(value, Decimal):
            sheet.write_number(row, col, value, self.formats.by_kind["money"])
        elif isinstance(value, bool):
            self.text(sheet, row, col, "Sí" if value else "No")
        elif isinstance(value, int):
            sheet.write_number(row, col, value, self.formats.by_kind["int"])
        elif isinstance(value, dt.datetime):
            sheet.write_datetime(row, col, to_excel_datetime(value), self.formats.by_kind["datetime"])
        elif isinstance(value, dt.date):
            sheet.write_datetime(row, col, value, self.formats.by_kind["date"])
        elif isinstance(value, float):
            raise TypeError("never float in a workbook: use Decimal")
        else:
            self.text(sheet, row, col, value)


def formula_templates(columns: Sequence[Column]) -> dict[int, str]:
    """``{revised}-{original}`` → ``D{r}-C{r}`` (1-based row placeholder ``{r}``)."""
    letters = {c.key: xl_col_to_name(i) + "{r}" for i, c in enumerate(columns)}
    templates = {}
    for i, column in enumerate(columns):
        if column.formula:
            try:
                templates[i] = column.formula.format(**letters)
            except KeyError as exc:
                raise SpecError(f"formula of {column.key!r} names unknown column {exc}") from exc
    return templates


def text_width(value: Any) -> int:
    if value is None:
        return 0
    return len(value) if isinstance(value, str) else len(str(value))


def check_number(column: Column, value: Any) -> None:
    if isinstance(value, float):
        raise TypeError(f"column {column.key!r}: amounts must be Decimal or int, never float")
    allowed = (int,) if column.kind == "int" else (Decimal, int)
    if not isinstance(value, allowed) or isinstance(value, bool):
        raise TypeError(f"column {column.key!r}: expected a number, got {type(value).__name__}")


def column_writer(sheet, writer: CellWriter, column: Column, template: str | None) -> Callable[[int, int, Any], None]:
    """One fast cell writer per column, chosen once per table (the per-row loop only calls it)."""
    formats = writer.formats
    kind = column.kind
    if template is not None:
        fmt = formats.by_kind.get(kind, formats.text)
        write_formula = sheet.write_formula

        def formula(row, col, value):
            write_formula(row, col, "=" + template.format(r=row + 1), fmt, 0 if value is None else value)
        return formula
    if kind == "text":
        write_string, quoted = sheet.write_string, formats.quoted

        def text(row, col, value):
            if value is None or value == "":
                return
            if value.__class__ is not str:
                value = str(value)
            write_string(row, col, value, quoted if value.startswith(DANGEROUS_PREFIXES) else None)
        return text
    if kind in ("money", "number", "percent", "int"):
        write_number, fmt = sheet.write_number, formats.by_kind[kind]
        fast = (int,) if kind == "int" else (Decimal, int)

        def number(row, col, value):
            if value is None:
                return
            if value.__class__ not in fast:
                check_number(column, value)
            write_number(row, col, value, fmt)
        return number

    def other(row, col, value):  # date, datetime: converted by CellWriter.cell
        writer.cell(sheet, row, col, column, value)
    return other
