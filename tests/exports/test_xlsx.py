"""The pure xlsx builder, read back with openpyxl: typed cells, formats, frozen header, autofilter,
SUBTOTAL totals, variance formulas, inert text, exact cents, streaming."""
from __future__ import annotations

import datetime as dt
import io
import zipfile
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl.utils.escape import unescape

from portfolio.exports import xlsx
from portfolio.exports.xlsx import Block, Chart, Column, Summary, Table, build_workbook, notes_sheet
from portfolio.money import MAX_AMOUNT
from tests.exports.conftest import INJECTIONS, read_xlsx

BUDGET = [
    Column("line", "Partida"),
    Column("date", "Fecha", "date"),
    Column("original", "Presupuesto original", "money", total=True),
    Column("revised", "Presupuesto revisado", "money", total=True),
    Column("variance", "Variación", "money", total=True, formula="{revised}-{original}"),
    Column("share", "Participación", "percent"),
    Column("count", "Valorizaciones", "int", total=True),
]
ROWS = [
    ("Expediente técnico", dt.date(2026, 1, 31), Decimal("1250000.10"), Decimal("1300000.25"), Decimal("50000.15"),
     Decimal("0.35"), 2),
    ("Obra", dt.date(2026, 2, 28), Decimal("98000000.99"), Decimal("97999999.98"), Decimal("-1.01"), Decimal("0.6"), 5),
    ("Supervisión", dt.date(2026, 12, 1), Decimal("0.01"), Decimal("0.00"), Decimal("-0.01"), Decimal("0.05"), 0),
]


def budget_book():
    return read_xlsx(build_workbook([Table("Presupuesto", BUDGET, iter(ROWS))]))


def test_headers_are_spanish_and_row_one_is_frozen_with_an_autofilter():
    ws = budget_book()["Presupuesto"]
    assert [c.value for c in ws[1]] == ["Partida", "Fecha", "Presupuesto original", "Presupuesto revisado",
                                        "Variación", "Participación", "Valorizaciones"]
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:G4"  # header and data, not the totals row


def test_money_cells_are_numbers_with_the_soles_format():
    ws = budget_book()["Presupuesto"]
    for row in range(2, 5):
        cell = ws.cell(row=row, column=3)
        assert cell.data_type == "n"
        assert cell.number_format == '"S/ "#,##0.00'
    assert Decimal(repr(ws["C3"].value)) == Decimal("98000000.99")


def test_dates_are_real_dates_shown_day_month_year():
    ws = budget_book()["Presupuesto"]
    cell = ws["B2"]
    assert cell.is_date and cell.value == dt.datetime(2026, 1, 31)
    assert cell.number_format == "dd/mm/yyyy"


def test_shares_are_fractions_with_a_percent_format_and_counts_are_integers():
    ws = budget_book()["Presupuesto"]
    assert ws["F2"].value == pytest.approx(0.35) and ws["F2"].number_format == "0.0%"
    assert ws["G3"].value == 5 and ws["G3"].data_type == "n"


def test_totals_row_uses_subtotal_109_over_the_data_rows():
    ws = budget_book()["Presupuesto"]
    assert ws["A5"].value == "Total"
    assert ws["C5"].value == "=SUBTOTAL(109,C2:C4)"
    assert ws["D5"].value == "=SUBTOTAL(109,D2:D4)"
    assert ws["E5"].value == "=SUBTOTAL(109,E2:E4)"
    assert ws["G5"].value == "=SUBTOTAL(109,G2:G4)"
    assert ws["F5"].value is None  # no total for shares


def test_totals_cached_results_are_the_exact_sums():
    data = build_workbook([Table("Presupuesto", BUDGET, iter(ROWS))])
    import openpyxl

    cached = openpyxl.load_workbook(io.BytesIO(data), data_only=True)["Presupuesto"]
    assert Decimal(repr(cached["C5"].value)) == sum(r[2] for r in ROWS)
    assert Decimal(repr(cached["E5"].value)) == sum(r[4] for r in ROWS)


def test_variance_columns_are_formulas_over_the_same_row():
    ws = budget_book()["Presupuesto"]
    assert [ws.cell(row=r, column=5).value for r in (2, 3, 4)] == ["=D2-C2", "=D3-C3", "=D4-C4"]
    assert ws["E2"].number_format == '"S/ "#,##0.00'


@pytest.mark.parametrize("text", INJECTIONS)
def test_text_that_looks_like_a_formula_is_an_inert_string(text):
    columns = [Column("name", "Nombre"), Column("amount", "Monto", "money", total=True)]
    book = read_xlsx(build_workbook([Table("Empresas", columns, [(text, Decimal("1.00"))])]))
    cell = book["Empresas"]["A2"]
    assert cell.data_type == "s"
    # OOXML escapes a carriage return as _x000D_ (Excel shows the character); openpyxl leaves the escape.
    assert unescape(cell.value) == text
    assert cell.quotePrefix  # stays text if someone edits the cell in Excel


def test_the_only_formulas_in_a_file_are_ours():
    columns = [Column("name", "Nombre"), Column("a", "A", "money", total=True),
               Column("b", "B", "money", formula="{a}*2")]
    rows = [(text, Decimal("1.00"), Decimal("2.00")) for text in INJECTIONS]
    data = build_workbook([Table("Hoja", columns, rows)])
    sheet_xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()
    formulas = sheet_xml.count("<f>")
    assert formulas == len(rows) + 1  # one variance per row and one SUBTOTAL
    assert "HYPERLINK" not in "".join(part.split("</f>")[0] for part in sheet_xml.split("<f>")[1:])


