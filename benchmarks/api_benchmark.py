"""The JSON API under load, on PostgreSQL.

    .venv/bin/python benchmarks/api_benchmark.py [--clients 20] [--months 12] [--projects 10000] [--port 5110]

1. Declarations: starts gunicorn (4 sync workers, 127.0.0.1:PORT) on a throw-away PostgreSQL database with
   CLIENTS companies, each with its own API token; CLIENTS threads declare MONTHS months each over real HTTP,
   and every POST is sent twice with the same Idempotency-Key (a client retrying). Prints requests per second,
   p50/p95 latency, the status codes, and the duplicates found in the database (must be 0: one declaration per
   company and month, every retry answered with the first response).
2. ``GET /api/v1/projects?limit=100`` at 100 and at PROJECTS projects (in process): SQL statements per request
   (must not grow with the portfolio) and the median time, for the first page and for a page deep in the cursor.
Bounded: a fixed number of requests, the server is stopped at the end, the database dropped.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import event, func, select  # noqa: E402

from portfolio import create_app, db, migrate, seeding  # noqa: E402

PASSWORD = "Bench-Password-2026!"


def _ruc(n: int) -> str:
    from stdnum.pe import ruc

    base = f"20{n:08d}"
    return base + ruc.calc_check_digit(base)


def _setup(app, clients: int) -> list[str]:
    from portfolio.api import services as api_services
    from portfolio.auth import services as users
    from portfolio.auth.policy import SYSTEM
    from portfolio.orgs import services as orgs

    secrets = []
    with app.app_context():
        seeding.load_reference()
        for i in range(clients):
            company = orgs.create_company(data={"ruc": _ruc(60_000_000 + i), "legal_name": f"Empresa {i:02d} S.A.C.",
                                                "sector": "construccion", "ubigeo": "130101"}, actor=SYSTEM)
            user = users.create_user(email=f"planillas{i:02d}@bench.pe", name=f"Planillas {i}", role="company",
                                     password=PASSWORD, company_id=company.id, actor=SYSTEM)
            _token, secret = api_services.create_token(user_id=user.id, name="Planillas", scopes=["declare", "read"],
                                                       actor=SYSTEM)
            secrets.append(secret)
        users.create_user(email="mef@bench.pe", name="MEF", role="auditor", password=PASSWORD, actor=SYSTEM)
        db.session.commit()
    return secrets


def _post(url: str, secret: str, key: str, body: dict) -> tuple[int, str, float]:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST", headers={
        "Authorization": f"Bearer {secret}", "Idempotency-Key": key, "Content-Type": "application/json"})
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status, text = response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        status, text = exc.code, exc.read().decode()
    return status, text, time.perf_counter() - start


def declarations(url: str, port: int, secrets: list[str], months: int) -> None:
    env = dict(os.environ, DATABASE_URL=url, SECRET_KEY="b" * 40, PORTFOLIO_ENV="development", DEMO_DATA="0",
               API_RATELIMIT_PER_TOKEN="100000 per minute", API_RATELIMIT_PER_ADDRESS="100000 per minute",
               LOG_LEVEL="WARNING", PYTHONPATH=str(ROOT))
    server = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "-w", "4", "-b", f"127.0.0.1:{port}",
                               "--no-control-socket", "--log-level", "warning", "portfolio:create_app()"],
                              env=env, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=2)
                break
            except OSError:
                time.sleep(0.2)
        latencies: list[float] = []
        statuses: dict[int, int] = {}
        mismatched = [0]
        lock = threading.Lock()
        barrier = threading.Barrier(len(secrets))

        def client(index: int, secret: str) -> None:
            barrier.wait()
            for m in range(months):
                body = {"month": f"2025-{m + 1:02d}", "payroll": f"{100000 + 1000 * index + m}.00", "headcount": 10 + m}
                key = f"bench-{index:02d}-{m:02d}"
                first = _post(base + "/api/v1/declarations", secret, key, body)
                retry = _post(base + "/api/v1/declarations", secret, key, body)  # the client retries
                with lock:
                    for status, _text, seconds in (first, retry):
                        latencies.append(seconds)
                        statuses[status] = statuses.get(status, 0) + 1
                    if first[0] == 201 and (retry[0], json.loads(retry[1])) != (201, json.loads(first[1])):
                        mismatched[0] += 1

        threads = [threading.Thread(target=client, args=(i, s)) for i, s in enumerate(secrets)]
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join(600)
        elapsed = time.perf_counter() - start
    finally:
        server.terminate()
        server.wait(30)
    latencies.sort()
    p95 = latencies[int(len(latencies) * 0.95) - 1]
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "b" * 40})
    with app.app_context():
        from portfolio.trust.models import Contribution

        rows = db.session.scalar(select(func.count()).select_from(Contribution))
        distinct = db.session.scalar(select(func.count()).select_from(
            select(Contribution.company_id, Contribution.month).distinct().subquery()))
    print(f"declarations: {len(secrets)} clients × {months} months, each POST sent twice with its key "
          f"(gunicorn 4 sync workers, PostgreSQL)")
    print(f"  requests {len(latencies)} in {elapsed:.1f} s = {len(latencies) / elapsed:.1f} req/s; "
          f"p50 {statistics.median(latencies) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms; statuses {statuses}")
    print(f"  declarations in the database {rows} (expected {len(secrets) * months}); duplicates {rows - distinct}; "
          f"retries answered differently from the first response {mismatched[0]}")


def projects(url: str, total: int) -> None:
    from portfolio.api import services as api_services
    from portfolio.auth.models import User
    from portfolio.auth.policy import SYSTEM
    from portfolio.orgs.models import Company, PublicEntity
    from portfolio.projects.models import Project, ProjectLocation, ProjectMember

    app = create_app({"ENV_MODE": "testing", "DATABASE_URL": url, "SECRET_KEY": "b" * 40,
                      "API_RATELIMIT_PER_TOKEN": "100000 per minute", "API_RATELIMIT_PER_ADDRESS": "100000 per minute"})
    with app.app_context():
        auditor = db.session.scalar(select(User).where(User.email == "mef@bench.pe"))
        _token, secret = api_services.create_token(user_id=auditor.id, name="MEF", scopes=["read"], actor=SYSTEM)
        companies = db.session.scalars(select(Company.id).limit(2)).all()
        entities = db.session.scalars(select(PublicEntity.id)).all()
        db.session.commit()
    engine = app.extensions["portfolio_db"]["engine"]
    statements = [0]
    event.listen(engine, "before_cursor_execute", lambda *a: statements.__setitem__(0, statements[0] + 1))
    client = app.test_client()
    headers = {"Authorization": f"Bearer {secret}"}
    loaded = 0
    print("GET /api/v1/projects?limit=100 (auditor token, in process, PostgreSQL)")
    print(f"  {'projects':>8} {'page':<22} {'statements':>10} {'p50 ms':>8}")
    for size in (100, total):
        with app.app_context():
            batch = []
            for i in range(loaded, size):
                p = Project(name=f"Proyecto {i:05d}", entity_id=entities[i % len(entities)], sector="orden_publico",
                            stage=("priorizado", "adjudicado", "en_ejecucion")[i % 3],
                            reference_amount=Decimal("1000.00") + i, awarded_amount=Decimal("900.00") + i)
                p.members = [ProjectMember(company_id=companies[0], share_hundredths=6000, position=0),
                             ProjectMember(company_id=companies[1], share_hundredths=4000, position=1)]
                p.locations = [ProjectLocation(ubigeo="130101"), ProjectLocation(ubigeo="130104")]
                batch.append(p)
                if len(batch) == 2000:
                    db.session.add_all(batch)
                    db.session.commit()
                    batch = []
            db.session.add_all(batch)
            db.session.commit()
        loaded = size
        cursor = None
        for _ in range(max(size // 100 - 2, 0)):  # walk to the last pages once (also proves the cursor chain)
            page = client.get("/api/v1/projects?limit=100" + (f"&cursor={cursor}" if cursor else ""), headers=headers)
            cursor = page.get_json()["next_cursor"] or cursor
        for label, query in (("first page", ""), ("deep page (cursor)", f"&cursor={cursor}" if cursor else "")):
            times, counts = [], []
            for _ in range(20):
                statements[0] = 0
                start = time.perf_counter()
                response = client.get("/api/v1/projects?limit=100" + query, headers=headers)
                times.append(time.perf_counter() - start)
                counts.append(statements[0])
                assert response.status_code == 200, response.get_json()
            print(f"  {size:>8} {label:<22} {max(counts):>10} {statistics.median(times) * 1000:>8.1f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--projects", type=int, default=10_000)
    parser.add_argument("--port", type=int, default=5110)
    args = parser.parse_args()
    from tests.conftest import create_pg_database, drop_pg_database

    url = create_pg_database("api_bench")
    try:
        migrate.upgrade(url)
        app = create_app({"ENV_MODE": "testing", "DATABASE_URL": url, "SECRET_KEY": "b" * 40,
                          "PASSWORD_HASH_PROFILE": "fast"})
        secrets = _setup(app, args.clients)
        app.extensions["portfolio_db"]["engine"].dispose()
        declarations(url, args.port, secrets, args.months)
        projects(url, args.projects)
    finally:
        drop_pg_database(url)


if __name__ == "__main__":
    main()
