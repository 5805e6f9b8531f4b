"""The new-project form picks districts by department → province → district name and posts the INEI codes
in the same «locations» field; without JavaScript the typed field still works."""
from __future__ import annotations

import re

from tests.e2e.conftest import DEMO_PASSWORD

NAME = "Patrullaje integrado en Pacasmayo y Chepén (prueba del selector)"


def _fill_rest(page, name: str) -> None:
    page.fill("input[name=name]", name)
    page.select_option("select[name=entity_id]", label="Instituto Nacional Penitenciario")
    page.select_option("select[name=sector]", "orden_publico")
    page.fill("input[name=reference_amount]", "1,500,000.00")


def test_picker_chooses_districts_by_name_and_posts_their_codes(page, login):
    login("staff@demo.pe")
    page.goto("/proyectos/nuevo")
    assert page.locator("input[name=locations]").get_attribute("type") == "hidden"
    assert page.locator(".ubigeo-picker").is_visible()
    assert page.locator("#ubigeo-departamento").input_value() == "13"  # La Libertad
    # linked selects: the provinces of the chosen department, then the districts of the chosen province
    page.select_option("#ubigeo-departamento", label="Piura")
    assert "Sullana" in page.locator("#ubigeo-provincia").inner_text()
    assert "Pacasmayo" not in page.locator("#ubigeo-provincia").inner_text()
    assert page.locator("#ubigeo-distrito").is_disabled()
    page.select_option("#ubigeo-departamento", label="La Libertad")
    page.select_option("#ubigeo-provincia", label="Pacasmayo")
    districts = page.locator("#ubigeo-distrito option").all_inner_texts()
    assert "San Pedro de Lloc" in districts and "Trujillo" not in districts
    page.select_option("#ubigeo-distrito", label="San Pedro de Lloc")
    page.get_by_role("button", name="Agregar distrito").click()
    page.select_option("#ubigeo-provincia", label="Chepén")
    page.select_option("#ubigeo-distrito", label="Chepén")
    page.get_by_role("button", name="Agregar distrito").click()
    page.get_by_role("button", name="Agregar distrito").click()  # twice: still once
    chosen = page.locator(".ubigeo-chosen li")
    assert chosen.count() == 2
    assert chosen.nth(1).inner_text().startswith("San Pedro de Lloc, Pacasmayo, La Libertad")
    page.select_option("#ubigeo-provincia", label="Trujillo")
    page.select_option("#ubigeo-distrito", label="Huanchaco")
    page.get_by_role("button", name="Agregar distrito").click()
    page.get_by_role("button", name="Quitar Huanchaco, Trujillo, La Libertad").click()
    assert page.locator("input[name=locations]").input_value() == "130401, 130701"
    _fill_rest(page, NAME)
    page.get_by_role("button", name="Registrar proyecto").click()
    page.wait_for_load_state()
    assert re.search(r"/proyectos/\d+$", page.url), page.locator(".alert-danger, .invalid-feedback").all_inner_texts()
    assert "San Pedro de Lloc" in page.content() and "Chepén" in page.content()
    # the edit form shows the stored districts by name
    page.goto(page.url + "/editar")
    assert [li.get_attribute("data-ubigeo") for li in page.locator(".ubigeo-chosen li").all()] == ["130401", "130701"]
    assert page.console_errors == []


def test_without_javascript_the_typed_field_still_works(browser, live_server):
    context = browser.new_context(base_url=live_server, locale="es-PE", java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto("/login")
        page.fill("input[name=email]", "staff@demo.pe")
        page.fill("input[name=password]", DEMO_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_load_state()
        page.goto("/proyectos/nuevo")
        assert not page.locator(".ubigeo-picker").is_visible()
        page.fill("input[name=locations]", "130104")
        _fill_rest(page, NAME + " sin JS")
        page.get_by_role("button", name="Registrar proyecto").click()
        page.wait_for_load_state()
        assert re.search(r"/proyectos/\d+$", page.url)
        assert "Huanchaco" in page.content()
    finally:
        context.close()
