"""The expediente over HTTP: uploads from the project and disbursement pages, streamed downloads with safe
headers, the company's scope (another company's document is the same 404 as a missing one), the public
portal, and the board's voting page with the dossier in front of it."""
from __future__ import annotations

import html
import uuid
from decimal import Decimal

from sqlalchemy import select

from portfolio import db
from portfolio.documents.models import Document, VoteDocument
from portfolio.trust.models import Disbursement
from tests.documents.conftest import pdf_bytes, post_file, xlsx_bytes
from tests.trust.conftest import World, new_ruc


def latest(app) -> Document:
    with app.app_context():
        return db.session.scalar(select(Document).order_by(Document.id.desc()))


def test_convenio_uploaded_by_staff_is_public_and_streams_with_safe_headers(app, app_store, login_as, make_project):
    project = make_project("adjudicado")
    staff = login_as("staff")
    data = pdf_bytes("Convenio firmado")
    page = post_file(staff, f"project:{project['id']}", data, "Convenio de inversión.pdf")
    assert "Documento «Convenio de inversión.pdf» adjuntado." in html.unescape(page.get_data(as_text=True))
    doc = latest(app)
    detail = staff.get(f"/proyectos/{project['id']}").get_data(as_text=True)
    assert f'data-testid="download-{doc.id}"' in detail
    again = post_file(staff, f"project:{project['id']}", data, "copia.pdf", doc_type="otro")
    assert "ya estaba almacenado" in html.unescape(again.get_data(as_text=True))  # stored once, and says so

    portal = app.test_client()
    listing = portal.get(f"/transparencia/proyectos/{project['id']}").get_data(as_text=True)
    assert f'data-testid="public-doc-{doc.id}"' in listing and "Convenio de inversión" in listing
    response = portal.get(f"/transparencia/documentos/{doc.id}")
    assert response.status_code == 200 and response.data == data
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert "filename*=UTF-8''Convenio%20de%20inversi%C3%B3n.pdf" in response.headers["Content-Disposition"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert response.headers["ETag"] == f'"{doc.sha256}"'
    assert portal.get(f"/transparencia/documentos/{doc.id}", headers={"If-None-Match": f'"{doc.sha256}"'}).status_code == 304
    private = latest(app)
    assert private.id != doc.id and not private.is_public
    assert portal.get(f"/transparencia/documentos/{private.id}").status_code == 404
    assert portal.get(f"/documentos/{doc.id}/descargar").status_code in (302, 401)  # the internal door needs a login


def test_company_sees_its_projects_documents_and_404_for_anothers(app, app_store, login_as, make_project):
    mine, other = make_project("adjudicado"), make_project("adjudicado")
    staff = login_as("staff")
    post_file(staff, f"project:{mine['id']}", pdf_bytes("mío"), "convenio.pdf")
    my_doc = latest(app)
    post_file(staff, f"project:{other['id']}", pdf_bytes("ajeno"), "convenio.pdf", public="0")
    other_doc = latest(app)
    company = login_as("company", company_id=mine["companies"][0])
    assert company.get(f"/documentos/{my_doc.id}/descargar").status_code == 200
    missing = company.get("/documentos/999999/descargar")
    foreign = company.get(f"/documentos/{other_doc.id}/descargar")
    assert foreign.status_code == missing.status_code == 404
    assert foreign.get_data(as_text=True).count("no existe") == missing.get_data(as_text=True).count("no existe")
    assert login_as("auditor").get(f"/documentos/{other_doc.id}/descargar").status_code == 200
    assert login_as("admin").get(f"/documentos/{other_doc.id}/descargar").status_code == 403
    # a company cannot upload either
    assert post_file(company, f"project:{mine['id']}", pdf_bytes(), "x.pdf").status_code == 403


def test_board_sees_the_dossier_with_invoices_and_its_vote_records_the_hashes(app, app_store, login_as, isolated):
    with app.app_context():  # not kept open: each client's request needs its own context (CSRF token in g)
        world = World()
        world.fund(Decimal("5000.00"))
        d = world.request(Decimal("1000.00")).value
        db.session.commit()
    staff = login_as("staff")
    ruc = new_ruc()
    factura = pdf_bytes("factura")
    page = post_file(staff, f"disbursement:{d.id}", factura, "F001-123.pdf", doc_type="comprobante",
                     invoice_ruc=ruc, invoice_serie="F001", invoice_numero="123", invoice_amount="850.00")
    assert "adjuntado" in html.unescape(page.get_data(as_text=True))
    post_file(staff, f"disbursement:{d.id}", xlsx_bytes(), "presupuesto.xlsx", doc_type="presupuesto")
    reused = post_file(staff, f"disbursement:{d.id}", pdf_bytes("otra"), "F001-123b.pdf", doc_type="comprobante",
                       invoice_ruc=ruc, invoice_serie="F001", invoice_numero="123", invoice_amount="10.00")
    assert "ya figura con otro monto" in html.unescape(reused.get_data(as_text=True))

    board = login_as("board")
    queue = html.unescape(board.get("/fideicomiso/comite").get_data(as_text=True))
    assert "F001-123.pdf" in queue and f"{ruc} F001-123" in queue and "presupuesto.xlsx" in queue
    assert "Los comprobantes adjuntos suman S/\u00a0850.00 de S/\u00a01,000.00" in queue
    with app.app_context():
        invoice_doc = db.session.scalar(select(Document).where(Document.filename == "F001-123.pdf"))
    downloaded = board.get(f"/documentos/{invoice_doc.id}/descargar")
    assert downloaded.status_code == 200 and downloaded.headers["X-Content-SHA256"] == invoice_doc.sha256
    assert downloaded.data == factura
    response = board.post(f"/fideicomiso/desembolsos/{d.id}/votar",
                          {f"v{d.id}-decision": "aprobar", f"v{d.id}-comment": "Sustento completo",
                           f"v{d.id}-idem": uuid.uuid4().hex}, follow_redirects=True)
    assert "Voto registrado." in response.get_data(as_text=True)
    with app.app_context():
        hashes = db.session.scalars(select(VoteDocument.sha256).join(Document, Document.id == VoteDocument.document_id)
                                    .where(Document.disbursement_id == d.id)).all()
        assert len(hashes) == 2 and invoice_doc.sha256 in hashes
        assert db.session.get(Disbursement, d.id).status == "solicitado"  # one vote of the quorum
    company = login_as("company")
    assert company.get(f"/documentos/{invoice_doc.id}/descargar").status_code == 404  # trust dossiers: not companies


def test_project_upload_form_offers_the_project_its_milestones_and_certificates_in_order(app, login_as, make_project):
    """The panel reuses the milestones and certificates the project page loaded: each is offered once, milestones
    by planned date, certificates by id (issued later but created first comes first)."""
    import datetime as dt

    from portfolio.projects.models import Certificate, Milestone

    project = make_project("en_ejecucion", milestone=True)
    with app.app_context():
        first = db.session.scalar(select(Milestone).where(Milestone.project_id == project["id"]))
        earlier = Milestone(project_id=project["id"], kind="valorizacion", description="Adelanto",
                            planned_date=first.planned_date - dt.timedelta(days=10), amount=Decimal("1000.00"),
                            planned_physical=1000)
        late = Certificate(project_id=project["id"], cert_type="CIPRL", number="T-2", amount=Decimal("10.00"),
                           issue_date=dt.date(2026, 9, 1))
        early = Certificate(project_id=project["id"], cert_type="CIPRL", number="T-1", amount=Decimal("10.00"),
                            issue_date=dt.date(2026, 3, 1))
        db.session.add_all([earlier, late, early])
        db.session.commit()
        expected = [f"project:{project['id']}", f"milestone:{earlier.id}", f"milestone:{first.id}",
                    f"certificate:{late.id}", f"certificate:{early.id}"]
    page = login_as("staff").get(f"/proyectos/{project['id']}").get_data(as_text=True)
    select_html = page[page.index('name="doc-target"'):]
    select_html = select_html[:select_html.index("</select>")]
    import re

    assert re.findall(r'<option[^>]*value="([^"]+)"', select_html) == expected
