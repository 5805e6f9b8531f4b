"""The trust's list and statement exports, through the export framework: same rows and role scope as the
pages (a company gets only its own rows; another company's id is a 404), money as numbers in "S/ " format,
real dates, SUBTOTAL totals equal to the database to the cent, and formula-looking text kept inert."""
from __future__ import annotations

import datetime as dt
import io
import uuid
import zipfile
from decimal import Decimal

import openpyxl
import pytest
from openpyxl.utils.escape import unescape
from sqlalchemy import func, select

from portfolio import clock, db
from portfolio.orgs.models import Company
from portfolio.trust.models import Contribution, Disbursement, DisbursementInvoice, Payment, Tranche
from portfolio.trust.services import books
from tests.trust.conftest import World, make_company, new_ruc

D = Decimal
MONEY = '"S/ "#,##0.00'
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
INJECTIONS = ['=HYPERLINK("http://ejemplo.invalid","clic")', "+1 Asociación", "-2 Vecinos", "@SUM(A1)",
              "\tTabulada", "\rRetorno"]


def workbook(data: bytes, values: bool = False) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data), data_only=values)


def table(ws) -> tuple[list[str], list[list], list]:
    """(header, data rows, totals row) of a framework table sheet."""
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    head, body = rows[0], rows[1:]
    totals = body.pop() if body and body[-1][0] == "Total" else None
    if len(body) == 1 and body[0][0] == "No hay registros para los filtros elegidos.":
        body = []
    return head, body, totals


def cents(value) -> Decimal:
    return D(repr(value)).quantize(D("0.01"))


def export(client, name, **args):
    query = "&".join(f"{k}={v}" for k, v in args.items())
    return client.post(f"/exportaciones/{name}" + (f"?{query}" if query else ""))


def declare_in(world: World, month: dt.date, payroll: Decimal, pay: Decimal | None = None):
    today = month + dt.timedelta(days=40)
    contribution = world.declare(month=month, payroll=payroll, today=today).value
    if pay:
        payment = world.pay(contribution, pay).value
        world.confirm(payment, today=today)
    return contribution


def test_declarations_export_is_numeric_dated_and_totals_equal_the_database(app, login_as):
    with app.app_context():
        world = World()
        declare_in(world, dt.date(2026, 1, 1), D("1234567.89"), pay=D("1000.00"))
        declare_in(world, dt.date(2026, 2, 1), D("987654.31"))
        ruc, company_id = world.company.ruc, world.company.id
    staff = login_as("staff")
    newest_first = table(workbook(export(staff, "trust_declarations", q=ruc).data)["Declaraciones"])[1]
    assert [r[4] for r in newest_first] == [987654.31, 1234567.89]  # the page's default order
    response = export(staff, "trust_declarations", q=ruc, sort="month", dir="asc")
    assert response.status_code == 200 and response.mimetype == XLSX
    sheet = workbook(response.data)["Declaraciones"]
    head, rows, totals = table(sheet)
    assert head[:8] == ["RUC", "Empresa", "Mes", "Versión", "Planilla declarada", "Aporte debido",
                        "Pagado (confirmado)", "Saldo"]
    assert [r[0] for r in rows] == [ruc, ruc]
    assert isinstance(rows[0][2], dt.datetime) and sheet["C2"].number_format == "dd/mm/yyyy"
    assert sheet["F2"].data_type == "n" and sheet["F2"].number_format == MONEY
    assert rows[0][4] == 1234567.89 and rows[0][5] == 1851.85  # 0.15 % of the declared payroll
    assert sheet["H2"].value == "=F2-G2"  # the balance is a formula over the row
    assert totals[5].startswith("=SUBTOTAL(109,F2:F3)")
    cached = table(workbook(response.data, values=True)["Declaraciones"])[2]
    with app.app_context():
        due, paid = db.session.execute(select(func.sum(Contribution.amount_due), func.sum(Contribution.amount_paid))
                                       .where(Contribution.company_id == company_id)).one()
    assert cents(cached[5]) == due and cents(cached[6]) == paid and cents(cached[7]) == due - paid


