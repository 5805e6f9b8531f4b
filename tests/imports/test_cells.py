"""Cell parsing and file sniffing, without a database: Peruvian formats in, exact values or Spanish reasons out."""
from __future__ import annotations

import datetime as dt
import io
import zipfile
from decimal import Decimal

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from portfolio.imports import cells, reader
from portfolio.imports.kinds.declarations import DeclarationsImport


@pytest.mark.parametrize("raw, expected", [
    ("1234.56", "1234.56"), ("1,234.56", "1234.56"), ("S/ 1,234.56", "1234.56"), ("  S/   1,234.56 ", "1234.56"),
    ("S/.1,234.56", "1234.56"), ("1234", "1234.00"), (1234, "1234.00"), (1234.5, "1234.50"), (0.1, "0.10"),
    ("1,234,567.89", "1234567.89"), ("S/\u00a01,000.00", "1000.00"),
])
def test_money_formats_peruvian_users_type(raw, expected):
    assert cells.money(raw) == Decimal(expected)


@pytest.mark.parametrize("raw, reason", [
    ("1234.567", "más de dos decimales"), (1234.567, "más de dos decimales"), ("-5.00", "negativo"),
    ("1.234,56", "formato 1,234,567.89"), ("1e5", "formato"), ("NaN", "formato"), (float("nan"), "No es un monto"),
    ("=A1*2", "fórmula"), (True, "No es un monto"), ("12,34.00", "formato"),
])
def test_money_refusals(raw, reason):
    with pytest.raises(cells.CellError, match=reason):
        cells.money(raw)


@given(st.decimals(min_value=0, max_value=Decimal("999999999.99"), places=2))
def test_money_round_trips_every_two_decimal_amount_as_text_and_as_a_float_cell(value):
    assert cells.money(f"S/ {value:,.2f}") == value
    assert cells.money(float(value)) == value  # what openpyxl hands back for a numeric cell


@pytest.mark.parametrize("raw, expected", [
    ("15/03/2026", dt.date(2026, 3, 15)), ("5/3/2026", dt.date(2026, 3, 5)), ("2026-03-15", dt.date(2026, 3, 15)),
    (dt.datetime(2026, 3, 15), dt.date(2026, 3, 15)), (dt.date(2026, 3, 15), dt.date(2026, 3, 15)),
    (" 15-03-2026 ", dt.date(2026, 3, 15)),
])
def test_dates(raw, expected):
    assert cells.date(raw) == expected


@pytest.mark.parametrize("raw, reason", [
    ("31/02/2026", "La fecha 31/02/2026 no existe."), ("29/02/2025", "no existe"), ("2026/15/03", "No es una fecha"),
    ("15/03/26", "No es una fecha"), (46000, "No es una fecha"), ("=HOY()", "fórmula"),
    (dt.datetime(2026, 3, 15, 10, 30), "sin hora"), ("01/01/1850", "fuera de rango"),
])
def test_date_refusals(raw, reason):
    with pytest.raises(cells.CellError, match=reason):
        cells.date(raw)


@pytest.mark.parametrize("raw", ["03/2026", "3/2026", "2026-03", "marzo 2026", "Marzo de 2026", "mar-2026",
                                 "MAR 2026", "01/03/2026", "31/03/2026", dt.datetime(2026, 3, 1),
                                 dt.datetime(2026, 3, 20), "03.2026"])
def test_periods(raw):
    assert cells.period(raw) == dt.date(2026, 3, 1)


@pytest.mark.parametrize("raw, reason", [("13/2026", "El mes 13 no existe."), ("00/2026", "El mes 0 no existe."),
                                         ("marzo", "No es un periodo"), ("2026", "No es un periodo"),
                                         ("31/02/2026", "no existe"), ("=B2", "fórmula")])
def test_period_refusals(raw, reason):
    with pytest.raises(cells.CellError, match=reason):
        cells.period(raw)


def test_integers_rucs_and_text():
    assert cells.integer("1,250") == 1250 and cells.integer(12.0) == 12 and cells.integer(" 7 ") == 7
    with pytest.raises(cells.CellError, match="sin decimales"):
        cells.integer("2.5")
    assert cells.ruc(" 20512333797 ") == "20512333797" and cells.ruc(20512333797.0) == "20512333797"
    with pytest.raises(cells.CellError, match="dígito verificador"):
        cells.ruc("20512333798")
    # A formula in a text column is kept as the literal text, never evaluated.
    assert cells.text("=CMD|' /C calc'!A0") == "=CMD|' /C calc'!A0"
    assert cells.text("  varios   espacios \n aquí ") == "varios espacios aquí"


def test_headers_are_normalized():
    assert reader.normalize_header("  Número de  TRABAJADORES (N°) ") == "numero de trabajadores"
    assert reader.normalize_header("Planilla bruta (S/)") == "planilla bruta"
    assert reader.column_letter(0) == "A" and reader.column_letter(27) == "AB"


def _workbook_bytes() -> bytes:
    book = openpyxl.Workbook()
    book.active.append(["a"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_type_is_decided_by_content():
    assert reader.detect_type(_workbook_bytes()) == "xlsx"
    assert reader.detect_type(b"RUC;Periodo\n1;2\n") == "csv"
    for data, fragment in ((b"", "vacío"), (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "contraseña"),
                           (b"PK\x03\x04garbage", "dañado"), (b"\x00\x01\x02binario", "no admitido")):
        with pytest.raises(reader.FileProblem, match=fragment):
            reader.detect_type(data)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w/>")
        archive.writestr("[Content_Types].xml", "<Types/>")
    with pytest.raises(reader.FileProblem, match="no es un libro de Excel"):
        reader.detect_type(buffer.getvalue())


def test_delimiters_and_encodings_are_sniffed():
    columns = DeclarationsImport.columns
    for delimiter in (",", ";", "\t"):
        text = delimiter.join(["RUC", "Periodo", "Planilla bruta", "Número de trabajadores"]) + "\n"
        text += delimiter.join(["20512333797", "03/2026", "1000.00", "5"]) + "\n"
        for encoding in ("utf-8", "utf-8-sig", "latin-1"):
            sheet = reader.read(text.encode(encoding), columns, sheet_name="Declaraciones", max_bytes=10**6,
                                max_rows=10)
            assert sheet.file_type == "csv" and [list(r[1]) for r in sheet.rows] == [
                ["20512333797", "03/2026", "1000.00", "5"]]
            assert sorted(c.key for c in sheet.columns.values()) == ["headcount", "month", "payroll", "ruc"]


def test_csv_with_a_comma_inside_quotes_keeps_the_amount_whole():
    text = 'RUC,Periodo,Planilla bruta,Número de trabajadores\n20512333797,03/2026,"1,234.56",5\n'
    sheet = reader.read(text.encode(), DeclarationsImport.columns, sheet_name="x", max_bytes=10**6, max_rows=10)
    assert list(sheet.rows[0][1]) == ["20512333797", "03/2026", "1,234.56", "5"]


def test_xlsx_formula_cells_come_back_as_their_text():
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "Declaraciones"
    ws.append(["RUC", "Periodo", "Planilla bruta", "Número de trabajadores"])
    ws.append(["20512333797", "03/2026", "=1+1", 5])
    buffer = io.BytesIO()
    book.save(buffer)
    sheet = reader.read(buffer.getvalue(), DeclarationsImport.columns, sheet_name="Declaraciones", max_bytes=10**6,
                        max_rows=10)
    assert sheet.rows[0][1][2] == "=1+1"
