"""Role dashboards: figures tie to the database, each role sees its own dashboard, and the number of SQL
statements per dashboard does not grow with the data (10 vs 300 projects)."""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portfolio import clock, db
from portfolio.money import format_money
from portfolio.projects.models import Certificate, Milestone, Project
from tests.dashboards.conftest import kpi
from tests.support import count_statements

ROLES = ["staff", "company", "board", "trustee", "auditor", "admin"]


@pytest.mark.parametrize("role", ROLES)
def test_statement_count_of_each_dashboard_is_flat(app, rendering, login_as, populate, populate_trust, make_company, role):
    client = login_as(role)
    company_id = client.user["company_id"] or make_company()
    populate(10, company_id)
    populate_trust(10, company_id)
    client.get("/")  # warm-up: lazy loads of the user and company happen on every request alike
    with count_statements(app) as small:
        assert client.get("/").status_code == 200
    populate(290, company_id)
    populate_trust(290, company_id)
    with count_statements(app) as large:
        assert client.get("/").status_code == 200
    assert len(large) == len(small), (len(small), len(large))
    assert len(small) < 40


def test_staff_dashboard_figures_tie_to_the_database(app, login_as, populate):
    populate(12)
    client = login_as("staff")
    html = client.get("/").get_data(as_text=True)
    today = clock.today()
    with app.app_context():
        projects = db.session.scalars(select(Project)).all()
        expected_amount = sum((p.current_amount for p in projects if p.stage != "cancelado"), Decimal("0.00"))
        overdue = db.session.scalar(select(func.count()).select_from(Milestone).where(
            Milestone.status == "programado", Milestone.actual_date.is_(None), Milestone.planned_date < today))
        ciprl = db.session.scalar(select(func.count()).select_from(Certificate).where(
            Certificate.status == "emitido", Certificate.cert_type == "CIPRL"))
    assert kpi(html, "proyectos") == str(len(projects))
    assert kpi(html, "monto") == format_money(expected_amount)
    assert kpi(html, "vencidos") == str(overdue) and overdue >= 12
    assert int(kpi(html, "detenidos")) >= 12
    assert format_money(Decimal("100.00") * ciprl) in html
    assert 'id="embudo"' in html and 'id="por-nivel"' in html and 'id="topes"' in html
    assert "Hitos vencidos" in html and "Proyecto tablero" in html


def test_company_dashboard_shows_only_its_projects_and_certificates(app, login_as, populate, make_company):
    client = login_as("company")
    other = make_company()
    mine = populate(3, client.user["company_id"])
    theirs = populate(5, other)
    html = client.get("/").get_data(as_text=True)
    assert kpi(html, "proyectos") == "3"
    assert kpi(html, "emitidos") == "S/\u00a0300.00"
    for project_id in mine:
        assert f'href="/proyectos/{project_id}"' in html
    for project_id in theirs:
        assert f'href="/proyectos/{project_id}"' not in html
    assert 'id="avance"' in html


def test_company_remaining_tax_share_follows_the_rule(app, login_as, populate):
    from portfolio.projects.models import TaxDeclaration

    client = login_as("company")
    populate(2, client.user["company_id"])
    with app.app_context():
        db.session.add(TaxDeclaration(company_id=client.user["company_id"], year=clock.today().year - 1,
                                      amount=Decimal("10000.00")))
        db.session.commit()
    html = client.get("/").get_data(as_text=True)
    # 80 % (Ley 31735) of S/ 10,000.00 = 8,000.00 minus S/ 200.00 applied this year
    assert 'id="saldo-impuesto">S/\u00a07,800.00<' in html


@pytest.mark.parametrize("role", ["auditor", "admin"])
def test_overview_links_to_audit_and_shows_totals(app, login_as, role):
    html = login_as(role).get("/").get_data(as_text=True)
    assert "/auditoria" in html
    with app.app_context():
        assert kpi(html, "proyectos") == str(db.session.scalar(select(func.count()).select_from(Project)))
