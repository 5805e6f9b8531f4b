"""The public verification page: a file presented is checked against the SHA-256 recorded at issue (a tampered
copy fails), a code is read forgivingly, an unknown one is a Spanish 404; and the ficha del proyecto, with
its scope (a company only for the projects it finances)."""
from __future__ import annotations

import datetime as dt
import hashlib
import io
from decimal import Decimal

from sqlalchemy import select, text

from portfolio import db
from portfolio.money import format_money
from portfolio.pdfs.codes import normalize_code
from portfolio.pdfs.models import IssuedDocument
from portfolio.projects import certificates
from tests.pdfs.tools import line_with, pdf_text, qr_codes
from tests.projects.conftest import Oxi
from tests.support import STAFF_ACTOR
from tests.trust.conftest import World

D = Decimal


def _trust_pdf(app, login_as) -> tuple[bytes, str]:
    with app.app_context():
        World().fund(D("4500.00"), month=dt.date(2026, 1, 1))
        db.session.commit()
    response = login_as("board").post("/pdf/fideicomiso/estado-de-cuenta", {"desde": "01/01/2026",
                                                                             "hasta": "20/06/2026"})
    assert response.status_code == 200
    return response.get_data(), response.headers["X-Document-Code"]


def _check(client, code: str, data: bytes) -> str:
    token = client.csrf_token()
    response = client.c.post(f"/verificar/{code}", data={"csrf_token": token,
                                                          "archivo": (io.BytesIO(data), "recibido.pdf")},
                             content_type="multipart/form-data")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    return html.split('data-testid="file-result"')[1].split("</div>")[0]


