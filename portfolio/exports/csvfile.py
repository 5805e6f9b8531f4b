"""CSV downloads with the same spreadsheet-safety rule as the xlsx builder.

A text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
(:data:`portfolio.exports.xlsx.spec.DANGEROUS_PREFIXES`, the rule the xlsx builder applies with a quote prefix)
would become a live formula when the file is opened in Excel or LibreOffice, so it is written with a leading
apostrophe. Only text is touched: numbers (``Decimal``, ``int``) and dates are written as they are, so a
negative amount stays a number.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal

from flask import Response

from portfolio.exports.xlsx.spec import is_dangerous


def csv_cell(value: object) -> object:
    """The value as it goes into a CSV cell: None → empty, dangerous text → ``'`` + text, the rest as is."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "si" if value else "no"
    if isinstance(value, (Decimal, int, dt.date)):
        return value.isoformat() if isinstance(value, dt.date) else value
    text = str(value)
    return "'" + text if is_dangerous(text) else text


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A UTF-8-BOM CSV (so Excel reads the accents) with every cell passed through :func:`csv_cell`."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([csv_cell(h) for h in header])
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
    return "\ufeff" + buffer.getvalue()


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence[object]]) -> Response:
    return Response(csv_text(header, rows), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename={filename}"})
