"""Downloadable templates: an .xlsx with the expected columns and their formats, and a help sheet with an
example row. Built with xlsxwriter with formulas, URLs and number conversion disabled."""
from __future__ import annotations

import io
from decimal import Decimal

import xlsxwriter

from portfolio.imports.base import ImportKind

NUMBER_FORMATS = {"money": '"S/ "#,##0.00', "integer": "0", "date": "dd/mm/yyyy", "period": "@", "ruc": "@",
                  "text": "@", "choice": "@"}
FORMAT_HELP = {"money": "Monto en soles: 1234567.89, 1,234,567.89 o S/ 1,234,567.89 (hasta 2 decimales)",
               "integer": "Número entero", "date": "Fecha dd/mm/aaaa (p. ej. 15/03/2026)",
               "period": "Mes/año mm/aaaa (p. ej. 03/2026)", "ruc": "11 dígitos", "text": "Texto",
               "choice": "Uno de los valores indicados"}


def build_template(kind: ImportKind, user=None) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                                        "strings_to_numbers": False})
    header = book.add_format({"bold": True, "bg_color": "#1f4e79", "font_color": "#ffffff", "border": 1,
                              "text_wrap": True, "valign": "top"})
    bold = book.add_format({"bold": True})
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    title = book.add_format({"bold": True, "font_size": 14})
    formats = {key: book.add_format({"num_format": fmt}) for key, fmt in NUMBER_FORMATS.items()}

    sheet = book.add_worksheet(kind.sheet_name)
    for position, column in enumerate(kind.columns):
        sheet.write_string(0, position, column.header, header)
        sheet.set_column(position, position, max(14, min(40, len(column.header) + 6)), formats[column.kind])
        if column.kind == "choice":
            options = list(kind.choices[column.key].values())
            sheet.data_validation(1, position, 20000, position, {"validate": "list", "source": options,
                                                                 "error_type": "warning"})
    sheet.freeze_panes(1, 0)

    helper = book.add_worksheet("Ayuda")
    helper.set_column(0, 0, 28)
    helper.set_column(1, 1, 12)
    helper.set_column(2, 2, 40)
    helper.set_column(3, 3, 24)
    helper.set_column(4, 4, 70)
    helper.write_string(0, 0, f"Plantilla: {kind.title}", title)
    helper.write_string(1, 0, f"Complete la hoja «{kind.sheet_name}» desde la fila 2, una fila por registro. "
                              "Puede subirla como .xlsx o guardarla como CSV.", wrap)
    row = 2
    for note in kind.help_notes:
        helper.write_string(row, 0, "• " + note)
        row += 1
    row += 1
    for position, name in enumerate(("Columna", "Obligatoria", "Formato", "Ejemplo", "Descripción")):
        helper.write_string(row, position, name, header)
    examples = kind.example_row(user)
    for column, example in zip(kind.columns, examples, strict=True):
        row += 1
        helper.write_string(row, 0, column.header, bold)
        helper.write_string(row, 1, "Sí" if column.required else "No")
        fmt = FORMAT_HELP[column.kind]
        if column.kind == "choice":
            fmt += ": " + ", ".join(kind.choices[column.key].values())
        helper.write_string(row, 2, fmt, wrap)
        helper.write_string(row, 3, _shown(example))
        helper.write_string(row, 4, column.help, wrap)
    row += 2
    helper.write_string(row, 0, "Fila de ejemplo (así se ve una fila completa en la hoja de datos):", bold)
    row += 1
    for position, column in enumerate(kind.columns):
        helper.write_string(row, position, column.header, header)
    row += 1
    for position, example in enumerate(examples):
        helper.write_string(row, position, _shown(example), formats["text"])
    book.close()
    return buffer.getvalue()


def _shown(value: object) -> str:
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    return "" if value is None else str(value)
