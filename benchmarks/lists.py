"""Time of the long lists at a small and a large size: projects (10 → 10,000), contributions and disbursements
(→ 100,000 rows), on a throw-away database, in process (a logged-in staff client, median of ``--runs``).

    .venv/bin/python benchmarks/lists.py [postgresql|sqlite] [--runs 15] [--projects 10000] [--rows 100000]

Prints, for each page, the median ms and the statements per request at both sizes and the ratio (goal:
≤ 1.5 × the small size), and on PostgreSQL the buffer pages its SELECTs touch (``EXPLAIN (ANALYZE, BUFFERS)``):
counted work, which says whether a page grows with the data even when the timings are noisy. Rows are bulk-inserted (COPY on PostgreSQL) with ``benchmarks/pages.py``'s helpers; the small size's
disbursements are topped up to one full page (25), so both sizes of that list render the same rows.
``LISTS_BLOCKS_DETAIL=N`` prints each statement that touches more than N buffer pages.
"""
from __future__ import annotations

import argparse
import datetime as dt
import html
import os
import re
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.pages import PASSWORD, SECRET, _bulk, _next_id, _reset_sequences, create_database  # noqa: E402

PER_PAGE = 25
PAGES = [("proyectos", "/proyectos/"), ("proyectos, 2.ª página por monto", "/proyectos/?sort=amount&dir=desc&page=2"),
         ("aportes", "/fideicomiso/aportes"), ("desembolsos", "/fideicomiso/desembolsos")]


def blocks(engine, statements: list[tuple[str, object]]) -> int:
    """PostgreSQL buffer pages (shared hits + reads) that the SELECTs of one request touch, from
    ``EXPLAIN (ANALYZE, BUFFERS)`` of each: work counted, not timed, so it does not vary with the machine's load."""
    total = 0
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        for statement, parameters in statements:
            if not statement.lstrip().upper().startswith(("SELECT", "WITH")):
                continue
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + statement, parameters)
            plan = cursor.fetchone()[0][0]["Plan"]
            used = plan.get("Shared Hit Blocks", 0) + plan.get("Shared Read Blocks", 0)
            total += used
            if os.environ.get("LISTS_BLOCKS_DETAIL") and used > int(os.environ["LISTS_BLOCKS_DETAIL"]):
                print(f"    {used} bloques: {' '.join(statement.split())[:300]}")
        raw.rollback()
    finally:
        raw.close()
    return total


def measure(app, client, runs: int, *, cold: bool) -> dict[str, tuple[float, int, int | None]]:
    """Median ms, statements and (PostgreSQL) buffer pages of each page; ``cold``: with the kept results forgotten
    before every request (as on the first request after a change of the data), else as a repeated request finds
    them."""
    from sqlalchemy import event

    from portfolio import page_cache

    engine = app.extensions["portfolio_db"]["engine"]
    out = {}
    for label, path in PAGES:
        assert client.get(path).status_code == 200, path
        statements, seen = [], []
        times = []
        for i in range(runs):
            count = [0]

            def counter(_conn, _cursor, statement, parameters, *_a, count=count, first=i == 0, seen=seen):
                count[0] += 1
                if first:
                    seen.append((statement, parameters))

            if cold:
                with app.app_context():
                    page_cache.clear()
            event.listen(engine, "before_cursor_execute", counter)
            started = time.perf_counter()
            client.get(path)
            times.append((time.perf_counter() - started) * 1000)
            event.remove(engine, "before_cursor_execute", counter)
            if i == 0:
                statements.append(count[0])
        pages = blocks(engine, seen) if engine.dialect.name == "postgresql" else None
        out[label] = (statistics.median(times), statements[0], pages)
    return out


def _disbursements(conn, rows: int) -> None:
    """``rows`` rejected disbursement requests like the first one on file, written directly."""
    from sqlalchemy import select

    from portfolio.db_types import Base

    d = Base.metadata.tables["trust_disbursements"]
    template = conn.execute(select(d.c.program_id, d.c.organization_id, d.c.requested_by_id).limit(1)).one()
    first = _next_id(conn, d)
    now = dt.datetime(2026, 1, 1, 12, tzinfo=dt.UTC)
    _bulk(conn, d, [{"id": first + n, "program_id": template[0], "organization_id": template[1], "year": 2020,
                     "amount": Decimal("1000.00"), "paid_amount": Decimal(0), "purpose": "Carga",
                     "status": "rechazado", "requested_by_id": template[2], "requested_on": dt.date(2020, 1, 1),
                     "requested_at": now} for n in range(rows)])


def fill_first_page(url: str) -> None:
    """Disbursements up to one full page (the demo has 7): both sizes then show 25 rows, so the ratio measures
    the data's size, not how full the page is. The projects (13) and contributions (60) lists are left alone."""
    from sqlalchemy import func, select

    from portfolio import db
    from portfolio.db_types import Base

    engine = db.make_engine(url)
    with engine.begin() as conn:
        have = conn.scalar(select(func.count()).select_from(Base.metadata.tables["trust_disbursements"]))
        if have < PER_PAGE:
            _disbursements(conn, PER_PAGE - have)
            _reset_sequences(conn, [Base.metadata.tables["trust_disbursements"]])
    engine.dispose()


