"""The carta de cobranza: the +30 arrears e-mail, received by a real SMTP server, carries a PDF whose months and
amounts (read back with pdftotext) are the ledger's to the cent, whose code and QR code are recorded in
issued_documents, and that the public verification page recognises."""
from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portfolio import clock, db
from portfolio.money import format_money
from portfolio.notifications.cli import run_notifications
from portfolio.pdfs import queries as pdf_queries
from portfolio.pdfs.models import IssuedDocument
from portfolio.pdfs.vocab import DocumentKind
from portfolio.trust.models import Contribution
from portfolio.trust.services import contributions
from tests.notifications.conftest import at, start_smtp
from tests.notifications.test_reminders import CONTACT, DUE, MAY, key
from tests.pdfs.tools import line_with, pdf_text, qr_codes
from tests.support import insert_user
from tests.trust.conftest import make_company, run

SMTP_PORT = 5190
BASE = "https://cartera.regionlalibertad.gob.pe"
APRIL = dt.date(2026, 4, 1)
PAYROLLS = {APRIL: Decimal("987654.32"), MAY: Decimal("1234567.89")}  # 0.15 %: 1,481.48 and 1,851.85


@pytest.fixture
def letter_box(app, monkeypatch):
    controller, box = start_smtp(SMTP_PORT)
    monkeypatch.setitem(app.config, "SMTP_URL", f"smtp://127.0.0.1:{SMTP_PORT}")
    monkeypatch.setitem(app.config, "PUBLIC_URL", BASE)
    try:
        yield box
    finally:
        controller.stop()


@pytest.fixture
def debtor(ctx):
    company = make_company("Minera Andina S.A.C.")
    company.contact_email = CONTACT
    user = insert_user("company", company.id, name="Rosa Quispe")
    insert_user("trustee", name="Fiduciario")
    other = make_company("Agroexportadora Norte S.A.")  # owes too, but its months are not in this letter
    other_user = insert_user("company", other.id, name="Luis Vega")
    db.session.commit()
    with clock.frozen(at(dt.date(2026, 6, 3))):
        for month, payroll in PAYROLLS.items():
            run(lambda m=month, p=payroll: contributions.declare(company_id=company.id, month=m, payroll=p,
                                                                 headcount=40, actor=user, key=key()))
        run(lambda: contributions.declare(company_id=other.id, month=MAY, payroll=Decimal("5000000"),
                                          headcount=90, actor=other_user, key=key()))
    return {"company": company, "user": user}


def letters(box) -> list:
    return [m for m in box.messages if m.subject.startswith("Carta de cobranza")]


def test_the_arrears_email_carries_the_carta_de_cobranza_with_the_ledger_amounts(debtor, letter_box, tmp_path):
    company, user = debtor["company"], debtor["user"]
    with clock.frozen(at(DUE + dt.timedelta(days=30))):
        run_notifications()
    mails = [m for m in letters(letter_box) if "Minera Andina" in m.part("plain")]
    assert {tuple(m.recipients) for m in mails} >= {(CONTACT,), (user.email,)}
    attachments = [[(part.get_filename(), part.get_content_type(), part.get_content())
                    for part in m.message.iter_attachments()] for m in mails]
    assert all(len(a) == 1 and a[0][1] == "application/pdf" for a in attachments)
    pdfs = {a[0][2] for a in attachments}
    assert len(pdfs) == 1, "the contact and the company's users receive the same letter (one code)"
    pdf = pdfs.pop()

    [document] = db.session.scalars(select(IssuedDocument).where(IssuedDocument.kind == DocumentKind.CARTA_COBRANZA,
                                                                 IssuedDocument.company_id == company.id))
    assert document.pdf_sha256 == hashlib.sha256(pdf).hexdigest() and document.issued_by_id is None
    assert attachments[0][0][0] == f"carta_cobranza-{document.code}.pdf"

    text = pdf_text(pdf, tmp_path)
    assert document.code in text and "Minera Andina S.A.C." in text and "Agroexportadora" not in text
    owed = Decimal(0)
    rows = db.session.scalars(select(Contribution).where(Contribution.company_id == company.id)
                              .order_by(Contribution.month)).all()
    assert [c.month for c in rows] == [APRIL, MAY]
    for c in rows:
        line = line_with(text, f"{c.due_date:%d/%m/%Y}")
        expected = (Decimal(PAYROLLS[c.month]) * Decimal("0.0015")).quantize(Decimal("0.01"))
        assert c.amount_due == expected and c.outstanding == expected
        assert format_money(c.amount_due).replace("\u00a0", " ") in line
        owed += c.outstanding
    assert format_money(owed).replace("\u00a0", " ") in line_with(text, "Total adeudado")
    figures = {f["label"]: f["value"] for f in document.figures}
    assert figures["Total adeudado"] == str(owed) == "3333.33"
    assert figures["Pendiente 04/2026"] == "1481.48" and figures["Pendiente 05/2026"] == "1851.85"
    assert qr_codes(pdf, tmp_path) == [f"{BASE}/verificar/{document.code}"]

    # the verification page recognises the file and its figures still stand
    check = pdf_queries.verify(document.code, pdf=pdf)
    assert check.file_matches and check.still_stands

    # a rerun the same day sends no letter again and issues no other document
    with clock.frozen(at(DUE + dt.timedelta(days=30), 15)):
        run_notifications()
    assert db.session.scalar(select(func.count()).select_from(IssuedDocument)
                             .where(IssuedDocument.kind == DocumentKind.CARTA_COBRANZA,
                                    IssuedDocument.company_id == company.id)) == 1


def test_other_steps_carry_no_attachment(debtor, letter_box):
    with clock.frozen(at(DUE - dt.timedelta(days=5))):
        run_notifications()
    assert letter_box.messages and all(not list(m.message.iter_attachments()) for m in letter_box.messages)
    assert db.session.scalar(select(func.count()).select_from(IssuedDocument)) == 0
