"""Statements and time per request of the OxI list, pipeline and project pages at growing portfolio sizes.

    .venv/bin/python benchmarks/projects_pages.py [sqlite|postgresql]

Creates a throw-away database, loads reference data, bulk-inserts N projects (two members, two locations each)
and measures each page 20 times with a logged-in staff client. Prints statements per request (must not grow
with N) and the median time in ms.
"""
from __future__ import annotations

import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from sqlalchemy import event, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from portfolio import create_app, db, migrate, seeding  # noqa: E402
from portfolio.auth import services as auth_services  # noqa: E402
from portfolio.orgs import services as org_services  # noqa: E402
from portfolio.orgs.models import PublicEntity  # noqa: E402
from portfolio.projects.models import Project, ProjectLocation, ProjectMember  # noqa: E402

SIZES = (10, 500, 5000)
STAGES = ("priorizado", "adjudicado", "convenio_suscrito", "en_ejecucion")


def _database(kind: str):
    if kind == "postgresql":
        from tests.conftest import create_pg_database, drop_pg_database

        url = create_pg_database("projects_bench")
        return url, lambda: drop_pg_database(url)
    folder = tempfile.mkdtemp()
    return f"sqlite:///{folder}/bench.db", lambda: None


def main(kind: str = "sqlite") -> None:
    url, cleanup = _database(kind)
    try:
        migrate.upgrade(url)
        app = create_app({"ENV_MODE": "testing", "DATABASE_URL": url, "SECRET_KEY": "b" * 40,
                          "PASSWORD_HASH_PROFILE": "fast", "WTF_CSRF_ENABLED": False})
        with app.app_context():
            seeding.load_reference()
            companies = [org_services.create_company({"ruc": r, "legal_name": f"Empresa {r}", "sector": "mineria"}).id
                         for r in ("20601452783", "20558934124")]
            auth_services.create_user(email="staff@bench.pe", name="Staff", role="staff", password="Bench-Password-2026!")
            db.session.commit()
        engine = app.extensions["portfolio_db"]["engine"]
        client = app.test_client()
        client.post("/login", data={"email": "staff@bench.pe", "password": "Bench-Password-2026!"})
        loaded = 0
        print(f"database: {kind}")
        print(f"{'projects':>8} {'page':<28} {'statements':>10} {'median ms':>10}")
        for size in SIZES:
            with app.app_context():
                entities = db.session.scalars(select(PublicEntity.id)).all()
                batch = []
                for i in range(loaded, size):
                    p = Project(name=f"Proyecto {i:05d}", entity_id=entities[i % len(entities)], sector="orden_publico",
                                stage=STAGES[i % 4], reference_amount=Decimal("1000.00") + i,
                                awarded_amount=Decimal("900.00") + i)
                    p.members = [ProjectMember(company_id=companies[0], share_hundredths=6000, position=0),
                                 ProjectMember(company_id=companies[1], share_hundredths=4000, position=1)]
                    p.locations = [ProjectLocation(ubigeo="130101"), ProjectLocation(ubigeo="130104")]
                    batch.append(p)
                db.session.add_all(batch)
                db.session.commit()
                some_id = batch[-1].id
            loaded = size
            for label, page in (("lista (100 por página)", "/proyectos/?per_page=100"),
                                ("lista ordenada por monto", "/proyectos/?sort=amount&dir=desc"),
                                ("resumen por etapa", "/proyectos/etapas"),
                                ("ficha del proyecto", f"/proyectos/{some_id}")):
                client.get(page)
                statements: list[str] = []
                listener = lambda *a, _s=statements, **k: _s.append(a[2])  # noqa: E731
                event.listen(engine, "before_cursor_execute", listener)
                client.get(page)
                event.remove(engine, "before_cursor_execute", listener)
                times = []
                for _ in range(20):
                    start = time.perf_counter()
                    assert client.get(page).status_code == 200
                    times.append((time.perf_counter() - start) * 1000)
                print(f"{size:>8} {label:<28} {len(statements):>10} {statistics.median(times):>10.1f}")
        engine.dispose()
    finally:
        cleanup()


if __name__ == "__main__":
    main(*(sys.argv[1:] or ["sqlite"]))
