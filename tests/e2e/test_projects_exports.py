"""In the browser: a company user filters the project list and downloads «Exportar a Excel»; the file holds the
rows the page shows, all of them its company's, with money as numeric S/ cells."""
from __future__ import annotations

import io

import openpyxl


def test_company_downloads_its_filtered_project_list(page, login):
    login("empresa1@demo.pe")
    page.goto("/proyectos/?demo=si")
    shown = [a.inner_text() for a in page.locator("table tbody tr td:nth-child(2) a").all()]
    assert shown, "the demo company finances at least one demo project"
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Exportar a Excel").click()
    download = download_info.value
    assert download.suggested_filename.startswith("proyectos_oxi_") and download.suggested_filename.endswith(".xlsx")
    book = openpyxl.load_workbook(io.BytesIO(open(download.path(), "rb").read()))
    sheet = book["Proyectos OxI"]
    rows = [r for r in sheet.iter_rows(min_row=2, values_only=True) if r[0] != "Total"]
    assert sorted(r[1] for r in rows) == sorted(shown)
    assert all("Minera Cordillera Norte" in r[8] for r in rows)  # the company's scope holds in the file
    headers = [c.value for c in sheet[1]]
    money = sheet.cell(row=2, column=headers.index("Monto referencial") + 1)
    assert money.data_type == "n" and money.number_format == '"S/ "#,##0.00'
    assert page.console_errors == [], page.console_errors
