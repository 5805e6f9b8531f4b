"""The trust's PDFs read back with pdftotext: every figure equals the ledger's to the cent, the QR code decodes
to the verification URL, and the issue is recorded with the file's SHA-256."""
from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal

from sqlalchemy import func, select

from portfolio import db
from portfolio.money import format_money
from portfolio.pdfs.models import IssuedDocument
from portfolio.trust import ledger
from portfolio.trust.ledger import Entry, Posting
from portfolio.trust.services import books, contributions, programs
from tests.pdfs.tools import line_with, pdf_text, qr_codes
from tests.trust.conftest import TODAY, World, key, run

D = Decimal


def money(value: Decimal) -> str:
    return format_money(value).replace("\u00a0", " ")


def _receivable(company) -> tuple[Decimal, Decimal, Decimal]:
    """The company's receivable account in the ledger: (charged, credited, balance)."""
    account = db.session.scalar(select(ledger.Account).where(ledger.Account.code == f"1200-{company.ruc}"))
    debit, credit = db.session.execute(
        select(ledger.money_sum(Posting.debit), ledger.money_sum(Posting.credit))
        .where(Posting.account_id == account.id)).one()
    return debit, credit, ledger.balance_on(db.session, [account.id])


def _contributions_world():
    world = World()
    may = world.declare(month=dt.date(2026, 5, 1), payroll=D("1000000.00")).value           # 1,500.00
    world.confirm(world.pay(may, D("500.00")).value)
    april = world.declare(month=dt.date(2026, 4, 1), payroll=D("2000000.10")).value          # 3,000.00
    world.confirm(world.pay(april, april.amount_due).value)
    world.declare(month=dt.date(2025, 12, 1), payroll=D("100000.00"))                        # another year
    db.session.commit()
    return world, may, april


