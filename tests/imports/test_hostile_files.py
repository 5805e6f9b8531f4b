"""Hostile uploads: every kind of bad file gets a precise Spanish message, a 4xx/200 answer, never a 500,
and writes nothing (row counts of every touched table before and after)."""
from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest

from tests.imports.conftest import DECL_HEADERS, csv_bytes, upload, xlsx
from tests.imports.conftest import error_rows as _rows


def _errors(response) -> str:
    return response.get_data(as_text=True)


def assert_refused(client, counts, data, name, *expected, status=422):
    before = counts()
    response = upload(client, "declaraciones", data, name)
    text = _errors(response)
    assert response.status_code == status, text[:3000]
    for fragment in expected:
        assert fragment in text, f"{fragment!r} not in page"
    assert counts() == before
    return text


def encrypted_ole2() -> bytes:
    # What Excel writes for a password-protected .xlsx: an OLE2 compound file (EncryptionInfo + EncryptedPackage).
    header = bytearray(512)
    header[:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    header[0x18:0x1A] = (0x3E).to_bytes(2, "little")
    header[0x1A:0x1C] = (3).to_bytes(2, "little")
    header[0x1C:0x1E] = (0xFFFE).to_bytes(2, "little")
    header[0x1E:0x20] = (9).to_bytes(2, "little")
    return bytes(header) + "EncryptedPackage".encode("utf-16-le") + b"\x00" * 4096


def test_text_renamed_as_xlsx_is_read_as_what_it_is(app, company_client, counts):
    # A PNG renamed .xlsx: type by content, not by name.
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64
    assert_refused(company_client, counts, png, "planilla.xlsx", "Tipo de archivo no admitido")


def test_zip_that_is_not_a_workbook(app, company_client, counts):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("documento.txt", "hola")
    assert_refused(company_client, counts, buffer.getvalue(), "planilla.xlsx", "no es un libro de Excel")


def test_truncated_xlsx(app, company_client, counts):
    data = xlsx([DECL_HEADERS, [company_client.ruc, "03/2026", "1000.00", 5]])
    assert_refused(company_client, counts, data[: len(data) // 2], "planilla.xlsx", "dañado")


def test_password_protected_workbook(app, company_client, counts):
    assert_refused(company_client, counts, encrypted_ole2(), "planilla.xlsx", "protegido con contraseña")


@pytest.mark.parametrize("data", [b"", b"   \r\n  \n"])
def test_empty_file(app, company_client, counts, data):
    assert_refused(company_client, counts, data, "planilla.csv", "El archivo está vacío.")


def test_no_file_chosen(app, company_client, counts):
    before = counts()
    response = company_client.post("/importar/declaraciones/", {}, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "Seleccione un archivo" in response.get_data(as_text=True)
    assert counts() == before


def test_header_only(app, company_client, counts):
    assert_refused(company_client, counts, xlsx([DECL_HEADERS]), "planilla.xlsx", "solo tiene encabezados")


def test_missing_column(app, company_client, counts):
    data = xlsx([DECL_HEADERS[:3], [company_client.ruc, "03/2026", "1000.00"]])
    assert_refused(company_client, counts, data, "p.xlsx", "faltan las columnas «Número de trabajadores»")


def test_unknown_extra_column(app, company_client, counts):
    data = xlsx([DECL_HEADERS + ["Gerente"], [company_client.ruc, "03/2026", "1000.00", 5, "Ana"]])
    assert_refused(company_client, counts, data, "p.xlsx", "columna E: «Gerente» no es una columna conocida")


def test_data_under_a_blank_header(app, company_client, counts):
    data = xlsx([DECL_HEADERS, [company_client.ruc, "03/2026", "1000.00", 5, "suelto"]])
    assert_refused(company_client, counts, data, "p.xlsx", "columnas sin encabezado (E)")


def test_wrong_sheet(app, company_client, counts):
    data = xlsx([DECL_HEADERS, [company_client.ruc, "03/2026", "1000.00", 5]], sheet="Hoja1", extra_sheets=["Otra"])
    assert_refused(company_client, counts, data, "p.xlsx", "No se encontró la hoja «Declaraciones»", "«Hoja1»")


def test_headers_tolerate_case_accents_and_spaces(app, company_client, counts):
    headers = ["  ruc ", "PERIODO", "planilla   BRUTA (S/)", "numero de trabajadores"]
    data = csv_bytes([headers, [company_client.ruc, "03/2026", "1000.00", 5]], delimiter=";")
    response = upload(company_client, "declaraciones", data, "p.csv")
    assert response.status_code == 302, _errors(response)[:2000]


def test_title_rows_above_the_header_are_tolerated(app, company_client, counts):
    data = xlsx([["Planilla de Minera S.A.C. – año 2026"], [], DECL_HEADERS, [company_client.ruc, "03/2026", "1000.00", 5]])
    response = upload(company_client, "declaraciones", data, "p.xlsx")
    assert response.status_code == 302, _errors(response)[:2000]
    page = company_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "<td>4</td>" in page  # rows keep their real spreadsheet numbers


def test_formula_cells_are_not_evaluated(app, company_client, counts):
    data = xlsx([DECL_HEADERS, [company_client.ruc, "03/2026", "=1000*2", "=A1"],
                 [company_client.ruc, "04/2026", "=HYPERLINK(\"http://x\")", 3]])
    text = assert_refused(company_client, counts, data, "p.xlsx", "las fórmulas no se calculan")
    assert text.count("las fórmulas no se calculan") == 3


def test_three_decimals_negative_and_bad_numbers_by_row_and_column(app, company_client, counts):
    data = xlsx([DECL_HEADERS,
                 [company_client.ruc, "03/2026", "1000.123", 5],
                 [company_client.ruc, "04/2026", -1500, 5],
                 [company_client.ruc, "05/2026", "1.234,56", 5],
                 [company_client.ruc, "06/2026", "1000.00", 2.5],
                 [company_client.ruc, "07/2026", 1000.126, 5]])
    text = assert_refused(company_client, counts, data, "p.xlsx")
    rows = _rows(text)
    assert ("2", "Planilla bruta", "1000.123", "Monto inválido: tiene más de dos decimales.") in rows
    assert ("3", "Planilla bruta", "-1500", "El monto no puede ser negativo.") in rows
    assert any(r[0] == "4" and r[1] == "Planilla bruta" and "formato 1,234,567.89" in r[3] for r in rows)
    assert ("5", "Número de trabajadores", "2.5", "Debe ser un número entero, sin decimales.") in rows
    assert ("6", "Planilla bruta", "1000.126", "Monto inválido: tiene más de dos decimales.") in rows


def test_bad_dates_and_periods(app, company_client, counts):
    data = csv_bytes([DECL_HEADERS,
                      [company_client.ruc, "31/02/2026", "1000.00", 5],
                      [company_client.ruc, "13/2026", "1000.00", 5],
                      [company_client.ruc, "marzo", "1000.00", 5],
                      [company_client.ruc, "03/2099", "1000.00", 5]])
    text = assert_refused(company_client, counts, data, "p.csv")
    rows = _rows(text)
    assert ("2", "Periodo", "31/02/2026", "La fecha 31/02/2026 no existe.") in rows
    assert ("3", "Periodo", "13/2026", "El mes 13 no existe.") in rows
    assert ("4", "Periodo", "marzo", "No es un periodo: use mes/año, p. ej. 03/2026.") in rows
    assert ("5", "Periodo", "03/2099", "No se puede declarar un mes futuro.") in rows


def test_duplicate_rows(app, company_client, counts):
    data = xlsx([DECL_HEADERS, [company_client.ruc, "03/2026", "1000.00", 5],
                 [company_client.ruc, dt.datetime(2026, 3, 15), "1000.00", 5]])
    text = assert_refused(company_client, counts, data, "p.xlsx")
    assert ("3", "Periodo", "03/2026",
            f"Fila duplicada: el periodo 03/2026 del RUC {company_client.ruc} ya aparece en la fila 2.") in _rows(text)


def test_company_cannot_import_for_another_companys_ruc(app, company_client, make_company, counts):
    from portfolio import db
    from portfolio.orgs.models import Company

    other_id = make_company()
    with app.app_context():
        other_ruc = db.session.get(Company, other_id).ruc
    data = xlsx([DECL_HEADERS, [company_client.ruc, "03/2026", "1000.00", 5], [other_ruc, "03/2026", "1000.00", 5]])
    text = assert_refused(company_client, counts, data, "p.xlsx")
    rows = _rows(text)
    assert len(rows) == 1
    assert rows[0][:3] == ("3", "RUC", other_ruc)
    assert "solo puede declarar para su propia empresa" in rows[0][3]


def test_invalid_ruc_check_digit(app, company_client, counts):
    data = xlsx([DECL_HEADERS, ["20512333798", "03/2026", "1000.00", 5]])
    text = assert_refused(company_client, counts, data, "p.xlsx")
    assert ("2", "RUC", "20512333798", "El RUC no es válido: el dígito verificador no coincide.") in _rows(text)


def test_errors_are_all_collected_not_only_the_first(app, company_client, counts):
    data = xlsx([DECL_HEADERS] + [[company_client.ruc, f"{m:02d}/2026", "1.001", 0] for m in range(1, 6)])
    text = assert_refused(company_client, counts, data, "p.xlsx")
    rows = _rows(text)
    assert {r[0] for r in rows} == {"2", "3", "4", "5", "6"}
    assert len(rows) == 10  # per row: the amount that does not parse, and the headcount 0 of the same row


def test_file_over_the_size_limit(app, company_client, counts):
    app.config["IMPORT_MAX_MB"] = 0.01
    try:
        data = csv_bytes([DECL_HEADERS] + [[company_client.ruc, "03/2026", "1000.00", 5]] * 600)
        assert_refused(company_client, counts, data, "p.csv", "el máximo es")
    finally:
        app.config["IMPORT_MAX_MB"] = 5


def test_file_over_the_request_limit_is_a_413_not_a_500(app, company_client, counts):
    app.config["MAX_CONTENT_LENGTH"] = 2048
    try:
        data = csv_bytes([DECL_HEADERS] + [[company_client.ruc, "03/2026", "1000.00", 5]] * 200)
        assert_refused(company_client, counts, data, "p.csv", "supera el tamaño máximo", status=413)
    finally:
        app.config["MAX_CONTENT_LENGTH"] = 10 * 1024 * 1024


def test_file_over_the_row_limit(app, company_client, counts):
    app.config["IMPORT_MAX_ROWS"] = 10
    try:
        data = xlsx([DECL_HEADERS] + [[company_client.ruc, f"{m:02d}/2025", "1000.00", 5] for m in range(1, 12)])
        assert_refused(company_client, counts, data, "p.xlsx", "más de 10 filas")
    finally:
        app.config["IMPORT_MAX_ROWS"] = 20000


def test_binary_garbage_and_latin1_csv(app, company_client, counts):
    assert_refused(company_client, counts, bytes(range(256)) * 4, "p.csv", "Tipo de archivo no admitido")
    latin = csv_bytes([["RUC", "Período", "Planilla bruta", "Número de trabajadores"],
                       [company_client.ruc, "03/2026", "S/ 1,000.00", 5]], delimiter="\t", encoding="latin-1")
    response = upload(company_client, "declaraciones", latin, "p.csv")
    assert response.status_code == 302, _errors(response)[:2000]


def test_zip_bomb_is_refused(app, company_client, counts):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (50 * 1024 * 1024))
    assert_refused(company_client, counts, buffer.getvalue(), "p.xlsx", "tamaño anormal")


def test_other_roles_cannot_use_the_declarations_import(app, login_as):
    staff = login_as("staff")
    assert staff.get("/importar/declaraciones/").status_code == 403
    assert login_as("auditor").get("/importar/").status_code == 403
