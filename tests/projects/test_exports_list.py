"""The project list's "Exportar a Excel", now an export of the framework (POST /exportaciones/projects): the
page's own query with its filters, sort and company scope; money numeric with the S/ format; SUBTOTAL
totals equal to the database to the cent; names that look like formulas stay text."""
from __future__ import annotations

import io
import re
import zipfile
from decimal import Decimal

import openpyxl
from openpyxl.utils.escape import unescape
from sqlalchemy import select

from portfolio import db
from portfolio.projects import stages
from portfolio.projects.models import Project
from tests.exports.conftest import data_rows, header, read_xlsx

MONEY = '"S/ "#,##0.00'
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def export(client, query=""):
    return client.post(f"/exportaciones/projects{query}")


def money(value) -> Decimal:
    return Decimal(repr(value)).quantize(Decimal("0.01"))


def test_the_old_hand_written_route_is_gone(login_as):
    assert login_as("staff").get("/proyectos/exportar.xlsx").status_code == 404


def test_list_page_offers_the_framework_button(login_as):
    html = login_as("staff").get("/proyectos/?etapa=priorizado").get_data(as_text=True)
    assert 'action="/exportaciones/projects?etapa=priorizado"' in html
    assert "Exportar a Excel" in html


def test_a_company_export_holds_only_its_own_projects(login_as, make_project):
    mine = make_project("en_ejecucion", name="Proyecto exportado", reference_amount="1,234,567.89")
    theirs = make_project("adjudicado", name="Proyecto de otra empresa")
    client = login_as("company", company_id=mine["companies"][0])
    response = export(client)
    assert response.status_code == 200 and response.mimetype == XLSX
    ws = read_xlsx(response.data)["Proyectos OxI"]
    rows = data_rows(ws)
    assert [r[1] for r in rows] == ["Proyecto exportado"]
    columns = header(ws)
    assert money(rows[0][columns.index("Monto referencial")]) == Decimal("1234567.89")
    assert money(rows[0][columns.index("Convenio vigente")]) == Decimal("1000000.00")
    cell = ws.cell(row=2, column=columns.index("Monto referencial") + 1)
    assert cell.data_type == "n" and cell.number_format == MONEY
    # asking for the other company's projects by id yields nothing of theirs: the scope comes from the user
    other = read_xlsx(export(client, f"?empresa={theirs['companies'][0]}").data)["Proyectos OxI"]
    assert other["A2"].value == "No hay registros para los filtros elegidos." and other.max_row == 2


def test_export_holds_only_the_filtered_rows_in_the_page_order(app, login_as, make_project):
    for name in ("Beta comisaría", "Alfa comisaría", "Gamma comisaría"):
        make_project("en_ejecucion", name=name)
    make_project("priorizado", name="Delta comisaría")
    client = login_as("staff")
    query = "?q=comisar%C3%ADa&etapa=en_ejecucion&sort=name&dir=desc"
    rows = data_rows(read_xlsx(export(client, query).data)["Proyectos OxI"])
    assert [r[1] for r in rows] == ["Gamma comisaría", "Beta comisaría", "Alfa comisaría"]
    page = client.get(f"/proyectos/{query}").get_data(as_text=True)
    assert page.index("Gamma comisaría") < page.index("Beta comisaría") < page.index("Alfa comisaría")
    assert "Delta comisaría" not in page
    notes = {r[0].value: r[1].value for r in read_xlsx(export(client, query).data)["Notas"].iter_rows() if r[0].value}
    assert notes["Filtro: Etapa"] == stages.label("en_ejecucion")
    assert notes["Filtro: Búsqueda"] == "comisaría"


def test_subtotal_totals_equal_the_database_to_the_cent(app, login_as, make_project):
    amounts = ["1,000,000.01", "2,345,678.99", "0.05", "987,654,321.33"]
    for amount in amounts:
        make_project("priorizado", reference_amount=amount, awarded_amount=None)
    client = login_as("auditor")
    book = read_xlsx(export(client, "?etapa=priorizado").data)
    ws = book["Proyectos OxI"]
    columns = header(ws)
    ref = columns.index("Monto referencial")
    rows = data_rows(ws)
    with app.app_context():
        expected = sum(db.session.scalars(select(Project.reference_amount).where(Project.stage == "priorizado")),
                       Decimal("0.00"))
        count = len(db.session.scalars(select(Project.id).where(Project.stage == "priorizado")).all())
    assert len(rows) == count
    assert sum((money(r[ref]) for r in rows), Decimal("0.00")) == expected
    total_row = ws.max_row
    letter = ws.cell(row=1, column=ref + 1).column_letter
    assert ws.cell(row=total_row, column=1).value == "Total"
    assert ws.cell(row=total_row, column=ref + 1).value == f"=SUBTOTAL(109,{letter}2:{letter}{total_row - 1})"
    # the cached result (what a viewer that does not recalculate shows) is the same exact sum
    values = openpyxl.load_workbook(io.BytesIO(export(client, "?etapa=priorizado").data), data_only=True)
    assert money(values["Proyectos OxI"].cell(row=total_row, column=ref + 1).value) == expected
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref


def test_project_names_that_look_like_formulas_stay_text(app, login_as, make_project, make_company):
    names = ['=HYPERLINK("x")', "+1", "@SUM(A1)", "-2"]
    for name in names:
        make_project("priorizado", name=name)
    company = make_company(legal_name='=HYPERLINK("http://ejemplo.invalid","clic")')
    make_project("adjudicado", name="Con consorcio", companies=[company])
    client = login_as("staff")
    data = export(client, "?demo=no").data
    ws = read_xlsx(data)["Proyectos OxI"]
    cells = {ws.cell(row=r, column=2).value: ws.cell(row=r, column=2) for r in range(2, ws.max_row + 1)}
    for name in names:
        cell = cells[name]
        assert cell.data_type == "s" and unescape(cell.value) == name
        assert cell.quotePrefix
    members = [ws.cell(row=r, column=9) for r in range(2, ws.max_row + 1) if ws.cell(row=r, column=2).value ==
               "Con consorcio"][0]
    assert members.data_type == "s" and members.value.startswith("=HYPERLINK")
    xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()
    assert re.findall(r"<f>([^<(]*)", xml) and set(re.findall(r"<f>([^<(]*)", xml)) == {"SUBTOTAL"}


def test_a_background_job_keeps_the_company_scope(app, login_as, make_project, monkeypatch, tmp_path):
    """Large lists run as jobs, where the scope comes from the stored viewer, not from a request."""
    monkeypatch.setitem(app.config, "EXPORT_QUEUE", "inline")
    monkeypatch.setitem(app.config, "EXPORT_DIR", str(tmp_path / "exports"))
    monkeypatch.setitem(app.config, "EXPORT_SYNC_MAX_ROWS", "0")  # every export in the background
    mine = make_project("en_ejecucion", name="Proyecto del trabajo en segundo plano")
    make_project("en_ejecucion", name="Proyecto ajeno en segundo plano")
    client = login_as("company", company_id=mine["companies"][0])
    response = export(client, "?q=segundo+plano")
    assert response.status_code == 302 and "/exportaciones/trabajos/" in response.headers["Location"]
    token = response.headers["Location"].rsplit("/", 1)[1]
    ws = read_xlsx(client.get(f"/exportaciones/trabajos/{token}/descargar").data)["Proyectos OxI"]
    assert [r[1] for r in data_rows(ws)] == ["Proyecto del trabajo en segundo plano"]