def test_workbook_options_turn_off_formula_and_url_guessing_and_stream_rows():
    assert xlsx.WORKBOOK_OPTIONS == {"strings_to_formulas": False, "strings_to_urls": False, "constant_memory": True}
    columns = [Column("url", "Sitio")]
    data = build_workbook([Table("Hoja", columns, [("https://ejemplo.invalid",)])])
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert not any("_rels/sheet1.xml.rels" in n for n in names)  # no hyperlink relationship
    sheet_xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()
    assert 't="inlineStr"' in sheet_xml  # constant_memory writes strings in line, row by row


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=-int(MAX_AMOUNT * 100), max_value=int(MAX_AMOUNT * 100)))
def test_every_amount_reads_back_to_the_exact_cent(cents):
    amount = (Decimal(cents) / 100).quantize(Decimal("0.01"))
    data = build_workbook([Table("M", [Column("m", "Monto", "money")], [(amount,)])])
    value = read_xlsx(data)["M"]["A2"].value
    assert Decimal(repr(value)).quantize(Decimal("0.01")) == amount
    assert abs(Decimal(repr(value)) - amount) < Decimal("0.000001")


def test_floats_are_refused_for_money():
    with pytest.raises(TypeError):
        build_workbook([Table("M", [Column("m", "Monto", "money")], [(1.1,)])])


def test_text_in_a_money_column_is_refused():
    with pytest.raises(TypeError):
        build_workbook([Table("M", [Column("m", "Monto", "money")], [("1.10",)])])


def test_aware_datetimes_are_shown_in_lima_time():
    columns = [Column("at", "Fecha y hora", "datetime")]
    utc = dt.datetime(2026, 3, 1, 3, 30, tzinfo=dt.UTC)  # 22:30 of 28 Feb in Lima
    ws = read_xlsx(build_workbook([Table("H", columns, [(utc,)])]))["H"]
    assert ws["A2"].value == dt.datetime(2026, 2, 28, 22, 30)
    assert ws["A2"].number_format == "dd/mm/yyyy hh:mm"


def test_an_empty_table_says_so_and_has_no_totals():
    ws = read_xlsx(build_workbook([Table("Vacía", BUDGET, [])]))["Vacía"]
    assert ws["A2"].value == "No hay registros para los filtros elegidos."
    assert ws.max_row == 2


def test_rows_are_consumed_lazily_and_progress_is_reported():
    consumed = []

    def rows():
        for i in range(2500):
            consumed.append(i)
            yield (f"Fila {i}", Decimal(i))

    seen = []
    result = xlsx.write_workbook(io.BytesIO(), [Table("T", [Column("n", "N"), Column("m", "M", "money", total=True)],
                                                      rows())], progress=seen.append)
    assert result.rows == {"T": 2500}
    assert result.totals["T"]["m"] == Decimal(sum(range(2500)))
    assert seen == [1000, 2000, 2500]


def test_sheet_names_are_made_valid():
    assert xlsx.sheet_name("Presupuesto: rev/orig [2026]") == "Presupuesto rev orig 2026"
    assert len(xlsx.sheet_name("x" * 40)) == 31


def test_summary_blocks_have_totals_and_native_charts():
    block = Block("Por nivel", [Column("level", "Nivel"), Column("n", "Entidades", "int", total=True),
                                Column("cap", "Tope", "money", total=True)],
                  [("Regional", 1, Decimal("10.50")), ("Distrital", 3, Decimal("0.25"))])
    summary = Summary("Resumen", [block], [Chart("Entidades por nivel", 0, "level", ["n"])],
                      heading="Resumen", lines=[("Fecha de corte", dt.date(2026, 6, 30))])
    data = build_workbook([summary])
    assert "xl/charts/chart1.xml" in zipfile.ZipFile(io.BytesIO(data)).namelist()
    ws = read_xlsx(data)["Resumen"]
    values = [[c.value for c in row] for row in ws.iter_rows()]
    assert ["Fecha de corte", dt.datetime(2026, 6, 30)] == values[2][:2]
    total_row = next(row for row in ws.iter_rows() if row[0].value == "Total")
    assert total_row[1].value.startswith("=SUBTOTAL(109,B")
    assert total_row[2].number_format == '"S/ "#,##0.00'


def test_notes_sheet_says_when_by_whom_with_which_filters():
    notes = notes_sheet(generated_at=dt.datetime(2026, 11, 28, 15, 0, tzinfo=dt.UTC), generated_by="Ana <a@b.pe>",
                        title="Empresas", filters=[("Sector", "Minería")], cutoff=dt.date(2026, 11, 27))
    ws = read_xlsx(build_workbook([notes]))["Notas"]
    values = {row[0].value: row[1].value for row in ws.iter_rows() if row[0].value}
    assert values["Generado el"] == dt.datetime(2026, 11, 28, 10, 0)  # Lima
    assert values["Generado por"] == "Ana <a@b.pe>"
    assert values["Filtro: Sector"] == "Minería"
    assert values["Fecha de corte"] == dt.datetime(2026, 11, 27)


def test_formula_naming_an_unknown_column_is_a_spec_error():
    with pytest.raises(xlsx.SpecError):
        build_workbook([Table("T", [Column("a", "A", "money", formula="{nope}-{a}")], [(Decimal(1),)])])