def test_constancia_figures_equal_the_ledger_and_its_qr_opens_the_verification(app, login_as, client, tmp_path):
    with app.app_context():
        world, may, april = _contributions_world()
        charged, credited, owed = _receivable(world.company)
        company_id, april_due = world.company.id, april.amount_due
    company = login_as("company", company_id=company_id)
    response = company.post("/pdf/constancia-de-aportes", {"year": "2026"})
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    body = response.get_data()
    text = pdf_text(body, tmp_path)
    code = response.headers["X-Document-Code"]

    assert "Constancia de aportes" in text and code in text
    may_line = line_with(text, "mayo 2026", "S/")
    assert all(money(D(v)) in may_line for v in ("1500.00", "500.00", "1000.00")), may_line
    assert money(april_due) in line_with(text, "abril 2026", "S/")
    assert "diciembre 2025" not in text  # the constancia is of one year
    total = line_with(text, "Total 2026")
    assert money(D("1500.00") + april_due) in total and money(D("500.00") + april_due) in total
    # the ledger: 2026's pending is the receivable's balance less 2025's declaration (150.00, unpaid)
    assert owed - D("150.00") == D("1000.00") and money(D("1000.00")) in total
    assert credited == D("500.00") + april_due

    with app.app_context():
        issued = db.session.scalar(select(IssuedDocument).where(IssuedDocument.code == code))
        assert issued.pdf_sha256 == hashlib.sha256(body).hexdigest() == response.headers["X-Document-SHA256"]
        assert issued.pdf_size == len(body) and issued.company_id == company_id and issued.kind == "constancia_aportes"

    url = f"http://localhost/verificar/{code}"
    assert qr_codes(body, tmp_path) == [url]
    assert url in text
    page = client.get(f"/verificar/{code}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "siguen vigentes" in html and "Constancia de aportes" in html and format_money(D("1500.00")) in html


def test_company_statement_pdf_ties_to_the_receivable_account(app, login_as, tmp_path):
    with app.app_context():
        world, _may, april = _contributions_world()
        charged, credited, owed = _receivable(world.company)
        company_id = world.company.id
    company = login_as("company", company_id=company_id)
    response = company.post("/pdf/estado-de-cuenta", {"desde": "01/01/2000", "hasta": TODAY.strftime("%d/%m/%Y")})
    assert response.status_code == 200
    text = pdf_text(response.get_data(), tmp_path)
    final = line_with(text, "Saldo final")
    assert money(charged) in final and money(credited) in final and money(owed) in final
    assert money(D("0.00")) in line_with(text, "Saldo inicial")
    assert money(april.amount_due) in text


def test_trust_statement_pdf_lists_every_bank_movement_and_ties_to_the_ledger(app, login_as, tmp_path):
    with app.app_context():
        world = World()
        world.fund(D("4500.00"), month=dt.date(2026, 1, 1))
        world.fund(D("1234.56"), month=dt.date(2026, 2, 1))
        d = world.request(D("1000.00")).value
        world.approve(d)
        world.execute(d, D("400.01"))
        db.session.commit()
        ids = books.bank_account_ids()
        start, end = dt.date(2026, 1, 1), TODAY
        opening = ledger.balance_on(db.session, ids, start - dt.timedelta(days=1))
        closing = ledger.balance_on(db.session, ids, end)
        entries = db.session.scalar(select(func.count(func.distinct(Entry.id))).join(Posting).where(
            Posting.account_id.in_(ids), Entry.effective_date >= start, Entry.effective_date <= end,
            Entry.kind != "reserva"))
    trustee = login_as("trustee")
    response = trustee.post("/pdf/fideicomiso/estado-de-cuenta", {"desde": "01/01/2026",
                                                                   "hasta": end.strftime("%d/%m/%Y")})
    assert response.status_code == 200
    text = pdf_text(response.get_data(), tmp_path)
    assert money(closing) in line_with(text, "Saldo final en banco")
    assert money(opening) in line_with(text, "Saldo inicial en banco")
    assert money(D("5734.56")) in line_with(text, "Aportes confirmados")
    assert money(D("-400.01")) in line_with(text, "Desembolsos ejecutados")
    assert f"Movimientos del banco ({entries})" in text and entries == 3
    assert money(D("4500.00")) in text and money(D("1234.56")) in text


def test_acta_shows_invoices_votes_recusals_quorum_reservation_and_payments(app, login_as, tmp_path):
    with app.app_context():
        world = World()
        world.fund(D("50000.00"))
        recused = world.board[2]
        run(lambda: programs.declare_conflict(user_id=recused.id, organization_id=world.org.id,
                                              description="Fundador de la asociación", actor=world.staff))
        d = world.request(D("12345.67"), invoices=[("20131312955", "F001", "123"), ("20512333797", "E001", "77")]).value
        world.approve(d)
        world.execute(d, D("2345.67"))
        db.session.commit()
        votes = [(v.user.name, v.cast_at) for v in d.votes]
        disbursement_id = d.id
    auditor = login_as("auditor")
    response = auditor.post(f"/pdf/desembolsos/{disbursement_id}/acta")
    assert response.status_code == 200
    text = pdf_text(response.get_data(), tmp_path)
    assert "Acta de decisión de desembolso" in text and money(D("12345.67")) in text
    assert "20131312955" in line_with(text, "F001") and "20512333797" in line_with(text, "E001")
    for name, cast_at in votes:
        from portfolio.formatting import format_datetime

        assert format_datetime(cast_at) in line_with(text, name, "A favor")
    flat = " ".join(text.split())
    assert "Miembro 3: Fundador de la asociación" in flat
    assert "Se alcanzó la mayoría requerida" in flat and "Votos a favor: 2 · en contra: 0 · requeridos: 2" in flat
    assert money(D("12345.67")) in line_with(text, "Reserva de S/")
    assert money(D("2345.67")) in line_with(text, "TRF-001")
    assert money(D("2345.67")) in line_with(text, "Total pagado")
    assert "Documentos del expediente" in text  # the section the document register fills in
    assert f"Código de verificación: {response.headers['X-Document-Code']}" in text


def test_who_may_issue_which_pdf(app, login_as):
    with app.app_context():
        world = World()
        d = world.request(D("100.00")).value
        db.session.commit()
        disbursement_id = d.id
    company = login_as("company")
    assert company.post(f"/pdf/desembolsos/{disbursement_id}/acta").status_code == 403
    assert company.post("/pdf/fideicomiso/estado-de-cuenta").status_code == 403
    board = login_as("board")
    assert board.post("/pdf/constancia-de-aportes", {"year": "2026"}).status_code == 403
    assert board.post("/pdf/desembolsos/999999/acta").status_code == 404
    staff = login_as("staff")
    assert staff.post(f"/pdf/desembolsos/{disbursement_id}/acta").status_code == 403
    with app.app_context():
        assert db.session.scalar(select(func.count(IssuedDocument.id))) == 0


def test_a_bad_period_is_refused_in_spanish_and_nothing_is_issued(app, login_as):
    trustee = login_as("trustee")
    future = (TODAY + dt.timedelta(days=4000)).strftime("%d/%m/%Y")
    response = trustee.post("/pdf/fideicomiso/estado-de-cuenta", {"desde": "01/01/2026", "hasta": future},
                            follow_redirects=True)
    assert response.status_code == 200 and "no puede terminar después de hoy" in response.get_data(as_text=True)
    response = trustee.post("/pdf/fideicomiso/estado-de-cuenta", {"desde": "45/01/2026"}, follow_redirects=True)
    assert response.status_code == 200 and "Fecha" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(IssuedDocument.id))) == 0


def test_rectification_after_issue_shows_on_the_verification_page(app, login_as, client, tmp_path):
    with app.app_context():
        world, may, _april = _contributions_world()
        company_id = world.company.id
    company = login_as("company", company_id=company_id)
    code = company.post("/pdf/constancia-de-aportes", {"year": "2026"}).headers["X-Document-Code"]
    with app.app_context():
        run(lambda: contributions.rectify(contribution_id=may.id, payroll=D("800000.00"), headcount=10,
                                          reason="Planilla corregida", actor=world.company_user, key=key(),
                                          today=TODAY))  # 1,500.00 → 1,200.00
    html = client.get(f"/verificar/{code}").get_data(as_text=True)
    assert "cambiaron después de la emisión" in html and "siguen vigentes" not in html
    assert "La declaración de 05/2026 fue rectificada" in html and "Planilla corregida" in html
    changes = html.split('data-testid="changes"')[1].split("</table>")[0]
    assert "Declarado 05/2026" in changes and format_money(D("1500.00")) in changes
    assert format_money(D("1200.00")) in changes
    assert "Declarado 04/2026" not in changes  # what did not change is not listed
