"""The expediente in a browser: staff uploads the convenio on the project page; staff files an invoice in a
disbursement's dossier; a board member opens the voting page, sees the invoice and votes; a citizen downloads
the public convenio from the portal, byte for byte; a company gets 404 on another company's document."""
from __future__ import annotations

import io
import re

import pikepdf

from tests.e2e.conftest import logout


def _pdf(text: str) -> bytes:
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(200, 200))
    pdf.docinfo["/Title"] = text
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def _ok(page):
    assert page.locator(".alert-danger").count() == 0, page.locator(".alert-danger").first.inner_text()


def _project_ids(page) -> set[int]:
    page.goto("/proyectos/")
    return {int(m) for m in re.findall(r'href="/proyectos/(\d+)"', page.content())}


def test_convenio_invoices_vote_portal_and_scope(page, login):
    convenio = _pdf("Convenio de inversión – prueba e2e")
    login("empresa1@demo.pe")
    own = _project_ids(page)
    logout(page)

    # 1. Staff uploads the convenio of a project the company does not finance.
    login("staff@demo.pe")
    others = sorted(_project_ids(page) - own)
    assert others, "the demo data has projects outside empresa1's scope"
    project_id = others[0]
    page.goto(f"/proyectos/{project_id}")
    form = page.locator("[data-testid=upload-form]")
    form.locator("select[name=doc-target]").select_option(f"project:{project_id}")
    form.locator("select[name=doc-doc_type]").select_option("convenio")
    form.locator("input[name=doc-file]").set_input_files(
        {"name": "Convenio de inversión.pdf", "mimeType": "application/pdf", "buffer": convenio})
    form.get_by_role("button", name="Adjuntar documento").click()
    page.wait_for_load_state()
    _ok(page)
    assert "Documento «Convenio de inversión.pdf» adjuntado." in page.content()
    link = page.locator("#documentos a", has_text="Convenio de inversión.pdf").first
    document_id = int(re.search(r"/documentos/(\d+)/", link.get_attribute("href")).group(1))

    # 2. Staff requests a disbursement and files its invoice in the dossier.
    page.goto("/fideicomiso/desembolsos/nuevo")
    page.select_option("select[name=program_id]", label="Observatorio Ciudadano")
    page.select_option("select[name=organization_id]", label="Asociación Observatorio Ciudadano de Seguridad La Libertad")
    page.fill("input[name=amount]", "8,000.00")
    page.fill("textarea[name=purpose]", "Encuesta de victimización (prueba e2e de documentos)")
    page.fill("textarea[name=invoices]", "20131312955 F002-4401")
    page.get_by_role("button", name="Enviar solicitud").click()
    page.wait_for_load_state()
    _ok(page)
    disbursement_id = int(re.search(r"/desembolsos/(\d+)$", page.url).group(1))
    form = page.locator("#expediente [data-testid=upload-form]")
    form.locator("select[name=doc-doc_type]").select_option("comprobante")
    form.locator("input[name=doc-file]").set_input_files(
        {"name": "F002-4401.pdf", "mimeType": "application/pdf", "buffer": _pdf("Factura F002-4401")})
    form.locator("input[name=doc-invoice_ruc]").fill("20131312955")
    form.locator("input[name=doc-invoice_serie]").fill("F002")
    form.locator("input[name=doc-invoice_numero]").fill("4401")
    form.locator("input[name=doc-invoice_amount]").fill("8,000.00")
    form.get_by_role("button", name="Adjuntar documento").click()
    page.wait_for_load_state()
    _ok(page)
    assert "Documento «F002-4401.pdf» adjuntado." in page.content()
    logout(page)

    # 3. A board member sees the invoice on the voting page, then votes.
    login("comite1@demo.pe")
    page.goto("/fideicomiso/comite")
    item = page.locator(f"[data-testid=queue-item-{disbursement_id}]")
    dossier = item.locator("[data-testid=dossier]")
    assert "F002-4401.pdf" in dossier.inner_text() and "20131312955 F002-4401" in dossier.inner_text()
    assert "suman S/\u00a08,000.00 de S/\u00a08,000.00" in dossier.inner_text()
    item.locator(f"select[name=v{disbursement_id}-decision]").select_option("aprobar")
    item.locator(f"input[name=v{disbursement_id}-comment]").fill("Factura conforme con la propuesta")
    item.get_by_role("button", name="Votar").click()
    page.wait_for_load_state()
    _ok(page)
    assert "Voto registrado." in page.content()
    logout(page)

    # 4. A citizen downloads the public convenio from the portal: exactly the uploaded bytes.
    page.goto(f"/transparencia/proyectos/{project_id}")
    public_link = page.locator(f"[data-testid=public-doc-{document_id}]")
    assert public_link.count() == 1
    with page.expect_download() as info:
        public_link.click()
    download = info.value
    assert download.suggested_filename == "Convenio de inversión.pdf"
    assert open(download.path(), "rb").read() == convenio

    assert page.console_errors == []

    # 5. The company gets the same 404 for another company's document as for a missing one.
    login("empresa1@demo.pe")
    assert page.goto(f"/documentos/{document_id}/descargar").status == 404
    assert page.goto("/documentos/999999/descargar").status == 404