def grow(url: str, projects: int, rows: int) -> None:
    from sqlalchemy import select

    from portfolio import db
    from portfolio.db_types import Base

    tables = Base.metadata.tables
    engine = db.make_engine(url)
    now = dt.datetime(2026, 1, 1, 12, tzinfo=dt.UTC)
    with engine.begin() as conn:
        entity = conn.scalar(select(tables["public_entities"].c.id).limit(1))
        companies = conn.execute(select(tables["companies"].c.id)).scalars().all()
        first = _next_id(conn, tables["projects"])
        ids = range(first, first + projects)
        stages = ("priorizado", "adjudicado", "convenio_suscrito", "en_ejecucion", "concluido")
        _bulk(conn, tables["projects"], [{
            "id": pid, "name": f"Proyecto de carga {pid:05d}", "entity_id": entity, "sector": "orden_publico",
            "mechanism": "oxi", "multidepartmental": False, "stage": stages[pid % 5], "proinversion_assisted": False,
            "reference_amount": Decimal(1000 + pid), "is_demo": False, "created_at": now, "version": 1} for pid in ids])
        _bulk(conn, tables["project_members"], [{"project_id": pid, "company_id": companies[pid % len(companies)],
                                                "share_hundredths": 10000, "position": 0} for pid in ids])
        _bulk(conn, tables["project_locations"], [{"project_id": pid, "ubigeo": "130101"} for pid in ids])
        # Contributions: fresh companies × months back from 2010 (one per company and month).
        per_company = 200
        first_company = _next_id(conn, tables["companies"])
        new_companies = range(first_company, first_company + rows // per_company)
        _bulk(conn, tables["companies"], [{"id": cid, "ruc": f"20{cid:09d}", "legal_name": f"Empresa {cid} S.A.C.",
                                           "sector": "mineria", "active": True, "created_at": now, "version": 1}
                                          for cid in new_companies])
        first = _next_id(conn, tables["trust_contributions"])
        months = [dt.date(2000 + m // 12, m % 12 + 1, 1) for m in range(per_company)]
        _bulk(conn, tables["trust_contributions"], [{
            "id": first + n, "company_id": cid, "month": month, "due_date": month + dt.timedelta(days=45),
            "amount_due": Decimal("1500.00"), "amount_paid": Decimal("1500.00"), "current_version": 1}
            for n, (cid, month) in enumerate((c, m) for c in new_companies for m in months)])
        _disbursements(conn, rows)
        _reset_sequences(conn, [tables[t] for t in ("projects", "project_members", "project_locations", "companies",
                                                    "trust_contributions", "trust_disbursements")])
        if conn.dialect.name == "postgresql":
            from sqlalchemy import text

            conn.execute(text("ANALYZE"))
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("database", nargs="?", default="postgresql", choices=["postgresql", "sqlite"])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--projects", type=int, default=10_000)
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    from sqlalchemy import func, select

    from portfolio import create_app, db, migrate, page_cache, seeding
    from portfolio.projects.models import Project
    from portfolio.trust.models import Contribution, Disbursement

    url, cleanup = create_database(args.database)
    try:
        migrate.upgrade(url)
        # KEPT_PAGES_SECONDS=0: every request renders its list (a kept page would answer a repeat in a few ms at
        # any size, and the goal is what the list itself costs).
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": SECRET, "ENV_MODE": "production",
                          "LOG_LEVEL": "WARNING", "SESSION_COOKIE_SECURE": False, "KEPT_PAGES_SECONDS": 0})
        with app.app_context():
            seeding.load_reference()
            seeding.load_demo()
            db.session.commit()
        fill_first_page(url)

        def sizes():
            with app.app_context():
                return [db.session.scalar(select(func.count(m.id))) for m in (Project, Contribution, Disbursement)]

        client = app.test_client()
        page = client.get("/login").get_data(as_text=True)
        token = html.unescape(re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1))
        client.post("/login", data={"csrf_token": token, "email": "staff@demo.pe", "password": PASSWORD})
        small_sizes = sizes()
        small = {cold: measure(app, client, args.runs, cold=cold) for cold in (False, True)}
        grow(url, args.projects, args.rows)  # rows written behind the services' back: forget what was kept
        with app.app_context():
            page_cache.clear()
        large_sizes = sizes()
        large = {cold: measure(app, client, args.runs, cold=cold) for cold in (False, True)}
        print(f"{args.database}: proyectos {small_sizes[0]} → {large_sizes[0]}, aportes {small_sizes[1]} → "
              f"{large_sizes[1]}, desembolsos {small_sizes[2]} → {large_sizes[2]}")
        for cold, title in ((False, "repetida (resultados guardados)"), (True, "primera tras un cambio (sin guardar)")):
            print(f"  {'página — ' + title:<52} {'ms chico':>9} {'sent.':>5} {'ms grande':>10} {'sent.':>5} {'ratio':>6}"
                  f"      {'bloques chico → grande':>24}")
            for label, _path in PAGES:
                (ms_small, st_small, b_small), (ms_large, st_large, b_large) = small[cold][label], large[cold][label]
                pages = f"{b_small:>10} → {b_large:<8} ×{b_large / b_small:.2f}" if b_small else ""
                print(f"  {label:<52} {ms_small:9.1f} {st_small:5d} {ms_large:10.1f} {st_large:5d} "
                      f"{ms_large / ms_small:6.2f}  {'✓' if ms_large / ms_small <= 1.5 else '✗'} ≤ 1.5  {pages}")
        app.extensions["portfolio_db"]["engine"].dispose()
    finally:
        cleanup()


if __name__ == "__main__":
    main()
