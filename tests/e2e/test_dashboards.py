"""Browser tests: each role's home dashboard and the public portal as an anonymous visitor, on the demo
data. Screenshots land in test-artifacts/ (one per test, taken by the ``page`` fixture)."""
from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.e2e

DASHBOARDS = [
    ("staff@demo.pe", ["Embudo de la cartera", "Hitos vencidos", "Certificados emitidos en"], "#embudo svg"),
    ("empresa1@demo.pe", ["Sus proyectos", "Sus aportes al fideicomiso", "Certificados y su impuesto"], "#mis-proyectos"),
    ("comite1@demo.pe", ["Solicitudes que esperan su voto", "Programas", "Indicadores de los programas"], "#programas-tabla"),
    ("fiduciario@demo.pe", ["Pagos registrados por confirmar", "Desembolsos aprobados", "Conciliación bancaria"], "#flujos svg"),
    ("auditor@demo.pe", ["Obras por Impuestos", "Fideicomiso", "Auditoría: quién hizo qué"], "#embudo svg"),
    ("admin@demo.pe", ["Vista general", "Usuarios"], "#embudo svg"),
]


@pytest.mark.parametrize(("email", "texts", "chart"), DASHBOARDS, ids=[d[0].split("@")[0] for d in DASHBOARDS])
def test_role_dashboard(page, login, email, texts, chart):
    login(email)
    assert page.url.rstrip("/").endswith(page.url.split("/", 3)[2]) or page.url.endswith("/")
    body = page.inner_text("main")
    for text in texts:
        assert text in body, text
    assert page.locator(chart).count() >= 1
    assert page.locator("[data-status-count]").count() == 4  # indicator status cards
    # every chart offers its data as a table
    for figure in page.locator("figure.chart").all():
        figure.locator("summary").click()
        assert figure.locator("table").is_visible()
    assert not page.console_errors, page.console_errors


def test_staff_indicator_measurement_conflict_and_correction(page, login):
    login("staff@demo.pe")
    page.click("a.nav-link:has-text('Indicadores')")
    page.click("text=Denuncias por extorsión en La Libertad")
    assert page.locator("#historial").is_visible()
    assert "reemplazada" in page.inner_text("#historial")  # the demo correction keeps the old value visible
    # record the last measured quarter again: the existing value is shown with the correction form
    first = page.locator("#historial tbody tr").first.inner_text()
    match = re.search(r"(I{1,3}V?|IV) trimestre (\d{4})", first)
    assert match
    quarter = {"I": "1", "II": "2", "III": "3", "IV": "4"}[match.group(1)]
    page.select_option("#med-quarter", quarter)
    page.fill("#med-year", match.group(2))
    page.fill("#med-value", "1999")
    page.fill("#med-source", "Prueba de navegador")
    page.click("button:has-text('Registrar medición')")
    assert page.locator("#conflicto").is_visible()
    page.fill("#cor-reason", "Corrección de prueba del navegador")
    page.click("button:has-text('Registrar corrección')")
    page.wait_for_load_state()
    assert "Corrección del" in page.inner_text("main")
    assert "Corrección de prueba del navegador" in page.inner_text("#historial")


def test_public_portal_as_anonymous_visitor(page):
    response = page.goto("/transparencia/")
    assert response.status == 200 and response.headers["cache-control"] == "public, max-age=300"
    assert "Inversión en seguridad ciudadana en La Libertad" in page.inner_text("main")
    assert page.locator("#pub-provincias").is_visible()
    assert "Iniciar sesión" not in page.content() and "Cerrar sesión" not in page.content()
    page.click("nav >> text=Proyectos")
    page.locator("#pub-lista tbody a").first.click()
    assert page.locator("#pub-linea").is_visible()
    page.goto("/transparencia/indicadores")
    assert page.locator("[data-status-count]").count() == 4
    page.locator("table a").first.click()
    assert page.locator("figure.chart svg").count() == 1
    page.goto("/transparencia/fideicomiso")
    assert "Desembolsos por programa y beneficiario" in page.inner_text("main")
    assert not page.console_errors, page.console_errors


def test_public_project_page(page):
    page.goto("/transparencia/proyectos")
    page.click("text=Equipamiento de comisarías de Trujillo Metropolitano (demo)")
    text = page.inner_text("main")
    assert "Monto vigente" in text and "Línea de tiempo" in text
    page.goto("/transparencia/datos")
    assert page.locator("a:has-text('(CSV)')").count() == 2
