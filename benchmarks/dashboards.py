"""Statements and time per request of the role dashboards and the public portal at growing data sizes.

    .venv/bin/python benchmarks/dashboards.py [sqlite|postgresql]

Creates a throw-away database, loads reference data, then bulk-inserts N projects (each with a member,
a location, two milestones, an issued certificate and a stage transition) and N trust rows (an overdue
contribution, a payment to confirm, a disbursement in vote and an approved one). Measures each page 10
times; prints statements per request (must not grow with N) and the median time in ms.
"""
from __future__ import annotations

import datetime as dt
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from sqlalchemy import event, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from portfolio import clock, create_app, db, migrate, seeding  # noqa: E402
from portfolio.auth import services as auth_services  # noqa: E402
from portfolio.orgs import services as org_services  # noqa: E402
from portfolio.orgs.models import PublicEntity  # noqa: E402
from portfolio.projects.models import (  # noqa: E402
    Certificate,
    Milestone,
    Project,
    ProjectLocation,
    ProjectMember,
    StageTransition,
)
from portfolio.trust.models import (  # noqa: E402
    Contribution,
    Disbursement,
    Organization,
    Payment,
    Program,
    ProgramAllocation,
)

SIZES = (10, 1000, 10000)
PASSWORD = "Bench-Password-2026!"
PAGES = [("staff", "/"), ("company", "/"), ("board", "/"), ("trustee", "/"), ("auditor", "/"),
         (None, "/transparencia/"), (None, "/transparencia/proyectos"), (None, "/transparencia/fideicomiso"),
         (None, "/transparencia/indicadores")]


def _database(kind: str):
    if kind == "postgresql":
        from tests.conftest import create_pg_database, drop_pg_database

        url = create_pg_database("dashboards_bench")
        return url, lambda: drop_pg_database(url)
    folder = tempfile.mkdtemp()
    return f"sqlite:///{folder}/bench.db", lambda: None


def _load(start: int, end: int, company_id: int, program_id: int, org_id: int, requester: int) -> None:
    today = clock.today()
    entities = db.session.scalars(select(PublicEntity.id)).all()
    for i in range(start, end):
        p = Project(name=f"Proyecto {i:05d}", entity_id=entities[i % len(entities)], sector="orden_publico",
                    stage="en_ejecucion", awarded_amount=Decimal("900.00") + i, convenio_on=today, start_on=today)
        p.members = [ProjectMember(company_id=company_id, share_hundredths=10000, position=0)]
        p.locations = [ProjectLocation(ubigeo="1301" + f"{i % 11 + 1:02d}")]
        db.session.add(p)
        db.session.flush()
        db.session.add_all([
            Milestone(project_id=p.id, kind="valorizacion", planned_date=today - dt.timedelta(days=30),
                      status="programado", planned_physical=5000),
            Milestone(project_id=p.id, kind="inicio", planned_date=today - dt.timedelta(days=60), status="cumplido",
                      actual_date=today - dt.timedelta(days=60), planned_physical=1000, actual_physical=2000),
            StageTransition(project_id=p.id, from_stage="convenio_suscrito", to_stage="en_ejecucion",
                            at=db.utcnow() - dt.timedelta(days=400)),
            Certificate(project_id=p.id, cert_type="CIPRL", number=f"B-{i}", amount=Decimal("10.00"),
                        issue_date=today, status="emitido"),
        ])
        month = dt.date(1900 + i // 12, i % 12 + 1, 1)
        contribution = Contribution(company_id=company_id, month=month, due_date=month + dt.timedelta(days=45),
                                    amount_due=Decimal("150.00"), amount_paid=Decimal("0.00"))
        db.session.add(contribution)
        db.session.flush()
        db.session.add_all([
            Payment(contribution_id=contribution.id, company_id=company_id, amount=Decimal("10.00"), paid_on=today,
                    bank="BCP", operation_number=f"B{i}"),
            Disbursement(program_id=program_id, organization_id=org_id, year=today.year, amount=Decimal("5.00"),
                         purpose="x", status="solicitado", requested_by_id=requester, requested_on=today),
            Disbursement(program_id=program_id, organization_id=org_id, year=today.year, amount=Decimal("7.00"),
                         purpose="y", status="aprobado", requested_by_id=requester, requested_on=today),
        ])
    db.session.commit()


def main(kind: str = "sqlite") -> None:
    url, cleanup = _database(kind)
    try:
        migrate.upgrade(url)
        app = create_app({"ENV_MODE": "testing", "DATABASE_URL": url, "SECRET_KEY": "b" * 40,
                          "PASSWORD_HASH_PROFILE": "fast", "WTF_CSRF_ENABLED": False})
        with app.app_context():
            seeding.load_reference()
            company_id = org_services.create_company({"ruc": "20601452783", "legal_name": "Empresa Bench",
                                                      "sector": "mineria"}).id
            users = {role: auth_services.create_user(email=f"{role}@bench.pe", name=role, role=role, password=PASSWORD,
                                                     company_id=company_id if role == "company" else None).id
                     for role in ("staff", "company", "board", "trustee", "auditor")}
            program = Program(code="BEN", name="Programa bench")
            org = Organization(ruc="20100070970", name="Asociación bench", legal_status="constituida")
            db.session.add_all([program, org])
            db.session.flush()
            db.session.add(ProgramAllocation(program_id=program.id, year=clock.today().year, amount=Decimal("1e6")))
            db.session.commit()
            ids = (company_id, program.id, org.id, users["staff"])
        engine = app.extensions["portfolio_db"]["engine"]
        clients = {None: app.test_client()}
        for role in users:
            clients[role] = app.test_client()
            clients[role].post("/login", data={"email": f"{role}@bench.pe", "password": PASSWORD})
        loaded = 0
        print(f"database: {kind}")
        print(f"{'rows':>6} {'page':<34} {'statements':>10} {'median ms':>10}")
        for size in SIZES:
            with app.app_context():
                _load(loaded, size, *ids)
            loaded = size
            for role, page in PAGES:
                client = clients[role]
                assert client.get(page).status_code == 200, (role, page)
                statements: list[str] = []
                listener = lambda *a, _s=statements, **k: _s.append(a[2])  # noqa: E731
                event.listen(engine, "before_cursor_execute", listener)
                client.get(page)
                event.remove(engine, "before_cursor_execute", listener)
                times = []
                for _ in range(10):
                    start = time.perf_counter()
                    client.get(page)
                    times.append((time.perf_counter() - start) * 1000)
                label = f"{role or 'anónimo'} {page}"
                print(f"{size:>6} {label:<34} {len(statements):>10} {statistics.median(times):>10.1f}")
        engine.dispose()
    finally:
        cleanup()


if __name__ == "__main__":
    main(*(sys.argv[1:] or ["sqlite"]))
