"""A pure xlsx builder: table specs and row iterables in, an .xlsx file (or bytes) out. No Flask here.

What every workbook gets, whoever builds it:

- **Typed cells.** Each :class:`Column` has a ``kind``: ``text``, ``money`` (numeric cell, ``"S/ "#,##0.00``),
  ``date`` / ``datetime`` (real date cells shown ``dd/mm/yyyy``), ``percent`` (a fraction, ``0.0%``),
  ``int`` and ``number``. Money is handed to xlsxwriter as the ``Decimal`` itself: xlsxwriter writes the
  value with ``format(value, ".16G")``, which for a ``Decimal`` is its exact decimal text (no ``float()``
  on our side). A spreadsheet holds IEEE doubles, which round-trip every amount up to 15 significant
  digits (S/ 999,999,999,999.99 has 14), and tests/exports check that the cents read back exactly.
- **Inert text.** Every text value goes through ``write_string`` (never ``write``), and the workbook is
  opened with ``strings_to_formulas`` and ``strings_to_urls`` off, so a company called ``=HYPERLINK(...)``
  is a string cell. Text starting with ``= + - @``, tab or carriage return also gets Excel's quote prefix,
  so it stays text when someone edits the cell. The only formulas in a file are the ones declared here:
  ``Column.formula`` (e.g. a variance ``"{revised}-{original}"``) and the ``SUBTOTAL(109, …)`` totals.
- **Tables.** A :class:`Table` is one sheet: Spanish header in row 1, frozen; an autofilter over header
  and data; widths from the spec or from the data; and a totals row of ``SUBTOTAL(109, …)`` formulas (sums
  that follow the filter) for the columns marked ``total=True``. Cached results are the exact sums we
  computed while streaming, so viewers that do not recalculate still show the right figures.
- **Streaming.** The workbook uses ``constant_memory``: rows are written strictly in order, one at a time,
  and flushed to a temporary file, so a million-row ledger costs no more memory than ten rows.
- **Summaries and notes.** :class:`Summary` holds small titled blocks (key figures) with native Excel
  charts over them; :func:`notes_sheet` builds the *Notas* sheet (generated when, by whom, filters, cut-off).
"""
from __future__ import annotations

import datetime as dt
import io
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, BinaryIO
from zoneinfo import ZoneInfo

import xlsxwriter
from xlsxwriter.utility import xl_col_to_name

LIMA = ZoneInfo("America/Lima")
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
    """Aware datetimes are shown in Lima time (Excel has no time zones)."""
    if value.tzinfo is not None:
        value = value.astimezone(LIMA).replace(tzinfo=None)
    return value


class _Formats:
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


class _Writer:
    """Writes typed cells; the only place that talks to xlsxwriter's write_* methods."""

    def __init__(self, book: xlsxwriter.Workbook):
        self.formats = _Formats(book)

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
            _check_number(column, value)
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


def _formula_templates(columns: Sequence[Column]) -> dict[int, str]:
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


def _text_width(value: Any) -> int:
    if value is None:
        return 0
    return len(value) if isinstance(value, str) else len(str(value))


def _check_number(column: Column, value: Any) -> None:
    if isinstance(value, float):
        raise TypeError(f"column {column.key!r}: amounts must be Decimal or int, never float")
    allowed = (int,) if column.kind == "int" else (Decimal, int)
    if not isinstance(value, allowed) or isinstance(value, bool):
        raise TypeError(f"column {column.key!r}: expected a number, got {type(value).__name__}")


def _column_writer(sheet, writer: _Writer, column: Column, template: str | None) -> Callable[[int, int, Any], None]:
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
                _check_number(column, value)
            write_number(row, col, value, fmt)
        return number

    def other(row, col, value):  # date, datetime: converted by _Writer.cell
        writer.cell(sheet, row, col, column, value)
    return other


def _write_table(book, writer: _Writer, table: Table, result: WorkbookResult,
                 progress: Callable[[int], None] | None, done_before: int) -> int:
    columns = list(table.columns)
    if not columns:
        raise SpecError(f"table {table.name!r} has no columns")
    name = sheet_name(table.name)
    sheet = book.add_worksheet(name)
    formats = writer.formats
    templates = _formula_templates(columns)
    ncols = len(columns)

    widths = [max(len(c.header) + 2, DEFAULT_WIDTHS.get(c.kind, 10)) for c in columns]
    for col, column in enumerate(columns):
        writer.text(sheet, 0, col, column.header, formats.header)
    sheet.freeze_panes(1, 0)

    cells = list(enumerate(_column_writer(sheet, writer, c, templates.get(i)) for i, c in enumerate(columns)))
    total_cols = [i for i, c in enumerate(columns) if c.total]
    sums: dict[int, Decimal | int] = {i: 0 for i in total_cols}
    sampled = [i for i, c in enumerate(columns) if c.kind == "text" and c.width is None]
    row_index = 0
    for row_index, values in enumerate(table.rows, start=1):
        if len(values) != ncols:
            raise SpecError(f"{name}: row {row_index} has {len(values)} values for {ncols} columns")
        for col, write in cells:
            write(row_index, col, values[col])
        for col in total_cols:
            value = values[col]
            if value is not None:
                sums[col] += value
        if row_index <= WIDTH_SAMPLE_ROWS:
            for col in sampled:
                widths[col] = max(widths[col], min(MAX_TEXT_WIDTH, _text_width(values[col]) + 2))
        if progress is not None and row_index % PROGRESS_EVERY == 0:
            progress(done_before + row_index)

    data_rows = row_index
    if data_rows == 0:
        writer.text(sheet, 1, 0, table.empty_message)
    else:
        sheet.autofilter(0, 0, data_rows, ncols - 1)
        if sums:
            total_row = data_rows + 1
            for col, column in enumerate(columns):
                if col in sums:
                    letter = xl_col_to_name(col)
                    sheet.write_formula(total_row, col, f"=SUBTOTAL(109,{letter}2:{letter}{data_rows + 1})",
                                        formats.total_by_kind[column.kind], sums[col])
                elif col == 0:
                    writer.text(sheet, total_row, col, table.totals_label, formats.total_label)
                else:
                    sheet.write_blank(total_row, col, None, formats.total_blank)
    for col, column in enumerate(columns):
        sheet.set_column(col, col, column.width or widths[col])
    result.rows[name] = data_rows
    result.totals[name] = {columns[i].key: total for i, total in sums.items()}
    if progress is not None:
        progress(done_before + data_rows)
    return data_rows


