"""The trust's section of the MEF workbook: Resumen blocks and chart, *Aportes*, *Desembolsos*, *Libro diario*,
read back with openpyxl (and recalculated by LibreOffice) and checked against the database to the cent;
the cut-off and the quarter exclude what they must; the build's statement count does not grow with the ledger."""
from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from decimal import Decimal

import pytest
from openpyxl.utils.escape import unescape
from sqlalchemy import event, func, select

from portfolio import db
from portfolio.db import utcnow
from portfolio.exports.registry import ExportRequest, Viewer, get_export
from portfolio.exports.xlsx import build_workbook
from portfolio.orgs.models import Company
from portfolio.trust import ledger
from portfolio.trust.ledger import Entry, Posting
from portfolio.trust.models import (
    Contribution,
    ContributionVersion,
    Disbursement,
    DisbursementInvoice,
    Tranche,
)
from portfolio.trust.services.common import BANK_AVAILABLE, BANK_RESERVED
from tests.trust.conftest import World, new_ruc
from tests.trust.test_exports import assert_only_our_formulas, cents, declare_in, table, workbook

D = Decimal
CORTE = "2026-09-30"


@pytest.fixture
def inline(app, monkeypatch, tmp_path):
    monkeypatch.setitem(app.config, "EXPORT_QUEUE", "inline")
    monkeypatch.setitem(app.config, "EXPORT_DIR", str(tmp_path / "exports"))


def build_ledger(months: int = 5, companies: int = 1, requests: int = 1, org_name: str = "Asociación Vecinal",
                 company_name: str | None = None, serie: str | None = None, board: bool = True) -> list[World]:
    """Declarations for Jan..``months`` 2026 (each declared and paid 40 days after its month begins, so the
    ledger has entries on many dates), and ``requests`` disbursements approved and partly executed in June."""
    worlds = []
    for i in range(companies):
        world = World(boards=3 if i == 0 and board else 0)  # one Committee: its quorum counts every active member
        if company_name and i == 0:
            world.company.legal_name = company_name
        world.org.name = org_name
        for m in range(1, months + 1):
            declare_in(world, dt.date(2026, m, 1), D("1000000.00") + D(f"{m * 1013}.{m * 7 % 100:02d}"),
                       pay=D("1000.00") + m)
        for r in range(requests if i == 0 else 0):
            d = world.request(D("321.09") + r).value
            world.approve(d)
            world.execute(d, D("100.01"))
            if serie is not None and r == 0:
                db.session.add(DisbursementInvoice(disbursement_id=d.id, ruc=new_ruc(), serie=serie, numero="9"))
        worlds.append(world)
    db.session.commit()
    return worlds


def mef(client, **form) -> bytes:
    response = client.post("/exportaciones/libro-mef", {"corte": CORTE, **form})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    token = response.headers["Location"].rsplit("/", 1)[1]
    data = client.get(f"/exportaciones/trabajos/{token}/descargar").data
    assert data[:2] == b"PK"
    return data


def period_postings(start: dt.date | None, end: dt.date):
    criteria = [Entry.effective_date <= end] + ([Entry.effective_date >= start] if start else [])
    return db.session.execute(select(func.count(Posting.id), ledger.money_sum(Posting.debit),
                                     ledger.money_sum(Posting.credit))
                              .join(Entry, Entry.id == Posting.entry_id).where(*criteria)).one()


def check_journal(app, data: bytes, start: dt.date | None, end: dt.date) -> int:
    sheet = workbook(data)["Libro diario"]
    head, rows, totals = table(sheet)
    assert head == ["Fecha", "Asiento", "Cuenta", "Nombre de la cuenta", "Descripción", "Debe", "Haber"]
    assert all((start is None or r[0].date() >= start) and r[0].date() <= end for r in rows)
    assert totals[5] == f"=SUBTOTAL(109,F2:F{len(rows) + 1})" and totals[6] == f"=SUBTOTAL(109,G2:G{len(rows) + 1})"
    cached = table(workbook(data, values=True)["Libro diario"])[2]
    with app.app_context():
        count, debit, credit = period_postings(start, end)
    assert len(rows) == count
    assert cents(cached[5]) == debit == credit == cents(cached[6])
    return count


