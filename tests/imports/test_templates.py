"""Downloadable templates: expected columns and formats, a help sheet with an example row, no formulas;
a template filled in Excel style uploads cleanly. And the plan's query count does not grow with the rows."""
from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from sqlalchemy import event

from portfolio import db
from tests.imports.conftest import DECL_HEADERS, batch_id_from, upload


@pytest.mark.parametrize("role, kind, sheet, first_header", [
    ("company", "declaraciones", "Declaraciones", "RUC"), ("trustee", "extracto", "Extracto", "Fecha"),
    ("staff", "proyectos", "Proyectos", "CUI")])
def test_template_has_columns_help_and_example_and_no_formulas(app, login_as, role, kind, sheet, first_header):
    from portfolio.imports.services import get_kind

    client = login_as(role)
    response = client.get(f"/importar/{kind}/plantilla.xlsx")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    book = openpyxl.load_workbook(io.BytesIO(response.data), data_only=False)
    assert book.sheetnames == [sheet, "Ayuda"]
    headers = [c.value for c in book[sheet][1]]
    assert headers == [c.header for c in get_kind(kind).columns] and headers[0] == first_header
    assert book[sheet].max_row == 1  # no example row in the data sheet: nothing to import by mistake
    help_text = [str(c.value) for row in book["Ayuda"].iter_rows() for c in row if c.value is not None]
    assert "Fila de ejemplo (así se ve una fila completa en la hoja de datos):" in help_text
    for name in ("Ayuda", sheet):
        for row in book[name].iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"formula in {name}!{cell.coordinate}"


def test_declarations_template_formats_and_example_use_the_companys_ruc(app, company_client):
    book = openpyxl.load_workbook(io.BytesIO(company_client.get("/importar/declaraciones/plantilla.xlsx").data))
    data = book["Declaraciones"]
    assert data.column_dimensions["A"].number_format == "@" or data["A2"].number_format == "@"
    rows = [[c.value for c in row] for row in book["Ayuda"].iter_rows()]
    example = rows[-1]
    assert example[:4] == [company_client.ruc, "03/2026", "1,250,000.00", "120"]


def test_filled_template_uploads_and_applies(app, company_client):
    book = openpyxl.load_workbook(io.BytesIO(company_client.get("/importar/declaraciones/plantilla.xlsx").data))
    ws = book["Declaraciones"]
    ws.append([company_client.ruc, "01/2026", 2500000.75, 80])
    ws.append([company_client.ruc, dt.datetime(2026, 2, 1), "S/ 2,600,000.00", 81])
    buffer = io.BytesIO()
    book.save(buffer)
    batch_id = batch_id_from(upload(company_client, "declaraciones", buffer.getvalue(), "mi-planilla.xlsx"))
    assert company_client.post(f"/importar/lotes/{batch_id}/confirmar").status_code == 302
    page = company_client.get(f"/importar/lotes/{batch_id}").get_data(as_text=True)
    assert "aporte S/\u00a03,750.00" in page and "aporte S/\u00a03,900.00" in page  # 0.15 % of 2,500,000.75 rounds half up


def _statements(app, action) -> int:
    engine = app.extensions["portfolio_db"]["engine"]
    seen = []

    def count(*_args):
        seen.append(1)

    event.listen(engine, "before_cursor_execute", count)
    try:
        action()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(seen)


def test_planning_runs_a_fixed_number_of_queries_whatever_the_rows(app, ctx, make_company, make_user):
    """24 rows or 240 rows (10 companies × the same 24 months, one already declared): the same statements."""
    from portfolio import rules
    from portfolio.auth.models import User
    from portfolio.imports.services import get_kind
    from portfolio.orgs.models import Company
    from portfolio.trust.services import contributions

    companies = [db.session.get(Company, make_company()) for _ in range(10)]
    owner = make_user("company", company_id=companies[0].id)
    contributions.declare(company_id=companies[0].id, month=dt.date(2024, 1, 1), payroll=Decimal("10.00"),
                          headcount=1, actor=db.session.get(User, owner["id"]), key="plan-queries")
    planner = db.session.get(User, make_user("staff")["id"])  # not a company user: any RUC may be planned
    kind = get_kind("declaraciones")

    def rows(n):
        return [{"_row": i + 2, "_ok": True, "ruc": companies[i // 24].ruc,
                 "month": dt.date(2024 + (i % 24) // 12, i % 12 + 1, 1).isoformat(), "payroll": "1000.00",
                 "headcount": 5} for i in range(n)]

    def plan_fresh(n):  # each plan as in its own request: nothing remembered from the previous one
        db.session.info.pop(rules._MEMO, None)
        return kind.plan(rows(n), planner)

    small = _statements(app, lambda: plan_fresh(24))
    large = _statements(app, lambda: plan_fresh(240))
    plan = kind.plan(rows(240), planner)
    assert not plan.errors and plan.counts()["cambiar"] == 1 and plan.counts()["crear"] == 239
    assert large == small <= 24 + 6  # the rate in force is read once per distinct month, never per row


def test_declarations_headers_match_the_import(app):
    from portfolio.imports.services import get_kind

    assert [c.header for c in get_kind("declaraciones").columns] == DECL_HEADERS
