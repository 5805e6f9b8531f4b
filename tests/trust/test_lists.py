"""The lists people sort their work by: contributions newest first, filtered by status and period, with
totals over the filtered set; disbursements with their dates and totals."""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from portfolio import clock, db
from tests.trust.conftest import TODAY, World

D = Decimal


def _months(body: str) -> list[str]:
    tbody = body.split("<tbody>")[1].split("</tbody>")[0]
    return re.findall(r"<td>([a-záéíóúñ]+ \d{4})</td>", tbody)


def _totals(body: str) -> list[str]:
    row = body.split('data-testid="totals"')[1].split("</tr>")[0]
    # amounts as the formatter writes them (a no-break space after «S/»), shown here with a plain space
    return [m.replace("\u00a0", " ") for m in re.findall(r"S/\u00a0[\d,]+\.\d{2}", row)]


def setup_contributions(app):
    with app.app_context():
        world = World()
        world.fund(D("300.00"), month=dt.date(2026, 1, 1))          # pagado
        world.declare(month=dt.date(2026, 2, 1), payroll=D("100000.00"))  # 150.00, vencido (due 15/03/2026)
        late = world.declare(month=dt.date(2026, 3, 1), payroll=D("200000.00")).value  # 300.00
        world.confirm(world.pay(late, D("100.00")).value)           # vencido with 100.00 paid
        db.session.commit()
        return world.company.legal_name


def test_contributions_newest_first_with_status_period_filters_and_totals(app, login_as):
    name = setup_contributions(app)
    staff = login_as("staff")
    body = staff.get(f"/fideicomiso/aportes?q={name}").get_data(as_text=True)
    assert _months(body) == ["marzo 2026", "febrero 2026", "enero 2026"]
    assert _totals(body)[:3] == ["S/ 750.00", "S/ 400.00", "S/ 350.00"]  # declared, paid, owed
    assert "Total de 3 declaraciones filtradas" in body
    overdue = staff.get(f"/fideicomiso/aportes?q={name}&estado=vencido").get_data(as_text=True)
    assert _months(overdue) == ["marzo 2026", "febrero 2026"] and _totals(overdue)[:3] == [
        "S/ 450.00", "S/ 100.00", "S/ 350.00"]
    paid = staff.get(f"/fideicomiso/aportes?q={name}&estado=pagado").get_data(as_text=True)
    assert _months(paid) == ["enero 2026"]
    assert _months(staff.get(f"/fideicomiso/aportes?q={name}&estado=pendiente").get_data(as_text=True)) == []
    period = staff.get(f"/fideicomiso/aportes?q={name}&desde=2026-02&hasta=2026-02").get_data(as_text=True)
    assert _months(period) == ["febrero 2026"] and _totals(period)[0] == "S/ 150.00"
    oldest = staff.get(f"/fideicomiso/aportes?q={name}&sort=month&dir=asc").get_data(as_text=True)
    assert _months(oldest) == ["enero 2026", "febrero 2026", "marzo 2026"]
    bad = staff.get(f"/fideicomiso/aportes?q={name}&desde=2026-05&hasta=2026-01").get_data(as_text=True)
    assert "posterior" in bad and len(_months(bad)) == 3
    assert staff.get("/fideicomiso/aportes?desde=no-es-mes&estado=raro").status_code == 200


def test_contribution_months_are_typed_as_mm_aaaa(app, login_as):
    """The period filter is two text fields in the Peruvian form (never the browser's month widget)."""
    name = setup_contributions(app)
    staff = login_as("staff")
    period = staff.get(f"/fideicomiso/aportes?q={name}&desde=02/2026&hasta=3/2026").get_data(as_text=True)
    assert _months(period) == ["marzo 2026", "febrero 2026"]
    assert 'type="month"' not in period and period.count('placeholder="mm/aaaa"') == 2
    assert 'name="desde" value="02/2026"' in period and 'name="hasta" value="03/2026"' in period
    bad = staff.get(f"/fideicomiso/aportes?q={name}&desde=13/2026").get_data(as_text=True)
    assert "Filtro «desde» ignorado. Mes inválido: use mm/aaaa" in bad and len(_months(bad)) == 3


def test_disbursements_show_dates_and_totals(app, login_as):
    with app.app_context():
        world = World()
        world.fund(D("5000.00"), month=dt.date(2026, 1, 1))
        paid = world.request(D("1000.00")).value
        world.approve(paid)
        world.execute(paid, D("400.00"))
        waiting = world.request(D("250.00")).value
        db.session.commit()
        ids = (paid.id, waiting.id)
    staff = login_as("staff")
    body = staff.get("/fideicomiso/desembolsos").get_data(as_text=True)
    row = body.split(f">{ids[0]}</a>")[1].split("</tr>")[0]
    # requested and paid on the services' day; approved when the quorum was reached (the clock's day)
    assert row.count(f"{TODAY:%d/%m/%Y}") == 2 and f"{clock.today():%d/%m/%Y}" in row
    waiting_row = body.split(f">{ids[1]}</a>")[1].split("</tr>")[0]
    assert waiting_row.count(f"{TODAY:%d/%m/%Y}") == 1 and waiting_row.count("—") == 2
    assert _totals(body)[-2:] == ["S/ 1,250.00", "S/ 400.00"]
    assert "aprobado por pagar S/\u00a0600.00" in body
    only = staff.get("/fideicomiso/desembolsos?estado=solicitado").get_data(as_text=True)
    assert _totals(only)[-2:] == ["S/ 250.00", "S/ 0.00"]
