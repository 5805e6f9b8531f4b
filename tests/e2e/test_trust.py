"""The trust's main journey in a browser: a company declares and pays, the trustee confirms, staff requests a
disbursement, two board members approve, the trustee executes, and the statements show it."""
from __future__ import annotations

import re
from decimal import Decimal

from portfolio import clock


def _logout(page):
    page.click("#user-menu")
    page.click("text=Cerrar sesión")
    page.wait_for_load_state()


def _ok(page):
    assert page.locator(".alert-danger").count() == 0, page.locator(".alert-danger").first.inner_text()


def _money(text: str) -> Decimal:
    return Decimal(re.sub(r"[^\d.\-]", "", text))


def _executed(page) -> Decimal:
    page.goto("/fideicomiso/estado-de-cuenta")
    row = page.locator("[data-testid=trust-statement] tr", has_text="Desembolsos ejecutados")
    assert "Cuadra al céntimo con el libro mayor." in page.content()
    return _money(row.locator("td").last.inner_text())


def test_contribution_to_disbursement_journey(page, login):
    month = clock.today().strftime("%m/%Y")  # mm/aaaa, as typed in any browser
    # 1. The company declares this month's payroll and registers its payment.
    login("empresa1@demo.pe")
    page.goto("/fideicomiso/empresa/declarar")
    page.fill("input[name=month]", month)
    page.fill("input[name=payroll]", "2,000,000.00")
    page.fill("input[name=headcount]", "240")
    page.get_by_role("button", name="Declarar").click()
    page.wait_for_load_state()
    _ok(page)
    assert "aporte de S/\u00a03,000.00" in page.locator("body").inner_text()
    page.fill("input[name=amount]", "3,000.00")
    page.select_option("select[name=bank]", "BCP")
    page.fill("input[name=operation_number]", "E2E-778899")
    page.get_by_role("button", name="Registrar pago").click()
    page.wait_for_load_state()
    _ok(page)
    assert "Pago registrado" in page.content()
    _logout(page)

    # 2. The trustee confirms it against the bank.
    login("fiduciario@demo.pe")
    page.goto("/fideicomiso/fiduciario")
    page.locator("tr", has_text="E2E-778899").get_by_role("button", name="Confirmar").click()
    page.wait_for_load_state()
    _ok(page)
    assert "Pago confirmado" in page.content()
    executed_before = _executed(page)
    _logout(page)

    # 3. Staff requests a disbursement.
    login("staff@demo.pe")
    page.goto("/fideicomiso/desembolsos/nuevo")
    page.select_option("select[name=program_id]", label="Observatorio Ciudadano")
    page.select_option("select[name=organization_id]", label="Asociación Observatorio Ciudadano de Seguridad La Libertad")
    page.fill("input[name=amount]", "15,000.00")
    page.fill("textarea[name=purpose]", "Boletín mensual de extorsión (prueba e2e)")
    page.fill("textarea[name=invoices]", "20131312955 F001-990001")
    page.get_by_role("button", name="Enviar solicitud").click()
    page.wait_for_load_state()
    _ok(page)
    disbursement_id = int(re.search(r"/desembolsos/(\d+)$", page.url).group(1))
    _logout(page)

    # 4. Two board members approve; the second approval reaches the quorum and reserves the funds.
    for member in ("comite1@demo.pe", "comite2@demo.pe"):
        login(member)
        page.goto("/fideicomiso/comite")
        item = page.locator(f"[data-testid=queue-item-{disbursement_id}]")
        item.locator(f"select[name=v{disbursement_id}-decision]").select_option("aprobar")
        item.locator(f"input[name=v{disbursement_id}-comment]").fill("Conforme con el plan del Observatorio")
        item.get_by_role("button", name="Votar").click()
        page.wait_for_load_state()
        _ok(page)
        assert "Voto registrado." in page.content()
        _logout(page)

    # 5. The trustee executes the payment.
    login("fiduciario@demo.pe")
    page.goto(f"/fideicomiso/desembolsos/{disbursement_id}")
    assert "Aprobado (fondos reservados)" in page.content()
    page.goto("/fideicomiso/fiduciario")
    card = page.locator(f"[data-testid=execute-{disbursement_id}]")
    assert card.locator(f"input[name=e{disbursement_id}-amount]").input_value() == "15000.00"
    card.locator(f"input[name=e{disbursement_id}-reference]").fill("TRF-E2E-001")
    card.get_by_role("button", name="Ejecutar").click()
    page.wait_for_load_state()
    _ok(page)
    assert "Tramo ejecutado" in page.content()

    # 6. The statements show it, tied to the ledger.
    assert _executed(page) == executed_before - Decimal("15000.00")
    page.goto(f"/fideicomiso/desembolsos/{disbursement_id}")
    assert "TRF-E2E-001" in page.content() and "Pagado" in page.content()
    _logout(page)
    login("empresa1@demo.pe")
    page.goto("/fideicomiso/empresa/estado-de-cuenta")
    statement = page.locator("[data-testid=company-statement]").inner_text()
    assert "E2E-778899" in statement and "3,000.00" in statement
    assert "Cuadra con el libro mayor" in page.content()
    assert page.console_errors == []
