"""Statements people can read: the company's estado de cuenta has cargo, abono and saldo per line, opening
and closing rows of their own, a true legend, and the payment date of the declaration; companies read the
trust's statement and programs (aggregates only)."""
from __future__ import annotations

import datetime as dt
import re
import uuid
from decimal import Decimal

from portfolio import db
from portfolio.trust.services import contributions
from tests.support import insert_user
from tests.trust.conftest import TODAY, World, key, run

D = Decimal


def _rows(body: str) -> list[list[str]]:
    table = body.split('data-testid="company-statement"')[1].split("</table>")[0]
    rows = []
    for tr in re.findall(r"<tr[^>]*>(.*?)</tr>", table.split("<tbody>")[1], re.S):
        rows.append([re.sub(r"<[^>]+>", " ", td).split()  for td in re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)])
    return [[" ".join(cell) for cell in row] for row in rows]


def test_company_statement_has_running_balance_and_true_legend(app, login_as):
    from portfolio.auth.models import User

    company = login_as("company")
    paid_on = TODAY - dt.timedelta(days=3)
    with app.app_context():
        user = db.session.get(User, company.user["id"])
        trustee = insert_user("trustee")
        contribution = run(lambda: contributions.declare(
            company_id=user.company_id, month=dt.date(2026, 5, 1), payroll=D("1000000.00"), headcount=10,
            actor=user, key=key(), today=TODAY)).value  # 1,500.00
        payment = run(lambda: contributions.register_payment(
            contribution_id=contribution.id, amount=D("500.00"), paid_on=paid_on, bank="BCP",
            operation_number=uuid.uuid4().hex[:12].upper(), actor=user, key=key(), today=TODAY)).value
        run(lambda: contributions.confirm_payment(payment_id=payment.id, actor=trustee, key=key(), today=TODAY))
        run(lambda: contributions.rectify(contribution_id=contribution.id, payroll=D("800000.00"), headcount=10,
                                          reason="Planilla corregida", actor=user, key=key(),
                                          today=TODAY))  # 1,200.00: an abono of 300.00 that is not a payment
        db.session.commit()
    body = company.get("/fideicomiso/empresa/estado-de-cuenta?desde=2000-01-01").get_data(as_text=True)
    rows = _rows(body)
    assert rows[0][1] == "Saldo inicial" and rows[0][2:4] == ["", ""] and rows[0][4] == "S/ 0.00"
    charge = next(r for r in rows if r[2] == "S/ 1,500.00")
    pay = next(r for r in rows if r[3] == "S/ 500.00")
    down = next(r for r in rows if r[3] == "S/ 300.00")
    assert charge[4] == "S/ 1,500.00" and pay[4] == "S/ 1,000.00" and down[4] == "S/ 700.00"
    assert pay[0] == f"{paid_on:%d/%m/%Y}"  # the date the company paid, as on its declaration
    declaration = company.get(f"/fideicomiso/empresa/declaraciones/{contribution.id}").get_data(as_text=True)
    assert f"{paid_on:%d/%m/%Y}" in declaration
    assert "confirmado por el fiduciario" in pay[1] and "Rectificación a la baja" in down[1]
    assert rows[-1][1].startswith("Saldo final") and rows[-1][2:4] == ["", ""] and rows[-1][4] == "S/ 700.00"
    assert "rectificaciones a la baja" in body  # the legend names every kind of abono


def test_company_reads_the_trust_statement_and_programs_without_other_companies(app, login_as, make_company):
    with app.app_context():
        world = World()
        world.fund(D("4500.00"), month=dt.date(2026, 1, 1))
        other_name = world.company.legal_name
        db.session.commit()
        program_name = world.program.name
    company = login_as("company")
    statement = company.get("/fideicomiso/estado-de-cuenta?desde=2000-01-01")
    assert statement.status_code == 200
    body = statement.get_data(as_text=True)
    assert "Aportes confirmados" in body and "S/\u00a04,500.00" in body and other_name not in body
    programs = company.get("/fideicomiso/programas")
    assert programs.status_code == 200
    page = programs.get_data(as_text=True)
    assert program_name in page and other_name not in page
    assert "Registro de conflictos de interés" not in page and "Nuevo programa" not in page
    home = company.get("/fideicomiso/empresa").get_data(as_text=True)
    assert 'href="/fideicomiso/estado-de-cuenta"' in home and 'href="/fideicomiso/programas"' in home
    assert 'href="/transparencia/fideicomiso"' in home
    # The rest of the trust overview stays closed to companies.
    for url in ("/fideicomiso/", "/fideicomiso/aportes", "/fideicomiso/desembolsos"):
        assert company.get(url).status_code == 403, url
    assert company.post("/fideicomiso/programas/nuevo", {"code": "X", "name": "X"}).status_code == 403