def test_company_exports_hold_only_its_own_rows(app, login_as):
    company = login_as("company")
    own_id = company.user["company_id"]
    with app.app_context():
        own = db.session.get(Company, own_id)
        from portfolio.auth.models import User

        mine = World()
        mine.company = own
        mine.company_user = db.session.scalar(select(User).where(User.email == company.user["email"]))
        declare_in(mine, dt.date(2026, 3, 1), D("500000.00"), pay=D("750.00"))
        other = World()
        declare_in(other, dt.date(2026, 3, 1), D("800000.00"), pay=D("1200.00"))
        own_ruc, other_id = own.ruc, other.company.id
    for name, sheet_name in (("trust_my_declarations", "Declaraciones"), ("trust_my_payments", "Pagos")):
        response = export(company, name)
        rows = table(workbook(response.data)[sheet_name])[1]
        assert rows and {r[0] for r in rows} == {own_ruc}, name
    assert export(company, "trust_declarations").status_code == 403
    assert export(company, "trust_payments").status_code == 403
    assert export(company, "trust_disbursements").status_code == 403
    assert export(company, "trust_company_statement", empresa=other_id).status_code == 403
    assert export(company, "trust_my_statement", empresa=other_id).status_code == 404
    assert export(company, "trust_my_statement", empresa="abc").status_code == 404
    assert export(company, "trust_my_statement", empresa=own_id).status_code == 200


