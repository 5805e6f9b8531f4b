"""Staff runs a project from priorizado to convenio_suscrito with a milestone and a certificate; the financing
company sees it; another company's user gets 404."""
from __future__ import annotations

import re

from portfolio import clock
from tests.e2e.conftest import logout as _logout

NAME = "Cámaras de videovigilancia del penal de Trujillo (prueba e2e)"




def _transition(page, target: str, on: str | None = None, note: str = "Paso de la prueba e2e"):
    page.select_option("select[name=target]", target)
    if on:
        page.fill("input[name=on]", on)
    page.fill("textarea[name=note]", note)
    page.get_by_role("button", name="Cambiar etapa").click()
    page.wait_for_load_state()
    assert page.locator(".alert-danger").count() == 0, page.locator(".alert-danger").first.inner_text()


def test_staff_runs_a_project_and_only_the_financing_company_sees_it(page, login):
    today = clock.today().strftime("%d/%m/%Y")  # typed as people type it
    login("staff@demo.pe")
    page.goto("/proyectos/nuevo")
    page.fill("input[name=cui]", "2700123")
    page.fill("input[name=name]", NAME)
    page.select_option("select[name=entity_id]", label="Instituto Nacional Penitenciario")
    page.select_option("select[name=sector]", "justicia")
    page.select_option("#ubigeo-provincia", label="Trujillo")  # La Libertad comes chosen
    page.select_option("#ubigeo-distrito", label="Huanchaco")
    page.get_by_role("button", name="Agregar distrito").click()
    page.fill("input[name=reference_amount]", "3,200,000.00")
    page.fill("input[name=awarded_amount]", "3,150,000.00")
    page.fill("input[name=contraloria_ref]", "Informe Previo N.° 099-2026-CG/OXI")
    page.fill("input[name=supervisor]", "Supervisora Norte S.A.C.")
    page.get_by_role("button", name="Registrar proyecto").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text().startswith(NAME)
    project_url = page.url
    assert re.search(r"/proyectos/\d+$", project_url)

    page.get_by_role("link", name="Empresas financistas").click()
    page.select_option("select[name=rows-0-company_id]", label="Minera Cordillera Norte S.A.C. (RUC 20601452783)")
    page.fill("input[name=rows-0-share]", "100")
    page.get_by_role("button", name="Guardar").click()
    page.wait_for_load_state()
    assert "Empresas financistas actualizadas." in page.content()

    _transition(page, "actos_previos")
    _transition(page, "en_seleccion", on=today)
    _transition(page, "adjudicado", on=today)
    _transition(page, "convenio_suscrito", on=today)
    assert "Etapa cambiada a «Convenio suscrito»." in page.content()
    timeline = page.locator("ol.timeline").inner_text()
    for label in ("Priorizado", "Actos previos", "En proceso de selección", "Adjudicado (buena pro)",
                  "Convenio suscrito"):
        assert label in timeline
    assert page.locator("#current-convenio").inner_text() == "S/\u00a03,150,000.00"

    page.get_by_role("link", name="Agregar hito").click()
    page.select_option("select[name=kind]", "valorizacion")
    page.fill("input[name=description]", "Valorización N.° 1")
    page.fill("input[name=planned_date]", today)
    page.fill("input[name=actual_date]", today)
    page.fill("input[name=planned_physical]", "30")
    page.fill("input[name=actual_physical]", "25")
    page.fill("input[name=amount]", "945,000.00")
    page.select_option("select[name=status]", "cumplido")
    page.fill("input[name=conformity_date]", today)
    page.get_by_role("button", name="Registrar hito").click()
    page.wait_for_load_state()
    assert "Hito registrado." in page.content()
    assert page.locator("svg polyline").count() >= 2  # the S-curve has planned and actual lines

    page.get_by_role("link", name="Solicitar certificado").click()
    page.fill("input[name=number]", "CIPGN-2026-E2E")
    page.fill("input[name=amount]", "945,000.00")
    page.fill("input[name=issue_date]", today)
    page.select_option("select[name=milestone_id]", index=1)
    page.get_by_role("button", name="Solicitar certificado").click()
    page.wait_for_load_state()
    assert "CIPGN CIPGN-2026-E2E solicitado" in page.content()
    certificates = page.locator("#certificates").inner_text()
    assert "S/\u00a0945,000.00" in certificates and "Cordillera Norte" in certificates
    assert page.console_errors == [], page.console_errors
    _logout(page)

    login("empresa1@demo.pe")
    response = page.goto(project_url)
    assert response.status == 200
    assert NAME in page.content() and "CIPGN-2026-E2E" in page.content()
    page.goto("/proyectos/")
    assert NAME in page.content()
    _logout(page)

    login("empresa2@demo.pe")
    response = page.goto(project_url)
    assert response.status == 404
    assert "no existe o no está a su alcance" in page.content()
    page.goto("/proyectos/")
    assert NAME not in page.content()
    # the browser logs the expected 404 of the foreign project; anything else (CSP, scripts) is an error
    assert [e for e in page.console_errors if "404" not in e] == [], page.console_errors