def test_mef_has_the_trust_sheets_and_the_journal_equals_the_ledger(app, login_as, inline):
    with app.app_context():
        build_ledger()
    data = mef(login_as("staff"))
    book = workbook(data)
    assert book.sheetnames[0] == "Resumen" and book.sheetnames[-1] == "Notas"
    for name in ("Aportes", "Desembolsos", "Votos", "Pagos de desembolsos", "Libro diario"):
        assert name in book.sheetnames
    assert check_journal(app, data, None, dt.date(2026, 9, 30)) > 0
    sheet = book["Libro diario"]
    assert sheet["A2"].number_format == "dd/mm/yyyy" and sheet["F2"].number_format == '"S/ "#,##0.00'
    assert sheet.freeze_panes == "A2"


def test_aportes_and_desembolsos_equal_the_database_to_the_cent(app, login_as, inline):
    with app.app_context():
        build_ledger(companies=2, requests=2)
    data = mef(login_as("auditor"))
    head, rows, _ = table(workbook(data)["Aportes"])
    cached = table(workbook(data, values=True)["Aportes"])[2]
    end = dt.date(2026, 9, 30)
    with app.app_context():
        due, paid, count = db.session.execute(select(ledger.money_sum(Contribution.amount_due),
                                                     ledger.money_sum(Contribution.amount_paid), func.count())
                                              .where(Contribution.month <= end)).one()
        payroll = db.session.scalar(select(ledger.money_sum(ContributionVersion.payroll)).join(Contribution)
                                    .where(ContributionVersion.version == Contribution.current_version,
                                           Contribution.month <= end))
    assert len(rows) == count
    assert cents(cached[head.index("Planilla declarada")]) == payroll
    assert cents(cached[head.index("Aporte debido")]) == due
    assert cents(cached[head.index("Pagado (confirmado)")]) == paid
    assert cents(cached[head.index("Saldo")]) == due - paid
    assert rows[0][head.index("Saldo")].startswith("=")  # the balance is a formula
    head, rows, _ = table(workbook(data)["Desembolsos"])
    cached = table(workbook(data, values=True)["Desembolsos"])[2]
    with app.app_context():
        amount, paid_out, n = db.session.execute(select(ledger.money_sum(Disbursement.amount),
                                                        ledger.money_sum(Disbursement.paid_amount), func.count())
                                                 .where(Disbursement.requested_on <= end)).one()
        tranches = db.session.scalar(select(ledger.money_sum(Tranche.amount)))
    assert len(rows) == n == 2
    assert cents(cached[head.index("Monto")]) == amount and cents(cached[head.index("Pagado")]) == paid_out
    assert cents(table(workbook(data, values=True)["Pagos de desembolsos"])[2][4]) == tranches
    assert {r[head.index("Votos a favor")] for r in rows} == {2}


