"""The MEF workbook's projects section at scale: time, statements and peak memory of the whole build.

    .venv/bin/python benchmarks/mef_projects_benchmark.py --projects 10000 [--database sqlite|postgresql]

Creates a throw-away database with reference data and N bulk-inserted projects, each with two financing
companies, a location, three stage transitions, two budget lines (two revisions each), two adendas, three
milestones and a certificate split between the two companies. Then, in a fresh subprocess (so that its peak
memory, ``ru_maxrss``, is the build's own), builds the MEF workbook to a file exactly as a job does
(``write_workbook(spec.build(req))``) and prints the wall and CPU time, the SQL statements issued and
the peak memory. Statements must not grow with N (see tests/projects/test_exports_mef.py).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

D = dt.date


def load(url: str, count: int) -> None:
    from sqlalchemy import select

    from portfolio import create_app, db, migrate, seeding
    from portfolio.db import utcnow
    from portfolio.orgs import services as org_services
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

    migrate.upgrade(url)
    app = create_app({"ENV_MODE": "testing", "DATABASE_URL": url, "SECRET_KEY": "b" * 40})
    with app.app_context():
        seeding.load_reference()
        companies = [org_services.create_company({"ruc": r, "legal_name": f"Empresa {r}", "sector": "mineria"}).id
                     for r in ("20601452783", "20558934124")]
        entities = db.session.execute(select(PublicEntity.id, PublicEntity.level)).all()
        db.session.commit()
        now = utcnow()
        for start in range(0, count, 1000):
            batch = []
            for i in range(start, min(count, start + 1000)):
                entity_id, level = entities[i % len(entities)]
                cert_type = "CIPGN" if level == "nacional" else "CIPRL"
                awarded = Decimal(1_000_000 + i * 7) + Decimal(i % 100) / 100
                p = Project(name=f"Proyecto de seguridad {i:06d}", entity_id=entity_id, sector="orden_publico",
                            stage="en_ejecucion", reference_amount=awarded + 1000, awarded_amount=awarded,
                            prioritized_on=D(2025, 1, 1) + dt.timedelta(days=i % 300), awarded_on=D(2025, 11, 1),
                            convenio_on=D(2025, 12, 1), start_on=D(2026, 1, 5), term_days=360,
                            executing_company="Ejecutora S.A.C.", supervisor="Supervisora S.A.C.")
                p.members = [ProjectMember(company_id=companies[0], share_hundredths=6000, position=0),
                             ProjectMember(company_id=companies[1], share_hundredths=4000, position=1)]
                p.locations = [ProjectLocation(ubigeo="130101")]
                db.session.add(p)
                batch.append((p, cert_type, awarded))
            db.session.flush()
            for p, cert_type, awarded in batch:
                for frm, to in ((None, "priorizado"), ("priorizado", "adjudicado"), ("convenio_suscrito", "en_ejecucion")):
                    db.session.add(StageTransition(project_id=p.id, from_stage=frm, to_stage=to, at=now))
                for category, amount in (("obra", awarded - 50_000), ("supervision", Decimal("50000.00"))):
                    line = BudgetLine(project_id=p.id, category=category, accrued=amount / 2, paid=amount / 4)
                    line.accrued, line.paid = line.accrued.quantize(Decimal("0.01")), line.paid.quantize(Decimal("0.01"))
                    line.revisions = [BudgetRevision(number=1, amount=amount, created_at=now),
                                      BudgetRevision(number=2, amount=amount + 1000, created_at=now)]
                    db.session.add(line)
                db.session.add_all([
                    Variation(project_id=p.id, kind="monto", amount_delta=Decimal("12345.67"), approved_on=D(2026, 3, 1),
                              legal_reference="Adenda 1"),
                    Variation(project_id=p.id, kind="plazo", days_delta=30, approved_on=D(2026, 4, 1),
                              legal_reference="Adenda 2"),
                ])
                milestones = [Milestone(project_id=p.id, kind="valorizacion", planned_date=D(2026, m, 1),
                                        actual_date=D(2026, m, 3), planned_physical=m * 1000, actual_physical=m * 900,
                                        amount=Decimal("100000.00"), status="cumplido", conformity_date=D(2026, m, 5))
                              for m in (2, 3, 4)]
                db.session.add_all(milestones)
                db.session.flush()
                cert = Certificate(project_id=p.id, milestone_id=milestones[0].id, cert_type=cert_type,
                                   number=f"{cert_type}-{p.id}", amount=Decimal("100000.00"), issue_date=D(2026, 2, 10),
                                   status="emitido")
                cert.holdings = [CertificateHolding(company_id=companies[0], share_hundredths=6000,
                                                    amount=Decimal("60000.00"), position=0),
                                 CertificateHolding(company_id=companies[1], share_hundredths=4000,
                                                    amount=Decimal("40000.00"), position=1)]
                db.session.add(cert)
            db.session.commit()
            db.session.expunge_all()


def build(url: str, target: str) -> dict:
    from sqlalchemy import event

    from portfolio import create_app, db
    from portfolio.db import utcnow
    from portfolio.exports.registry import ExportRequest, Viewer, get_export
    from portfolio.exports.xlsx import write_workbook

    app = create_app({"ENV_MODE": "testing", "DATABASE_URL": url, "SECRET_KEY": "b" * 40})
    with app.app_context():
        statements = []
        event.listen(db.session.get_bind(), "before_cursor_execute", lambda *a: statements.append(1))
        spec = get_export("mef")
        viewer = Viewer(user_id=0, email="benchmark@prueba.pe", name="Benchmark", role="auditor")
        req = ExportRequest(spec=spec, viewer=viewer, params=spec.parse({}, viewer), generated_at=utcnow())
        wall, cpu = time.perf_counter(), time.process_time()
        result = write_workbook(target, spec.build(req))
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {"wall": wall, "cpu": cpu, "statements": len(statements), "rows": result.rows,
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "size_mb": os.path.getsize(target) / 1024 / 1024}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--projects", type=int, default=10000)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--build", nargs=2, metavar=("URL", "TARGET"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build:
        print(json.dumps(build(*args.build)))
        return
    folder = tempfile.mkdtemp()
    cleanup = None
    if args.database == "postgresql":
        from tests.conftest import create_pg_database, drop_pg_database

        url = create_pg_database("mef_bench")
        cleanup = lambda: drop_pg_database(url)  # noqa: E731
    else:
        url = f"sqlite:///{folder}/bench.db"
    try:
        started = time.perf_counter()
        load(url, args.projects)
        print(f"database: {args.database}; {args.projects} projects loaded in {time.perf_counter() - started:.1f} s")
        out = subprocess.run([sys.executable, __file__, "--build", url, f"{folder}/libro_mef.xlsx"],
                             check=True, capture_output=True, text=True)
        figures = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"MEF workbook: {figures['wall']:.2f} s wall, {figures['cpu']:.2f} s CPU, "
              f"{figures['statements']} statements, peak memory {figures['peak_mb']:.0f} MB, "
              f"file {figures['size_mb']:.1f} MB")
        print("rows per sheet: " + ", ".join(f"{k} {v}" for k, v in figures["rows"].items()))
    finally:
        if cleanup:
            cleanup()


if __name__ == "__main__":
    main()
