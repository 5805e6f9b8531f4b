"""'Exportar a Excel' on the list pages: same rows and order as the page, same role scope, inert text,
totals equal to the database to the cent."""
from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from sqlalchemy import select

from portfolio import clock, db
from portfolio.orgs.models import Company, EntityCap
from tests.exports.conftest import INJECTIONS, data_rows, header, read_xlsx

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def export(client, name, query=""):
    return client.post(f"/exportaciones/{name}{query}")


def insert_company_raw(app, legal_name: str) -> None:
    """Tab/CR-prefixed names cannot come through the form (it strips them) but may come from an import."""
    import uuid

    from stdnum.pe import ruc as ruc_number

    base = f"20{uuid.uuid4().int % 10**8:08d}"
    with app.app_context():
        db.session.add(Company(ruc=base + ruc_number.calc_check_digit(base), legal_name=legal_name, sector="otros"))
        db.session.commit()


def test_companies_export_is_a_spanish_workbook_of_what_the_filter_shows(app, login_as, make_company):
    make_company(legal_name="Minera Andina del Norte S.A.C.", sector="mineria")
    make_company(legal_name="Minera Costa S.A.", sector="mineria", ubigeo="150101")
    make_company(legal_name="Agro Virú S.A.", sector="agroindustria")
    client = login_as("staff")
    response = export(client, "companies", "?sector=mineria&region=13")
    assert response.status_code == 200
    assert response.mimetype == XLSX
    assert "attachment" in response.headers["Content-Disposition"]
    assert "empresas_" in response.headers["Content-Disposition"]
    book = read_xlsx(response.data)
    ws = book["Empresas"]
    assert header(ws)[:4] == ["RUC", "Razón social", "Nombre comercial", "Sector"]
    names = [row[1] for row in data_rows(ws)]
    page = client.get("/organizaciones/empresas?sector=mineria&region=13").get_data(as_text=True)
    assert names == ["Minera Andina del Norte S.A.C."]
    assert "Minera Andina del Norte S.A.C." in page and "Minera Costa" not in page
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref
    created = ws.cell(row=2, column=11)
    assert created.is_date and created.number_format == "dd/mm/yyyy hh:mm"
    notes = {row[0].value: row[1].value for row in book["Notas"].iter_rows() if row[0].value}
    assert notes["Filtro: Sector"] == "Minería"
    assert notes["Filtro: Región"] == "La Libertad"
    assert client.user["email"] in notes["Generado por"]


def test_export_follows_the_page_sort_order(app, login_as, make_company):
    for name in ("Beta S.A.", "Alfa S.A.", "Gamma S.A."):
        make_company(legal_name=name, sector="comercio")
    client = login_as("staff")
    ws = read_xlsx(export(client, "companies", "?sector=comercio&sort=name&dir=desc").data)["Empresas"]
    assert [row[1] for row in data_rows(ws)] == ["Gamma S.A.", "Beta S.A.", "Alfa S.A."]


def test_company_names_that_look_like_formulas_are_exported_as_text(app, login_as, make_company):
    for text in INJECTIONS:
        if text[0] in "\t\r":
            insert_company_raw(app, text)
        else:
            make_company(legal_name=text, sector="otros")
    client = login_as("auditor")
    ws = read_xlsx(export(client, "companies", "?sector=otros").data)["Empresas"]
    cells = [ws.cell(row=r, column=2) for r in range(2, ws.max_row + 1)]
    from openpyxl.utils.escape import unescape

    assert sorted(unescape(c.value) for c in cells) == sorted(INJECTIONS)
    assert all(c.data_type == "s" for c in cells)
    formulas = [c.coordinate for row in ws.iter_rows() for c in row if c.data_type == "f"]
    assert formulas == []  # no money columns in this sheet, so no formula at all


def test_entity_names_that_look_like_formulas_are_exported_as_text(app, login_as, make_entity):
    for text in INJECTIONS[:5]:
        make_entity(name=text)
    client = login_as("staff")
    ws = read_xlsx(export(client, "entities", "?tipo=municipalidad").data)["Entidades"]
    cells = {ws.cell(row=r, column=1).value: ws.cell(row=r, column=1) for r in range(2, ws.max_row + 1)}
    for text in INJECTIONS[:5]:
        assert cells[text].data_type == "s"


