"""A pure xlsx builder: table specs and row iterables in, an .xlsx file (or bytes) out. No Flask here.

What every workbook gets, whoever builds it:

- **Typed cells.** Each :class:`Column` has a ``kind``: ``text``, ``money`` (numeric cell, ``"S/ "#,##0.00``),
  ``date`` / ``datetime`` (real date cells shown ``dd/mm/yyyy``), ``percent`` (a fraction, ``0.0%``),
  ``int`` and ``number``. Money is handed to xlsxwriter as the ``Decimal`` itself: xlsxwriter writes the
  value with ``format(value, ".16G")``, which for a ``Decimal`` is its exact decimal text (no conversion to binary floating point
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

import io
import os
from collections.abc import Callable, Iterable
from typing import BinaryIO

import xlsxwriter

from portfolio.exports.xlsx.cells import CellWriter
from portfolio.exports.xlsx.sheets import write_summary, write_table
from portfolio.exports.xlsx.spec import (
    DANGEROUS_PREFIXES,
    DATE_FORMAT,
    DATETIME_FORMAT,
    KINDS,
    MONEY_FORMAT,
    PERCENT_FORMAT,
    PROGRESS_EVERY,
    WORKBOOK_OPTIONS,
    Block,
    Chart,
    Column,
    Sheet,
    SpecError,
    Summary,
    Table,
    WorkbookResult,
    is_dangerous,
    notes_sheet,
    sheet_name,
    to_excel_datetime,
)

__all__ = [
    "DANGEROUS_PREFIXES", "DATE_FORMAT", "DATETIME_FORMAT", "KINDS", "MONEY_FORMAT", "PERCENT_FORMAT",
    "PROGRESS_EVERY", "WORKBOOK_OPTIONS", "Block", "Chart", "Column", "Sheet", "SpecError", "Summary", "Table",
    "WorkbookResult", "build_workbook", "is_dangerous", "notes_sheet", "sheet_name", "to_excel_datetime",
    "write_workbook",
]


def write_workbook(target: str | os.PathLike | BinaryIO, sheets: Iterable[Sheet], *,
                   progress: Callable[[int], None] | None = None) -> WorkbookResult:
    """Write ``sheets`` to ``target`` (a path or a binary file object), streaming rows in order."""
    result = WorkbookResult()
    book = xlsxwriter.Workbook(target, WORKBOOK_OPTIONS)
    writer = CellWriter(book)
    done = 0
    try:
        for sheet in sheets:
            if isinstance(sheet, Table):
                done += write_table(book, writer, sheet, result, progress, done)
            elif isinstance(sheet, Summary):
                write_summary(book, writer, sheet, result)
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
