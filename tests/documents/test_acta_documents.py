"""The acta de decisión lists the request's dossier as the document register holds it: each file with its
SHA-256, read back from the issued PDF."""
from __future__ import annotations

import hashlib
from decimal import Decimal

from portfolio import db
from tests.documents.conftest import pdf_bytes, post_file, xlsx_bytes
from tests.pdfs.tools import line_with, pdf_text
from tests.trust.conftest import World, new_ruc


def test_the_acta_lists_every_dossier_file_with_its_hash(app, app_store, login_as, isolated, tmp_path):
    with app.app_context():
        world = World()
        world.fund(Decimal("5000.00"))
        d = world.request(Decimal("1000.00")).value
        db.session.commit()
    staff = login_as("staff")
    factura, presupuesto = pdf_bytes("factura del proveedor"), xlsx_bytes()
    post_file(staff, f"disbursement:{d.id}", factura, "F001-901.pdf", doc_type="comprobante",
              invoice_ruc=new_ruc(), invoice_serie="F001", invoice_numero="901", invoice_amount="850.00")
    post_file(staff, f"disbursement:{d.id}", presupuesto, "presupuesto.xlsx", doc_type="presupuesto")

    response = login_as("auditor").post(f"/pdf/desembolsos/{d.id}/acta")
    assert response.status_code == 200
    text = pdf_text(response.get_data(), tmp_path)
    flat = "".join(text.split())  # a hash may be wrapped inside its cell
    for name, data in (("F001-901.pdf", factura), ("presupuesto.xlsx", presupuesto)):
        assert name in line_with(text, name)
        assert hashlib.sha256(data).hexdigest() in flat
    assert "Sin documentos en el expediente" not in text