def test_cutoff_and_quarter_exclude_what_they_must(app, login_as, inline):
    with app.app_context():
        build_ledger(months=5)
    client = login_as("staff")
    data = mef(client, corte="2026-04-15")  # declarations of Mar (paid 10/04) are in; Apr's (11/05) are not
    n_cut = check_journal(app, data, None, dt.date(2026, 4, 15))
    months = [r[2].date() for r in table(workbook(data)["Aportes"])[1]]
    assert months and max(months) <= dt.date(2026, 4, 1)
    assert table(workbook(data)["Desembolsos"])[1] == []  # requested on 20/06, after the cut-off

    q2 = mef(client, anio="2026", trimestre="2")
    n_q2 = check_journal(app, q2, dt.date(2026, 4, 1), dt.date(2026, 6, 30))
    months = {r[2].date() for r in table(workbook(q2)["Aportes"])[1]}
    assert months == {dt.date(2026, 4, 1), dt.date(2026, 5, 1)}
    assert len(table(workbook(q2)["Desembolsos"])[1]) == 1
    q1 = mef(client, anio="2026", trimestre="1")
    assert table(workbook(q1)["Desembolsos"])[1] == []
    n_q1 = check_journal(app, q1, dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    full = check_journal(app, mef(client), None, dt.date(2026, 9, 30))
    assert 0 < n_q1 < n_cut < full and 0 < n_q2 < full


def test_resumen_blocks_chart_and_funds_at_the_cutoff(app, login_as, inline):
    with app.app_context():
        build_ledger(months=3)
    data = mef(login_as("board"), corte="2026-06-30", nivel="distrital")
    cells = [[c.value for c in row] for row in workbook(data, values=True)["Resumen"].iter_rows()]
    flat = [v for row in cells for v in row if v is not None]
    assert "Aportes y desembolsos por mes" in flat
    assert "Fondos del fideicomiso al 30/06/2026" in flat and "Morosidad por antigüedad al 30/06/2026" in flat
    monthly = {row[0]: row for row in cells if row and isinstance(row[0], str) and re.fullmatch(r"\d\d/2026", row[0])}
    with app.app_context():
        bank = list(db.session.scalars(select(ledger.Account.id).where(
            ledger.Account.code.in_((BANK_AVAILABLE, BANK_RESERVED)))))
        paid = db.session.scalar(select(ledger.money_sum(Posting.debit - Posting.credit)).join(Entry)
                                 .where(Posting.account_id.in_(bank), Entry.kind == "pago"))
        available = ledger.balance_on(db.session, [db.session.scalar(select(ledger.Account.id).where(
            ledger.Account.code == BANK_AVAILABLE))], dt.date(2026, 6, 30))
        executed = db.session.scalar(select(ledger.money_sum(Tranche.amount)))
    assert sum((cents(r[1]) for r in monthly.values()), D("0")) == paid
    assert cents(monthly["06/2026"][2]) == executed
    funds = {row[0]: row[1] for row in cells if row and row[0] in ("Saldo en banco", "Disponible")}
    assert cents(funds["Disponible"]) == available
    archive = zipfile.ZipFile(io.BytesIO(data))
    charts = [archive.read(n) for n in archive.namelist() if n.startswith("xl/charts/chart")]
    assert any(b"<c:lineChart>" in c and b"Aportes vs desembolsos" in c for c in charts)
    notes = {r[0].value: r[1].value for r in workbook(data)["Notas"].iter_rows() if r[0].value}
    assert "no se aplican a las hojas del fideicomiso" in notes["Fideicomiso: filtros"]
    assert "Libro diario" in workbook(data).sheetnames  # the level filter does not drop the trust sheets


@pytest.mark.parametrize("text", ['=HYPERLINK("http://ejemplo.invalid","x")', "@SUM(A1)", "-1+1", "\r=1+1"])
def test_formula_injection_in_organization_company_and_invoice(app, login_as, inline, text):
    with app.app_context():
        build_ledger(months=1, org_name=text, company_name=text, serie=text[:4])
    data = mef(login_as("staff"))
    book = workbook(data)
    found = 0
    for name in ("Aportes", "Desembolsos", "Votos", "Pagos de desembolsos"):
        for row in book[name].iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and text[:4] in unescape(cell.value):
                    assert cell.data_type == "s"
                    found += 1
    assert found >= 4  # company in Aportes, organisation in three sheets, the invoice
    assert_only_our_formulas(data)


def test_mef_statement_count_is_flat_between_small_and_larger_ledgers(app, isolated, inline):
    def statements() -> int:
        with app.app_context():
            viewer = Viewer(user_id=0, email="auditor@prueba.pe", name="Auditor", role="auditor")
            spec = get_export("mef")
            req = ExportRequest(spec=spec, viewer=viewer, params={"corte": CORTE}, generated_at=utcnow())
            engine = db.session.get_bind()
            seen = []

            def count(*_args):
                seen.append(1)

            event.listen(engine, "before_cursor_execute", count)
            try:
                build_workbook(spec.build(req))
            finally:
                event.remove(engine, "before_cursor_execute", count)
            return len(seen)

    with app.app_context():
        first = build_ledger(months=2, companies=1, requests=1)[0]
        first_id = first.company.id
        small_postings = db.session.scalar(select(func.count(Posting.id)))
    small = statements()
    with app.app_context():
        build_ledger(months=6, companies=3, requests=0, board=False)
        first = World(boards=0)  # the first Committee still votes: its members are the only active ones
        from portfolio.auth.models import User

        first.board = list(db.session.scalars(select(User).where(User.role == "board", User.active.is_(True))))
        for r in range(4):
            d = first.request(D("50.00") + r).value
            first.approve(d)
            first.execute(d, D("10.00"))
        db.session.commit()
        assert db.session.scalar(select(func.count(Company.id))) >= 4 and first_id
        assert db.session.scalar(select(func.count(Posting.id))) > 4 * small_postings
    assert statements() == small


def test_libreoffice_recalculates_the_journal_and_aportes_totals_to_the_database(app, login_as, inline, tmp_path):
    from tests.exports.test_libreoffice import amount, recalculated, without_cached_results

    with app.app_context():
        build_ledger(months=4, companies=2)
    data = mef(login_as("auditor"), anio="2026")
    sheets = recalculated(without_cached_results(data), tmp_path)  # cached results zeroed first
    journal = sheets["Libro diario"]
    assert journal[0][5:7] == ["Debe", "Haber"] and journal[-1][0] == "Total"
    with app.app_context():
        count, debit, credit = period_postings(dt.date(2026, 1, 1), dt.date(2026, 9, 30))
        due, paid = db.session.execute(select(ledger.money_sum(Contribution.amount_due),
                                              ledger.money_sum(Contribution.amount_paid))
                                       .where(Contribution.month >= dt.date(2026, 1, 1))).one()
    assert len(journal) - 2 == count
    assert amount(journal[-1][5]) == debit == credit == amount(journal[-1][6])
    aportes = sheets["Aportes"]
    heads, total = aportes[0], aportes[-1]
    due_col, paid_col, balance_col = heads.index("Aporte debido"), heads.index("Pagado (confirmado)"), heads.index("Saldo")
    assert amount(total[due_col]) == due and amount(total[paid_col]) == paid
    assert amount(total[balance_col]) == due - paid
    for row in aportes[1:-1]:
        assert amount(row[balance_col]) == amount(row[due_col]) - amount(row[paid_col])


def test_mef_build_writes_nothing_and_funds_equal_the_ledger_at_the_cutoff(app, isolated, inline):
    with app.app_context():
        before = (db.session.scalar(select(func.count(ledger.Account.id))),
                  db.session.scalar(select(func.count(Posting.id))))
        viewer = Viewer(user_id=0, email="auditor@prueba.pe", name="Auditor", role="auditor")
        spec = get_export("mef")
        req = ExportRequest(spec=spec, viewer=viewer, params={"corte": CORTE}, generated_at=utcnow())
        book = workbook(build_workbook(spec.build(req)), values=True)
        assert not db.session.new and not db.session.dirty  # an export changes nothing
        assert (db.session.scalar(select(func.count(ledger.Account.id))),
                db.session.scalar(select(func.count(Posting.id)))) == before
        bank = {code: db.session.scalar(select(ledger.Account.id).where(ledger.Account.code == code))
                for code in (BANK_AVAILABLE, BANK_RESERVED)}
        expected = {code: ledger.balance_on(db.session, [i], dt.date(2026, 9, 30)) if i else D("0")
                    for code, i in bank.items()}
    cells = [[c.value for c in row] for row in book["Resumen"].iter_rows()]
    funds = {row[0]: cents(row[1]) for row in cells if row and row[0] in ("Saldo en banco", "Disponible")}
    assert funds == {"Saldo en banco": expected[BANK_AVAILABLE] + expected[BANK_RESERVED],
                     "Disponible": expected[BANK_AVAILABLE]}
