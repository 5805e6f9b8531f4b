"""The streaming reader of MEF's CSV: encodings, delimiters, headers in any case, exact amounts, the stocks of
the latest month, flows summed, activities skipped, and every bad row reported with its number."""
from __future__ import annotations

import io

import pytest

from portfolio.mef import reader
from tests.mef.conftest import HEADERS, mef_csv, mef_row


def read(data: bytes, wanted=None):
    return reader.read(io.BytesIO(data), wanted=wanted)


def test_flows_are_summed_and_stocks_taken_from_the_latest_month():
    data = mef_csv([
        mef_row("2456789", month=1, pia="1000.00", pim="1000.00", dev="100.10", gir="50"),
        mef_row("2456789", month=2, pia="1000.00", pim="1500.00", cert="900", dev="200.20", gir="100.5"),
        mef_row("2456789", month=2, pia="0", pim="500", dev="0.01", gir="0"),  # another classifier, same month
        mef_row("2456789", month=3, dev="-0.31"),  # a reversal; no stocks this month
        mef_row("3000001", kind="3", dev="999"),  # an activity: skipped
        mef_row("", dev="5"),  # no CUI
    ])
    result = read(data)
    item = result.figures[("2456789", 2026)]
    assert item.amounts() == {"pia": 100000, "pim": 200000, "certificado": 90000, "comprometido": 0,
                              "devengado": 30000, "girado": 15050}
    assert (item.rows, item.first_row, item.last_row, item.last_month) == (4, 2, 5, 3)
    assert (result.rows, result.skipped_activities, result.skipped_no_cui) == (6, 1, 1)
    assert result.errors == []


def test_latin1_semicolon_decimal_comma_and_headers_in_any_case():
    headers = [h.lower() if i % 2 else h.title() for i, h in enumerate(HEADERS)]
    rows = [mef_row("2456789", executor="MUNICIPALIDAD PROVINCIAL DE SÁNCHEZ CARRIÓN", pim="1234,5", dev="12,30")]
    result = read(mef_csv(rows, headers=headers, delimiter=";", encoding="latin-1"))
    assert (result.delimiter, result.encoding) == (";", "latin-1")
    item = result.figures[("2456789", 2026)]
    assert item.executor == "MUNICIPALIDAD PROVINCIAL DE SÁNCHEZ CARRIÓN"
    assert item.amounts()["pim"] == 123450 and item.amounts()["devengado"] == 1230


def test_utf8_bom_tab_and_quoted_fields():
    text = "\ufeff" + "\t".join(HEADERS) + "\n" + "\t".join(
        str(v) for v in mef_row("2456789", executor='"EJECUTORA, CON COMA"', dev="10")) + "\n"
    result = read(text.encode("utf-8"))
    assert result.delimiter == "\t" and result.figures[("2456789", 2026)].executor == "EJECUTORA, CON COMA"


def test_unknown_cuis_get_a_light_summary():
    data = mef_csv([mef_row("2456789", dev="10"), mef_row("7777777", dev="20", gir="5"),
                    mef_row("7777777", month=2, dev="1")])
    result = read(data, wanted={"2456789"})
    assert set(result.figures) == {("2456789", 2026)}
    count, dev, gir, first, last, _executor = result.unknown[("7777777", 2026)]
    assert (count, dev, gir, first, last) == (2, 2100, 500, 3, 4)


@pytest.mark.parametrize("value", ["12.345", "1e5", "abc", '"1,234.56"', "NaN"])
def test_bad_amounts_are_errors_with_their_row(value):
    result = read(mef_csv([mef_row("2456789", dev="1"), mef_row("2456789", dev=value)]))
    assert [(row, column) for row, column, _v, _m in result.errors] == [(3, "MONTO_DEVENGADO")]
    assert "no es un monto válido" in result.errors[0][3]


def test_bad_year_month_and_short_rows_are_errors():
    data = mef_csv([mef_row("2456789", year="26"), mef_row("2456789", month="13"), ["2026", "1"],
                    mef_row("2456789", dev="1,234.56")])
    messages = [(row, column) for row, column, _v, _m in read(data).errors]
    assert messages == [(2, "ANO_EJE"), (3, "MES_EJE"), (4, ""), (5, "")]


@pytest.mark.parametrize(("data", "message"), [
    (b"", "vacío"),
    (b"ANO_EJE,MES_EJE,MONTO_GIRADO\r\n2026,1,5\r\n", "Faltan columnas obligatorias del archivo de MEF: PRODUCTO_PROYECTO"),
    (b"solo una columna\r\n", "separador"),
    (",".join(HEADERS).encode() + b"\r\n", "ninguna fila"),
    ("ANO_EJE,PRODUCTO_PROYECTO".encode("utf-16"), "UTF-16"),
])
def test_files_that_cannot_be_read_get_a_spanish_message(data, message):
    with pytest.raises(reader.MefFileProblem) as exc:
        read(data)
    assert message in exc.value.message