def test_company_statement_export_ties_to_the_ledger(app, login_as):
    company = login_as("company")
    page = company.post("/fideicomiso/empresa/declarar", {
        "month": (clock.today().replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m"),
        "payroll": "1,234,567.89", "headcount": "10", "idem": uuid.uuid4().hex}, follow_redirects=True)
    assert page.status_code == 200
    response = export(company, "trust_my_statement", desde="2000-01-01")
    assert response.status_code == 200
    book = workbook(response.data)
    sheet = book["Estado de cuenta"]
    head, rows, totals = table(sheet)
    assert head == ["Fecha", "Concepto", "Cargo", "Abono", "Saldo"]
    assert rows[0][1] == "Saldo inicial" and rows[0][4] == 0
    assert rows[1][2] == 1851.85 and sheet["C3"].number_format == MONEY and isinstance(rows[1][0], dt.datetime)
    assert rows[-1][4] == 1851.85
    assert totals[2] == "=SUBTOTAL(109,C2:C3)"
    notes = {r[0].value: r[1].value for r in book["Notas"].iter_rows() if r[0].value}
    assert notes["Saldo final"] == 1851.85 and notes["Cuadra con el libro"] == "Sí"
    auditor = login_as("auditor")
    assert export(auditor, "trust_company_statement", empresa=company.user["company_id"],
                  desde="2000-01-01").status_code == 200
    assert export(auditor, "trust_company_statement", empresa=999999999).status_code == 404
    assert export(auditor, "trust_company_statement").status_code == 404
    bad = export(auditor, "trust_company_statement", empresa=company.user["company_id"], desde="2026-02-30")
    assert bad.status_code == 302  # back to the page with a Spanish message, nothing built


def test_old_hand_written_routes_are_gone(app, login_as):
    auditor = login_as("auditor")
    for url in ("/fideicomiso/aportes.xlsx", "/fideicomiso/desembolsos.xlsx", "/fideicomiso/empresa/estado-de-cuenta.xlsx"):
        assert auditor.get(url).status_code == 404, url


def _disbursement_world(app, org_name: str = "Asociación Vecinal", serie: str | None = None):
    with app.app_context():
        world = World()
        world.org.name = org_name
        declare_in(world, dt.date(2026, 4, 1), D("100000000.00"), pay=D("150000.00"))
        d = world.request(D("12345.67")).value
        world.approve(d)
        world.execute(d, D("10000.01"))
        if serie is not None:  # the service refuses such a serie; an import or old data might not have
            db.session.add(DisbursementInvoice(disbursement_id=d.id, ruc=new_ruc(), serie=serie, numero="77"))
        db.session.commit()
        return d.id


def test_disbursements_export_has_votes_and_payments_to_the_cent(app, login_as):
    disbursement_id = _disbursement_world(app)
    response = export(login_as("board"), "trust_disbursements", estado="en_ejecucion")
    book = workbook(response.data)
    assert book.sheetnames == ["Desembolsos", "Votos", "Pagos de desembolsos", "Notas"]
    head, rows, _ = table(book["Desembolsos"])
    row = next(r for r in rows if r[0] == disbursement_id)
    assert row[head.index("Monto")] == 12345.67 and row[head.index("Pagado")] == 10000.01
    assert row[head.index("Votos a favor")] == 2 and row[head.index("Votos en contra")] == 0
    with app.app_context():
        statuses = set(db.session.scalars(select(Disbursement.status).where(Disbursement.id.in_([r[0] for r in rows]))))
        tranche_total = db.session.scalar(select(func.sum(Tranche.amount)).join(Disbursement)
                                          .where(Disbursement.status == "en_ejecucion"))
    assert statuses == {"en_ejecucion"}
    votes = table(book["Votos"])[1]
    assert [v[3] for v in votes if v[0] == disbursement_id] == ["A favor", "A favor"]
    cached = table(workbook(response.data, values=True)["Pagos de desembolsos"])[2]
    assert cents(cached[4]) == tranche_total


@pytest.mark.parametrize("name", INJECTIONS)
def test_formula_looking_names_and_invoices_stay_text(app, login_as, name):
    serie = name[:4]
    disbursement_id = _disbursement_world(app, org_name=name, serie=serie)
    data = export(login_as("staff"), "trust_disbursements").data
    book = workbook(data)
    head, rows, _ = table(book["Desembolsos"])
    col = head.index("Beneficiario") + 1
    index = next(i for i, r in enumerate(rows) if r[0] == disbursement_id)
    cell = book["Desembolsos"].cell(row=index + 2, column=col)
    assert cell.data_type == "s" and unescape(cell.value) == name  # openpyxl leaves \r as _x000D_
    invoices = book["Desembolsos"].cell(row=index + 2, column=head.index("Comprobantes") + 1)
    assert invoices.data_type == "s" and f"{serie}-77" in unescape(invoices.value)
    assert_only_our_formulas(data)


def assert_only_our_formulas(data: bytes) -> None:
    """Every formula in the file is a SUBTOTAL total or same-row arithmetic over cells (=F2-G2, =C4+D4-F4)."""
    import re

    archive = zipfile.ZipFile(io.BytesIO(data))
    for item in archive.namelist():
        if item.startswith("xl/worksheets/sheet"):
            for formula in re.findall(rb"<f>([^<]*)</f>", archive.read(item)):
                assert re.fullmatch(rb"SUBTOTAL\(109,[A-Z]+\d+:[A-Z]+\d+\)|[A-Z]+\d+([-+][A-Z]+\d+)+", formula), formula


def test_payments_export_for_staff_follows_the_search(app, login_as):
    with app.app_context():
        world = World()
        declare_in(world, dt.date(2026, 2, 1), D("2000000.00"), pay=D("3000.00"))
        other = World()
        declare_in(other, dt.date(2026, 2, 1), D("1000000.00"), pay=D("1500.00"))
        ruc, company_id = world.company.ruc, world.company.id
    response = export(login_as("trustee"), "trust_payments", q=ruc)
    sheet = workbook(response.data)["Pagos"]
    head, rows, totals = table(sheet)
    assert {r[0] for r in rows} == {ruc} and rows[0][head.index("Monto")] == 3000.00
    assert rows[0][head.index("Estado")] == "Confirmado"
    with app.app_context():
        expected = db.session.scalar(select(func.sum(Payment.amount)).where(Payment.company_id == company_id))
    assert cents(table(workbook(response.data, values=True)["Pagos"])[2][head.index("Monto")]) == expected


def test_trust_statement_export_equals_the_service(app, login_as):
    _disbursement_world(app)
    response = export(login_as("auditor"), "trust_statement", desde="2026-01-01", hasta="2026-11-27")
    assert response.status_code == 200
    sheet = workbook(response.data)["Estado del fideicomiso"]
    cells = [[c.value for c in row] for row in sheet.iter_rows()]
    with app.app_context():
        expected = books.trust_statement(dt.date(2026, 1, 1), dt.date(2026, 11, 27))
    lines = {r[0]: r[1] for r in cells if r and r[0]}
    assert cents(lines["Saldo final en banco"]) == expected["closing"]
    for label, value in expected["lines"]:
        assert cents(lines[label]) == value
    bad = export(login_as("auditor"), "trust_statement", hasta="mañana")
    assert bad.status_code == 302


def test_list_pages_show_the_framework_buttons(app, login_as):
    staff = login_as("staff")
    page = staff.get("/fideicomiso/aportes?q=Minera").get_data(as_text=True)
    assert "/exportaciones/trust_declarations?q=Minera" in page and "/exportaciones/trust_payments?q=Minera" in page
    page = staff.get("/fideicomiso/desembolsos?estado=pagado").get_data(as_text=True)
    assert "/exportaciones/trust_disbursements?estado=pagado" in page
    assert "/exportaciones/trust_statement" in staff.get("/fideicomiso/estado-de-cuenta").get_data(as_text=True)
    company = login_as("company")
    home = company.get("/fideicomiso/empresa").get_data(as_text=True)
    assert "/exportaciones/trust_my_declarations" in home and "/exportaciones/trust_my_payments" in home
    statement = company.get("/fideicomiso/empresa/estado-de-cuenta").get_data(as_text=True)
    assert "/exportaciones/trust_my_statement" in statement


def test_company_users_see_no_other_company_in_the_page_either(app, login_as):
    company = login_as("company")
    with app.app_context():
        other = World()
        declare_in(other, dt.date(2026, 3, 1), D("800000.00"))
        other_name = other.company.legal_name
        make_company()
    assert other_name not in company.get("/fideicomiso/empresa").get_data(as_text=True)
