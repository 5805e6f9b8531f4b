"""Time to issue the trust's estado de cuenta as a PDF with 1,000 movement lines (and 100, to see how it scales).

    .venv/bin/python benchmarks/pdfs.py [sqlite|postgresql] [lines]

Creates a throw-away database, loads reference data and posts LINES confirmed contributions to the trust's
bank account through the ledger core (the same journal the services write; the statement reads only the
journal). Then issues the statement through the real service (``pdfs.services.issue``: the pages' queries,
the Jinja template, WeasyPrint, the SHA-256 and the issued-documents row) three times and prints the median
of each step, the pages and the size of the file, and the ratio of 1,000 lines to 100.
"""
from __future__ import annotations

import datetime as dt
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from portfolio import create_app, db, migrate, seeding  # noqa: E402
from portfolio.pdfs import content, render, services  # noqa: E402
from portfolio.trust import ledger  # noqa: E402
from portfolio.trust.services.common import (  # noqa: E402
    BANK_AVAILABLE,
    CONTRIBUTIONS_INCOME,
    chart_of_accounts,
    company_receivable,
)
from tests.support import insert_user  # noqa: E402
from tests.trust.conftest import make_company  # noqa: E402

START, RUNS = dt.date(2026, 1, 1), 3


def _database(kind: str):
    if kind == "postgresql":
        from tests.conftest import create_pg_database, drop_pg_database

        url = create_pg_database("pdfs_bench")
        return url, lambda: drop_pg_database(url)
    return f"sqlite:///{tempfile.mkdtemp()}/bench.db", lambda: None


def _post(lines: int) -> None:
    chart_of_accounts()
    bank = ledger.account(db.session, BANK_AVAILABLE)
    income = ledger.account(db.session, CONTRIBUTIONS_INCOME)
    companies = [make_company() for _ in range(20)]
    for i in range(lines):
        company = companies[i % len(companies)]
        amount = Decimal(1000 + i * 7) / 100 + Decimal("1500.00")
        day = START + dt.timedelta(days=i % 170)
        ledger.post_entry(db.session, key=f"bench-d-{lines}-{i}", kind="declaracion", memo="Declaración",
                          effective_date=day, lines=ledger.transfer_lines(company_receivable(company), income, amount))
        ledger.post_entry(db.session, key=f"bench-{lines}-{i}", kind="pago",
                          memo=f"Pago de aporte {company.legal_name} — operación {i:06d}",
                          effective_date=day, lines=ledger.transfer_lines(bank, company_receivable(company), amount))
    db.session.commit()


def _issue(actor, end: dt.date) -> dict[str, float]:
    params = {"start": START.isoformat(), "end": end.isoformat()}
    t0 = time.perf_counter()
    built = content.build("estado_cuenta_fideicomiso", params)
    t1 = time.perf_counter()
    render.html(built, code="0000-0000-0000", verify_url="https://x/verificar/0000-0000-0000",
                issued_at=dt.datetime.now(dt.UTC), issued_by="bench")
    t2, cpu = time.perf_counter(), time.process_time()
    issued = services.issue(kind="estado_cuenta_fideicomiso", params=params, verify_base="https://x/verificar",
                            actor=actor, today=end)
    db.session.commit()
    t3, cpu = time.perf_counter(), time.process_time() - cpu
    return {"queries": (t1 - t0) * 1000, "html": (t2 - t1) * 1000, "issue": (t3 - t2) * 1000, "cpu": cpu * 1000,
            "bytes": len(issued.pdf), "movements": len(built.context["movements"]), "pdf": issued.pdf}


def _pages(pdf: bytes) -> str:
    """Pages, read back with poppler's pdfinfo (``?`` when it is not installed)."""
    import re
    import shutil
    import subprocess

    if not shutil.which("pdfinfo"):
        return "?"
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(pdf)
        handle.flush()
        info = subprocess.run(["pdfinfo", handle.name], capture_output=True, text=True, timeout=60).stdout
    return re.search(r"Pages:\s+(\d+)", info).group(1)


def _load() -> str:
    import os

    return " ".join(f"{v:.1f}" for v in os.getloadavg()) + f" en {os.cpu_count()} núcleos"


def main() -> None:
    kind = sys.argv[1] if len(sys.argv) > 1 else "sqlite"
    big = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    results = {}
    for lines in (100, big):
        url, drop = _database(kind)
        try:
            migrate.upgrade(url)
            app = create_app({"DATABASE_URL": url, "SECRET_KEY": "x" * 40, "DEMO_DATA": False})
            with app.app_context():
                seeding.load_reference()
                db.session.commit()
                _post(lines)
                actor = insert_user("trustee")
                db.session.commit()
                end = START + dt.timedelta(days=200)
                runs = [_issue(actor, end) for _ in range(RUNS)]
                results[lines] = {key: statistics.median(r[key] for r in runs)
                                  for key in ("queries", "html", "issue", "cpu")}
                results[lines].update(bytes=runs[0]["bytes"], movements=runs[0]["movements"], pages=_pages(runs[0]["pdf"]))
                db.session.remove()
            app.extensions["portfolio_db"]["engine"].dispose()
        finally:
            drop()
    print(f"Estado de cuenta del fideicomiso en PDF ({kind}), mediana de {RUNS} emisiones:")
    print(f"{'líneas':>8} {'páginas':>8} {'KiB':>8} {'consultas ms':>13} {'HTML ms':>9} {'emisión ms':>11}"
          f" {'CPU ms':>8}")
    for r in results.values():
        print(f"{r['movements']:>8} {r['pages']:>8} {r['bytes'] / 1024:>8.1f} {r['queries']:>13.0f} {r['html']:>9.0f}"
              f" {r['issue']:>11.0f} {r['cpu']:>8.0f}")
    small, large = results[100], results[big]
    print(f"razón {big}/100 líneas: emisión ×{large['issue'] / small['issue']:.1f} (CPU ×{large['cpu'] / small['cpu']:.1f}),"
          f" {large['cpu'] / large['movements']:.1f} ms de CPU por línea; carga de la máquina {_load()}")


if __name__ == "__main__":
    main()
