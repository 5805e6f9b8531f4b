"""A company downloads the declarations template, fills two months, uploads it, sees the preview, confirms,
and sees its declarations with the amounts due; uploading the same file again changes nothing."""
from __future__ import annotations

import openpyxl


def test_company_imports_two_months_of_payroll(page, login, tmp_path):
    login("empresa1@demo.pe")
    page.goto("/importar/")
    assert page.locator("h1").inner_text() == "Importar desde hojas de cálculo"

    card = page.locator(".card", has_text="Declaraciones de planilla")
    with page.expect_download() as info:
        card.get_by_role("link", name="Descargar plantilla").click()
    template = tmp_path / "plantilla.xlsx"
    info.value.save_as(template)

    book = openpyxl.load_workbook(template)
    example = [c.value for c in list(book["Ayuda"].iter_rows())[-1]]
    ruc = example[0]
    assert ruc == "20601452783"  # the template's example row carries the company's own RUC
    sheet = book["Declaraciones"]
    sheet.append([ruc, "07/2024", "S/ 1,250,000.00", 120])
    sheet.append([ruc, "08/2024", "1,300,000.50", 122])
    filled = tmp_path / "planilla-julio-agosto.xlsx"
    book.save(filled)

    card = page.locator(".card", has_text="Declaraciones de planilla")
    card.get_by_role("link", name="Subir archivo").click()
    page.set_input_files("#file", str(filled))
    page.get_by_role("button", name="Validar y ver vista previa").click()
    page.wait_for_load_state()

    assert page.locator('[data-count="crear"]').inner_text() == "2"
    assert page.locator('[data-count="errores"]').inner_text() == "0"
    rows = page.locator("table.import-actions tbody tr")
    assert rows.count() == 2
    assert "07/2024" in rows.nth(0).inner_text() and "aporte S/\u00a01,875.00" in rows.nth(0).inner_text()
    assert "08/2024" in rows.nth(1).inner_text() and "aporte S/\u00a01,950.00" in rows.nth(1).inner_text()

    page.locator("#import-confirm").click()  # the confirmation dialog is accepted by the fixture
    page.wait_for_load_state()
    assert page.locator("#import-applied").is_visible()
    result = page.locator("#import-result").inner_text()
    assert "07/2024" in result and "S/\u00a01,875.00" in result
    assert "08/2024" in result and "S/\u00a01,950.00" in result

    page.get_by_role("link", name="Ver mis declaraciones y aportes").click()  # the trust's own page
    page.wait_for_load_state()
    table = page.locator("table", has_text="Mes").first.inner_text().lower()
    assert "julio 2024" in table and "s/\u00a01,875.00" in table
    assert "agosto 2024" in table and "s/\u00a01,950.00" in table

    page.goto("/importar/declaraciones/")
    page.set_input_files("#file", str(filled))
    page.get_by_role("button", name="Validar y ver vista previa").click()
    page.wait_for_load_state()
    assert page.locator("#import-already").is_visible()
    assert page.console_errors == [], page.console_errors


def test_trustee_imports_declarations_for_two_companies(page, login, tmp_path):
    """The trustee declares on behalf of two demo companies in one file; the RUC column chooses each row's
    company, and the trust's list of contributions shows both."""
    login("fiduciario@demo.pe")
    page.goto("/importar/declaraciones/")
    assert "en nombre de cualquier empresa activa" in page.locator("main, body").first.inner_text()
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Declaraciones"
    sheet.append(["RUC", "Periodo", "Planilla bruta", "Número de trabajadores"])
    sheet.append(["20601452783", "05/2024", "1,000,000.00", 50])  # Minera Cordillera Norte
    sheet.append(["20558934124", "05/2024", "S/ 2,000,000.00", 80])  # Constructora Chan Chan
    filled = tmp_path / "planillas-mayo.xlsx"
    book.save(filled)
    page.set_input_files("#file", str(filled))
    page.get_by_role("button", name="Validar y ver vista previa").click()
    page.wait_for_load_state()
    assert page.locator('[data-count="crear"]').inner_text() == "2"
    rows = page.locator("table.import-actions tbody tr")
    assert "Minera Cordillera Norte" in rows.nth(0).inner_text() and "aporte S/\u00a01,500.00" in rows.nth(0).inner_text()
    assert "Chan Chan" in rows.nth(1).inner_text() and "aporte S/\u00a03,000.00" in rows.nth(1).inner_text()

    page.locator("#import-confirm").click()
    page.wait_for_load_state()
    assert page.locator("#import-applied").is_visible()
    page.get_by_role("link", name="Ver las declaraciones y aportes de las empresas").click()
    page.wait_for_load_state()
    page.fill("input[name=q]", "Chan Chan")
    page.get_by_role("button", name="Buscar").click()
    page.wait_for_load_state()
    table = page.locator("table").first.inner_text().lower()
    assert "mayo 2024" in table and "s/\u00a03,000.00" in table
    assert page.console_errors == [], page.console_errors
