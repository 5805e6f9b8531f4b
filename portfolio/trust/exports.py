"""Excel exports of the trust's lists and statements: what the page shows, money as numbers in "S/ " format."""
from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import xlsxwriter

MONEY_FORMAT = '"S/ "#,##0.00'
DATE_FORMAT = "dd/mm/yyyy"
MAX_ROWS = 20000


def table_xlsx(title: str, columns: list[tuple[str, int]], rows: list[list], subtitle: str | None = None) -> bytes:
    """One sheet: an optional subtitle line, a header and the rows. Decimals are money cells, dates date cells."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet(title[:31])
    header = book.add_format({"bold": True, "bg_color": "#0B3D62", "font_color": "#FFFFFF", "text_wrap": True})
    money = book.add_format({"num_format": MONEY_FORMAT})
    date = book.add_format({"num_format": DATE_FORMAT})
    top = 0
    if subtitle:
        sheet.write_string(0, 0, subtitle, book.add_format({"bold": True}))
        top = 1
    for col, (name, width) in enumerate(columns):
        sheet.write_string(top, col, name, header)
        sheet.set_column(col, col, width)
    for r, values in enumerate(rows[:MAX_ROWS], start=top + 1):
        for c, value in enumerate(values):
            if isinstance(value, Decimal):
                sheet.write_number(r, c, value, money)
            elif isinstance(value, dt.date):
                sheet.write_datetime(r, c, dt.datetime(value.year, value.month, value.day), date)
            elif isinstance(value, int):
                sheet.write_number(r, c, value)
            elif value is None:
                sheet.write_blank(r, c, None)
            else:
                sheet.write_string(r, c, str(value))
    sheet.freeze_panes(top + 1, 0)
    book.close()
    return buffer.getvalue()
