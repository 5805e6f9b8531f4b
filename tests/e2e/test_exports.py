"""Exports in the browser: a filtered list downloads as a workbook; the MEF workbook runs in the
background, the page follows its progress (exports.js, no inline script) and offers the download; bad
filters are explained in Spanish."""
from __future__ import annotations

import io

import openpyxl


def test_auditor_exports_the_filtered_companies_list(page, login):
    login("auditor@demo.pe")
    page.goto("/organizaciones/empresas?q=Minera")
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Exportar a Excel").click()
    download = download_info.value
    assert download.suggested_filename.startswith("empresas_") and download.suggested_filename.endswith(".xlsx")
    book = openpyxl.load_workbook(io.BytesIO(open(download.path(), "rb").read()))
    names = [row[1].value for row in book["Empresas"].iter_rows(min_row=2)]
    assert names and all("Minera" in name for name in names)
    assert page.console_errors == [], page.console_errors


def test_mef_workbook_runs_in_the_background_and_offers_the_download(page, login):
    login("auditor@demo.pe")
    page.goto("/exportaciones/libro-mef")
    page.fill("input[name=corte]", "30/02/2026")  # typed dd/mm/aaaa: an impossible date is refused
    page.get_by_role("button", name="Generar libro MEF").click()
    assert page.get_by_text("no es una fecha válida").is_visible()

    page.goto("/exportaciones/libro-mef")
    page.select_option("select[name=nivel]", "regional")
    page.get_by_role("button", name="Generar libro MEF").click()
    assert "/exportaciones/trabajos/" in page.url
    link = page.get_by_role("link", name="Descargar libro_mef_")
    # exports.js marks the box done (and only then un-hides the link); waiting for the link alone can pass early
    # if the stylesheet that hides it (d-none) has not been applied yet
    page.locator("#export-job[data-status=done]").wait_for(state="attached", timeout=30_000)
    link.wait_for(state="visible", timeout=30_000)
    assert page.locator("[data-export-label]").inner_text() == "Lista"
    with page.expect_download() as download_info:
        link.click()
    book = openpyxl.load_workbook(io.BytesIO(open(download_info.value.path(), "rb").read()))
    assert book.sheetnames[0] == "Resumen" and book.sheetnames[-1] == "Notas"
    page.reload()  # the job and its file survive a reload
    assert page.get_by_role("link", name="Descargar libro_mef_").is_visible()
    page.goto("/exportaciones/")
    assert page.get_by_text("Libro MEF").first.is_visible()
    # the only console line allowed is the browser noting the 422 answer to the impossible date
    others = [e for e in page.console_errors if "422" not in e]
    assert others == [], others
