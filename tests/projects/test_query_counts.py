"""Performance by design: list and detail pages issue the same number of SQL statements whatever the data size."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select

from portfolio import db
from portfolio.orgs.models import PublicEntity
from portfolio.projects.models import (
    BudgetLine,
    BudgetRevision,
    Certificate,
    CertificateHolding,
    Milestone,
    Project,
    ProjectLocation,
    ProjectMember,
    StageTransition,
    Variation,
)
from tests.support import count_statements

STAGES = ("priorizado", "adjudicado", "convenio_suscrito", "en_ejecucion")


def _bulk_projects(app, n: int, company_ids: list[int], tag: str) -> list[int]:
    with app.app_context():
        entities = db.session.scalars(select(PublicEntity.id).order_by(PublicEntity.id)).all()
        projects = []
        for i in range(n):
            project = Project(name=f"Proyecto masivo {tag} {i:04d}", entity_id=entities[i % len(entities)],
                              sector="orden_publico", stage=STAGES[i % len(STAGES)], mechanism="oxi",
                              reference_amount=Decimal("1000.00") + i, awarded_amount=Decimal("900.00") + i)
            project.members = [ProjectMember(company_id=company_ids[0], share_hundredths=6000, position=0),
                               ProjectMember(company_id=company_ids[1], share_hundredths=4000, position=1)]
            project.locations = [ProjectLocation(ubigeo="130101"), ProjectLocation(ubigeo="130104")]
            projects.append(project)
        db.session.add_all(projects)
        db.session.commit()
        return [p.id for p in projects]


def _children(app, project_id: int, k: int, company_ids: list[int]) -> None:
    with app.app_context():
        day = dt.date(2026, 3, 2)
        for i in range(k):
            line = BudgetLine(project_id=project_id, category="obra", accrued=Decimal("1.00"), paid=Decimal("0.00"))
            line.revisions = [BudgetRevision(number=1, amount=Decimal("10.00")),
                              BudgetRevision(number=2, amount=Decimal("12.00"))]
            milestone = Milestone(project_id=project_id, kind="valorizacion", planned_date=day + dt.timedelta(days=i),
                                  actual_date=day + dt.timedelta(days=i), planned_physical=100 * i,
                                  actual_physical=90 * i, amount=Decimal("100.00"), status="cumplido",
                                  conformity_date=day + dt.timedelta(days=i))
            db.session.add_all([line, milestone,
                                Variation(project_id=project_id, kind="plazo", days_delta=1, approved_on=day,
                                          legal_reference="x"),
                                StageTransition(project_id=project_id, from_stage="priorizado", to_stage="priorizado")])
            db.session.flush()
            certificate = Certificate(project_id=project_id, milestone_id=milestone.id, cert_type="CIPGN",
                                      number=f"Q-{project_id}-{i}", amount=Decimal("10.00"), issue_date=day)
            certificate.holdings = [CertificateHolding(company_id=c, share_hundredths=5000, amount=Decimal("5.00"),
                                                       position=n) for n, c in enumerate(company_ids)]
            db.session.add(certificate)
        db.session.commit()


def _measure(app, client, url: str) -> int:
    client.get(url)  # warm caches (login user, rules) so both runs compare like with like
    with count_statements(app) as statements:
        response = client.get(url)
    assert response.status_code == 200
    return len(statements)


def test_list_and_pipeline_statement_count_is_flat_from_10_to_500_projects(app, rendering, login_as, make_company):
    companies = [make_company(), make_company()]
    client = login_as("staff")
    urls = ["/proyectos/?per_page=100", "/proyectos/?per_page=100&sort=amount&dir=desc", "/proyectos/?region=13",
            "/proyectos/etapas", f"/proyectos/?empresa={companies[0]}&per_page=100"]
    _bulk_projects(app, 10, companies, "a")
    small = [_measure(app, client, url) for url in urls]
    _bulk_projects(app, 490, companies, "b")
    large = [_measure(app, client, url) for url in urls]
    assert small == large
    assert max(large) < 15


def test_company_list_statement_count_is_flat(app, rendering, login_as, make_company):
    companies = [make_company(), make_company()]
    client = login_as("company", company_id=companies[0])
    _bulk_projects(app, 10, companies, "c")
    small = _measure(app, client, "/proyectos/?per_page=100")
    _bulk_projects(app, 490, companies, "d")
    assert _measure(app, client, "/proyectos/?per_page=100") == small


def test_detail_statement_count_is_flat_with_more_projects_and_more_children(app, rendering, login_as, make_company):
    companies = [make_company(), make_company()]
    client = login_as("staff")
    ids = _bulk_projects(app, 10, companies, "e")
    _children(app, ids[3], 2, companies)
    small = _measure(app, client, f"/proyectos/{ids[3]}")
    more = _bulk_projects(app, 490, companies, "f")
    _children(app, more[7], 40, companies)
    large = _measure(app, client, f"/proyectos/{more[7]}")
    assert small == large
    assert large < 20