def test_entities_export_caps_totals_and_variance_equal_the_database(app, login_as, make_entity):
    year = clock.today().year
    make_entity(caps={year: Decimal("1234567.89"), year - 1: Decimal("1000000.01")})
    make_entity(caps={year: Decimal("0.11")})
    make_entity(caps={year - 1: Decimal("250.50")})
    client = login_as("auditor")
    data = export(client, "entities", "?nivel=distrital").data
    ws = read_xlsx(data)["Entidades"]
    cached = openpyxl.load_workbook(io.BytesIO(data), data_only=True)["Entidades"]
    heads = header(ws)
    cap_col, prev_col, change_col = heads.index(f"Tope CIPRL {year}") + 1, heads.index(f"Tope CIPRL {year - 1}") + 1, \
        heads.index(f"Variación {year} vs {year - 1}") + 1
    total_row = ws.max_row
    assert ws.cell(row=total_row, column=1).value == "Total"
    letter = ws.cell(row=1, column=cap_col).column_letter
    assert ws.cell(row=total_row, column=cap_col).value == f"=SUBTOTAL(109,{letter}2:{letter}{total_row - 1})"
    with app.app_context():
        from portfolio.orgs.models import PublicEntity

        def db_sum(y):
            amounts = db.session.scalars(select(EntityCap.amount).join(PublicEntity)
                                         .where(EntityCap.year == y, PublicEntity.level == "distrital")).all()
            return sum(amounts, Decimal("0.00"))
        expected_cap, expected_prev = db_sum(year), db_sum(year - 1)
    assert expected_cap >= Decimal("1234568.00")
    cells = sum(Decimal(repr(cached.cell(row=r, column=cap_col).value or 0)) for r in range(2, total_row))
    assert cells.quantize(Decimal("0.01")) == expected_cap
    # the cached SUBTOTAL results equal the database sums to the cent (LibreOffice's own recalculation is
    # checked in test_libreoffice.py)
    assert Decimal(repr(cached.cell(row=total_row, column=cap_col).value)).quantize(Decimal("0.01")) == expected_cap
    assert Decimal(repr(cached.cell(row=total_row, column=prev_col).value)).quantize(Decimal("0.01")) == expected_prev
    formula = ws.cell(row=2, column=change_col).value
    assert formula.startswith("=") and "-" in formula


def test_users_export_is_for_admin_only(app, login_as, make_user):
    make_user("trustee", email="fiduciario-export@prueba.pe")
    admin = login_as("admin")
    response = export(admin, "users", "?rol=trustee")
    assert response.status_code == 200
    ws = read_xlsx(response.data)["Usuarios"]
    assert header(ws)[:3] == ["Correo", "Nombre", "Rol"]
    emails = [row[0] for row in data_rows(ws)]
    assert "fiduciario-export@prueba.pe" in emails
    assert all(row[2] == "Fiduciario" for row in data_rows(ws))
    for role in ("staff", "auditor", "company"):
        assert export(login_as(role), "users").status_code == 403


def test_audit_export_for_auditor_follows_the_filters(app, login_as, make_company):
    make_company(legal_name="Auditada S.A.")
    client = login_as("auditor")
    response = export(client, "audit", "?accion=company.create")
    assert response.status_code == 200
    ws = read_xlsx(response.data)["Auditoría"]
    assert header(ws)[0] == "Fecha y hora"
    rows = data_rows(ws)
    assert rows and all(row[2] == "Empresa registrada" and row[3] == "company.create" for row in rows)
    assert isinstance(rows[0][0], dt.datetime)


@pytest.mark.parametrize("name", ["companies", "entities", "users", "audit"])
def test_company_users_cannot_export_lists_they_cannot_see(app, login_as, name):
    assert export(login_as("company"), name).status_code == 403


def test_anonymous_is_sent_to_login(app, client):
    response = client.post("/exportaciones/companies")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_unknown_exports_are_404(app, login_as):
    assert export(login_as("staff"), "no-existe").status_code == 404


def test_export_needs_a_post_with_csrf(app, login_as):
    staff = login_as("staff")
    assert staff.get("/exportaciones/companies").status_code == 405
    assert staff.post("/exportaciones/companies", csrf=False).status_code == 400


def test_direct_export_writes_an_audit_row(app, login_as):
    staff = login_as("staff")
    export(staff, "companies")
    from portfolio.audit import AuditEntry

    with app.app_context():
        entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "export.download")
                                   .order_by(AuditEntry.id.desc())).first()
        assert entry is not None and entry.object_id == "companies"
        assert entry.actor_email == staff.user["email"]


@pytest.mark.parametrize("path,name", [("/organizaciones/empresas", "companies"),
                                       ("/organizaciones/entidades", "entities")])
def test_list_pages_show_the_button_with_the_current_filters(app, login_as, path, name):
    page = login_as("staff").get(path + "?q=abc&page=2").get_data(as_text=True)
    assert f'action="/exportaciones/{name}?q=abc"' in page
    assert "Exportar a Excel" in page


def test_admin_pages_show_the_button(app, login_as):
    admin = login_as("admin")
    assert 'action="/exportaciones/users' in admin.get("/admin/usuarios").get_data(as_text=True)
    assert 'action="/exportaciones/audit' in admin.get("/auditoria").get_data(as_text=True)