def test_the_issued_file_verifies_and_a_tampered_copy_does_not(app, login_as, client):
    data, code = _trust_pdf(app, login_as)
    assert "idéntico" in _check(client, code, data)
    # change one figure's digit inside the file (the text streams are compressed: flip a byte in the middle)
    tampered = bytearray(data)
    tampered[len(data) // 2] ^= 0x01
    result = _check(client, code, bytes(tampered))
    assert "NO es el documento emitido" in result
    assert hashlib.sha256(bytes(tampered)).hexdigest()[:16] in result
    # a copy with something appended (an incremental update, as a PDF editor saves) fails too
    assert "NO es el documento emitido" in _check(client, code, data + b"\n% editado\n")
    # the hash alone, by link or typed
    page = client.get(f"/verificar/{code}?sha256={hashlib.sha256(data).hexdigest()}").get_data(as_text=True)
    assert "idéntico" in page
    page = client.get(f"/verificar/{code}?sha256={'0' * 64}").get_data(as_text=True)
    assert "NO es el documento emitido" in page
    page = client.get(f"/verificar/{code}?sha256=xyz").get_data(as_text=True)
    assert "64 caracteres hexadecimales" in page


def test_a_file_uploaded_without_its_code_is_found_by_its_hash_and_a_tampered_one_is_not(app, login_as, client):
    data, code = _trust_pdf(app, login_as)

    def upload(content: bytes) -> str:
        token = client.csrf_token()
        response = client.c.post("/verificar", data={"csrf_token": token, "archivo": (io.BytesIO(content), "x.pdf")},
                                 content_type="multipart/form-data")
        assert response.status_code == 200
        return response.get_data(as_text=True)

    found = upload(data)
    assert code in found and "idéntico" in found and "Estado de cuenta del fideicomiso" in found
    tampered = bytearray(data)
    tampered[len(data) // 3] ^= 0x20
    refused = upload(bytes(tampered))
    assert "no es ningún documento emitido" in refused and code not in refused
    assert client.post("/verificar", {}).status_code == 400


def test_codes_are_read_forgivingly_and_unknown_ones_are_a_spanish_404(app, login_as, client):
    _data, code = _trust_pdf(app, login_as)
    typed = code.replace("-", " ").lower()
    response = client.get("/verificar", query_string={"codigo": typed})
    assert response.status_code == 302 and response.location.endswith(f"/verificar/{code}")
    assert client.get(f"/verificar/{code.replace('-', '').lower()}").status_code == 302
    assert normalize_code("OOOO-IIII-LLLL") == "0000-1111-1111"
    assert normalize_code("ABCD-EFGH-JKM") is None and normalize_code("ABCD-EFGH-JKMU") is None
    found = client.get(f"/verificar/{code}")
    assert found.headers["Cache-Control"] == "no-store" and "noindex" in found.headers["X-Robots-Tag"]
    assert found.headers["Referrer-Policy"] == "no-referrer"
    missing = client.get("/verificar/ZZZZ-ZZZZ-ZZZZ")
    assert missing.status_code == 404 and "No existe un documento emitido" in missing.get_data(as_text=True)
    assert client.get("/verificar/no-es-un-codigo").status_code == 404
    bad = client.get("/verificar", query_string={"codigo": "12"})
    assert bad.status_code == 200 and "12 letras y números" in bad.get_data(as_text=True)
    assert client.get("/verificar").status_code == 200


def test_an_issued_document_can_be_neither_changed_nor_deleted(app, login_as):
    _data, code = _trust_pdf(app, login_as)
    with app.app_context():
        for statement in ("UPDATE issued_documents SET pdf_sha256 = :h WHERE code = :c",
                          "DELETE FROM issued_documents WHERE code = :c"):
            try:
                with db.session.begin_nested():
                    db.session.execute(text(statement), {"h": "0" * 64, "c": code})
            except Exception as exc:  # the trigger's refusal, in Spanish
                assert "solo inserción" in str(exc)
            else:
                raise AssertionError(f"{statement} was allowed")
        assert db.session.scalar(select(IssuedDocument.pdf_sha256).where(IssuedDocument.code == code)) != "0" * 64


def _project(app, make_company, companies=None):
    with app.app_context():
        oxi = Oxi(make_company)
        project = oxi.project("en_ejecucion", companies=companies)
        milestone = oxi.milestone(project, amount="400000.55")
        certificates.add_certificate(project=project, number="CIPGN-0001", amount=D("300000.25"),
                                     issue_date=dt.date(2026, 5, 1), milestone_id=milestone.id, actor=STAFF_ACTOR)
        db.session.commit()
        return project.id, project.name, [m.company_id for m in project.members]


def test_ficha_del_proyecto_has_stage_amounts_milestones_and_certificates(app, login_as, client, make_company,
                                                                          tmp_path):
    project_id, name, companies = _project(app, make_company)
    staff = login_as("staff")
    response = staff.post(f"/pdf/proyectos/{project_id}/ficha")
    assert response.status_code == 200
    data, code = response.get_data(), response.headers["X-Document-Code"]
    pdf = pdf_text(data, tmp_path)
    money = lambda value: format_money(D(value)).replace("\u00a0", " ")  # noqa: E731
    flat = " ".join(pdf.split())
    assert name in flat and "En ejecución" in pdf
    assert money("1200000.00") in line_with(pdf, "Monto referencial")
    assert money("1000000.00") in line_with(pdf, "Monto vigente del convenio")
    assert money("400000.55") in line_with(pdf, "Valorizaciones aceptadas")
    assert money("300000.25") in line_with(pdf, "Certificados vigentes")
    assert money("300000.25") in line_with(pdf, "CIPGN-0001")
    assert money("400000.55") in line_with(pdf, "Valorización / avance", "Cumplido")
    assert qr_codes(data, tmp_path) == [f"http://localhost/verificar/{code}"]
    # the auditor and the financing company may have it; another company gets the same 404 as a missing project
    assert login_as("auditor").post(f"/pdf/proyectos/{project_id}/ficha").status_code == 200
    assert login_as("company", company_id=companies[0]).post(f"/pdf/proyectos/{project_id}/ficha").status_code == 200
    outsider = login_as("company")
    assert outsider.post(f"/pdf/proyectos/{project_id}/ficha").status_code == 404
    assert outsider.post("/pdf/proyectos/999999/ficha").status_code == 404
    assert login_as("board").post(f"/pdf/proyectos/{project_id}/ficha").status_code == 403
    page = client.get(f"/verificar/{code}").get_data(as_text=True)
    assert "Ficha del proyecto" in page and "siguen vigentes" in page
