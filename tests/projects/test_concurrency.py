"""Two staff members request certificates for the same project at the same moment: the limits hold.

PostgreSQL only, on a private database with real commits (the per-test rollback would hide the race).
"""
from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portfolio import create_app, db, migrate, seeding
from portfolio.auth.policy import SYSTEM
from portfolio.errors import DomainError
from portfolio.orgs import services as org_services
from portfolio.projects import certificates, execution, services
from portfolio.projects.models import Certificate
from tests.support import STAFF_ACTOR

from ..conftest import create_pg_database, drop_pg_database
from .conftest import INPE, D


@pytest.fixture
def private_app():
    url = create_pg_database("projects_race")
    migrate.upgrade(url)
    app = create_app({"ENV_MODE": "testing", "DATABASE_URL": url, "SECRET_KEY": "r" * 40})
    with app.app_context():
        seeding.load_reference()
        db.session.commit()
    yield app
    app.extensions["portfolio_db"]["engine"].dispose()
    drop_pg_database(url)


def _project(app) -> tuple[int, int]:
    with app.app_context():
        from portfolio.orgs.models import PublicEntity

        company = org_services.create_company(data={"ruc": "20601452783", "legal_name": "Empresa S.A.C.",
                                               "sector": "mineria"}, actor=SYSTEM)
        entity = db.session.scalar(select(PublicEntity).where(PublicEntity.name == INPE))
        project = services.create_project(data={
            "cui": "1112223", "name": "Carrera de certificados", "entity_id": entity.id, "sector": "justicia",
            "locations": "130101", "reference_amount": "1000000.00", "awarded_amount": "1000000.00",
            "contraloria_ref": "IP-1", "call_on": D(2026, 1, 5), "awarded_on": D(2026, 2, 1),
            "convenio_on": D(2026, 3, 2), "start_on": D(2026, 3, 10), "supervisor": "Supervisora"}, actor=STAFF_ACTOR)
        services.set_members(project=project, rows=[(company.id, "100")], expected_version=None, actor=STAFF_ACTOR)
        for stage in ("actos_previos", "en_seleccion", "adjudicado", "convenio_suscrito", "en_ejecucion"):
            services.transition(project=project, target=stage, actor=STAFF_ACTOR)
        milestone = execution.add_milestone(project=project, data={
            "kind": "valorizacion", "planned_date": D(2026, 4, 1), "actual_date": D(2026, 4, 1),
            "status": "cumplido", "conformity_date": D(2026, 4, 5), "amount": "1000000.00"}, actor=STAFF_ACTOR)
        db.session.commit()
        return project.id, milestone.id


@pytest.mark.postgresql_only
def test_concurrent_certificates_cannot_both_pass_the_limit(private_app, database_url):
    from portfolio.projects.models import Project

    project_id, milestone_id = _project(private_app)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def request(number: str) -> None:
        with private_app.app_context():
            project = db.session.get(Project, project_id)
            barrier.wait()
            try:
                certificates.add_certificate(project=project, number=number, amount="600000.00", issue_date=D(2026, 4, 10),
                                             milestone_id=milestone_id, actor=STAFF_ACTOR)
                db.session.commit()
                outcomes.append("ok")
            except DomainError as exc:
                db.session.rollback()
                outcomes.append(exc.message)

    threads = [threading.Thread(target=request, args=(n,)) for n in ("A-1", "B-1")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(outcomes)[-1] == "ok" and outcomes.count("ok") == 1, outcomes
    assert any("Excede" in o for o in outcomes)
    with private_app.app_context():
        total = db.session.scalar(select(func.sum(Certificate.amount)))
        assert total == Decimal("600000.00")