def _write_summary(book, writer: _Writer, summary: Summary, result: WorkbookResult) -> None:
    name = sheet_name(summary.name)
    sheet = book.add_worksheet(name)
    formats = writer.formats
    row = 0
    max_cols = 2
    if summary.heading:
        writer.text(sheet, row, 0, summary.heading, formats.title)
        row += 2
    for label, value in summary.lines:
        writer.text(sheet, row, 0, label, formats.label)
        writer.any_value(sheet, row, 1, value)
        row += 1
    if summary.lines:
        row += 1
    positions: list[tuple[int, int, int]] = []  # (header row, first data row, last data row) per block
    for block in summary.blocks:
        columns = list(block.columns)
        max_cols = max(max_cols, len(columns))
        templates = _formula_templates(columns)
        writer.text(sheet, row, 0, block.title, formats.title)
        row += 1
        header_row = row
        for col, column in enumerate(columns):
            writer.text(sheet, row, col, column.header, formats.header)
        row += 1
        first = row
        sums = {i: 0 for i, c in enumerate(columns) if c.total}
        for values in block.rows:
            for col, column in enumerate(columns):
                value = values[col]
                if col in templates:
                    sheet.write_formula(row, col, "=" + templates[col].format(r=row + 1),
                                        formats.by_kind.get(column.kind, formats.text),
                                        value if value is not None else 0)
                else:
                    writer.cell(sheet, row, col, column, value)
                if col in sums and value is not None:
                    sums[col] += value
            row += 1
        last = row - 1
        if not block.rows:
            writer.text(sheet, row, 0, "Sin datos.")
            row += 1
        elif block.totals and sums:
            for col, column in enumerate(columns):
                if col in sums:
                    letter = xl_col_to_name(col)
                    sheet.write_formula(row, col, f"=SUBTOTAL(109,{letter}{first + 1}:{letter}{last + 1})",
                                        formats.total_by_kind[column.kind], sums[col])
                elif col == 0:
                    writer.text(sheet, row, col, "Total", formats.total_label)
            row += 1
        positions.append((header_row, first, last))
        row += 1
    sheet.set_column(0, 0, 42)
    sheet.set_column(1, max_cols, 18)
    chart_row = 1
    for chart_spec in summary.charts:
        block = summary.blocks[chart_spec.block]
        header_row, first, last = positions[chart_spec.block]
        if not block.rows:
            continue
        keys = [c.key for c in block.columns]
        chart = book.add_chart({"type": chart_spec.kind})
        cat_col = keys.index(chart_spec.categories)
        for value_key in chart_spec.values:
            val_col = keys.index(value_key)
            chart.add_series({
                "name": [name, header_row, val_col],
                "categories": [name, first, cat_col, last, cat_col],
                "values": [name, first, val_col, last, val_col],
            })
        chart.set_title({"name": chart_spec.title})
        if chart_spec.y_title and chart_spec.kind != "pie":
            chart.set_y_axis({"name": chart_spec.y_title})
        chart.set_legend({"position": "bottom"})
        sheet.insert_chart(chart_row, max_cols + 2, chart, {"x_scale": 1.3, "y_scale": 1.1})
        chart_row += 18
    result.rows[name] = sum(len(b.rows) for b in summary.blocks)


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


def write_workbook(target: str | os.PathLike | BinaryIO, sheets: Iterable[Sheet], *,
                   progress: Callable[[int], None] | None = None) -> WorkbookResult:
    """Write ``sheets`` to ``target`` (a path or a binary file object), streaming rows in order."""
    result = WorkbookResult()
    book = xlsxwriter.Workbook(target, WORKBOOK_OPTIONS)
    writer = _Writer(book)
    done = 0
    try:
        for sheet in sheets:
            if isinstance(sheet, Table):
                done += _write_table(book, writer, sheet, result, progress, done)
            elif isinstance(sheet, Summary):
                _write_summary(book, writer, sheet, result)
            else:
                raise SpecError(f"unknown sheet {sheet!r}")
    finally:
        book.close()
    return result


def build_workbook(sheets: Iterable[Sheet], *, progress: Callable[[int], None] | None = None) -> bytes:
    """The same as :func:`write_workbook`, returning the file's bytes."""
    buffer = io.BytesIO()
    write_workbook(buffer, sheets, progress=progress)
    return buffer.getvalue()
