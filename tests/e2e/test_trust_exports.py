"""Trust exports in the browser: a company downloads its own declarations (only its rows), and the auditor
downloads the disbursements with their votes."""
from __future__ import annotations

import io

import openpyxl


def _download(page, button: str):
    with page.expect_download() as download_info:
        page.get_by_role("button", name=button).first.click()
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    return openpyxl.load_workbook(io.BytesIO(open(download.path(), "rb").read()))


def test_company_downloads_only_its_own_declarations(page, login):
    login("empresa3@demo.pe")
    page.goto("/fideicomiso/empresa")
    book = _download(page, "Exportar a Excel")
    rows = list(book["Declaraciones"].iter_rows(min_row=2, values_only=True))
    data = [r for r in rows if r[0] != "Total"]
    assert data and len({r[0] for r in data}) == 1 and "Valle Moche" in data[0][1]  # one RUC: its own
    assert all(isinstance(r[5], float | int) for r in data)  # money is numeric
    assert page.console_errors == [], page.console_errors


def test_auditor_downloads_disbursements_with_votes(page, login):
    login("auditor@demo.pe")
    page.goto("/fideicomiso/desembolsos")
    book = _download(page, "Exportar a Excel")
    assert book.sheetnames[:3] == ["Desembolsos", "Votos", "Pagos de desembolsos"]
    assert book["Desembolsos"]["A1"].value == "N.º"
    assert page.console_errors == [], page.console_errors
