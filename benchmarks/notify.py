"""``notify run`` over thousands of companies with 60 months of contributions each: seconds and statements.

    .venv/bin/python benchmarks/notify.py [sqlite|postgresql] [companies ...]

Creates a throw-away database, loads reference data, then bulk-inserts N companies (a user and a contact
e-mail each) with 60 months of declared contributions: every month paid except the last (due in 5 days: every
company gets its «5 días antes» reminder, to its user and its contact) and, for one company in ten, three
months in arrears. Times one run (SMTP unset: notices recorded, no e-mail) and an immediate rerun (nothing new),
counting the statements of each (SELECTs apart from the INSERTs of notices, which go 1,000 rows a statement).
Prints the figures per size and the ratios between the largest and the smallest size.
"""
from __future__ import annotations

import datetime as dt
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from sqlalchemy import event, func, insert, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from portfolio import clock, create_app, db, migrate, seeding  # noqa: E402
from portfolio.auth.models import User  # noqa: E402
from portfolio.notifications.cli import run_notifications  # noqa: E402
from portfolio.notifications.models import Notice  # noqa: E402
from portfolio.orgs.models import Company  # noqa: E402
from portfolio.trust.models import Contribution  # noqa: E402
from portfolio.trust.services.common import add_month  # noqa: E402

SIZES = (500, 5000)
MONTHS = 60
TODAY = dt.date(2026, 12, 10)     # November 2026's contribution is due on 15/12: «5 días antes» today
LIMA = clock.load_zone("America/Lima")


def _database(kind: str):
    if kind == "postgresql":
        from tests.conftest import create_pg_database, drop_pg_database

        url = create_pg_database("notify_bench")
        return url, lambda: drop_pg_database(url)
    folder = tempfile.mkdtemp()
    return f"sqlite:///{folder}/bench.db", lambda: None


def _ruc(i: int) -> str:
    from stdnum.pe import ruc

    base = f"20{i:08d}"
    return base + ruc.calc_check_digit(base)


def _load(n: int) -> None:
    last = dt.date(2026, 11, 1)
    first = add_month(last, -(MONTHS - 1))
    db.session.execute(insert(Company), [
        {"ruc": _ruc(i), "legal_name": f"Empresa {i:05d} S.A.C.", "sector": "comercio", "active": True, "version": 1,
         "contact_email": f"contacto{i:05d}@empresa.pe"} for i in range(n)])
    ids = list(db.session.scalars(select(Company.id).order_by(Company.id)))
    db.session.execute(insert(User), [
        {"email": f"usuario{i:05d}@empresa.pe", "name": f"Usuario {i}", "role": "company", "company_id": cid,
         "active": True, "password_hash": "!", "session_token": f"t{i}"} for i, cid in enumerate(ids)])
    rows = []
    for i, cid in enumerate(ids):
        for m in range(MONTHS):
            month = add_month(first, m)
            due = add_month(month).replace(day=15)
            amount = Decimal("1500.00") + i % 100
            unpaid = month == last or (i % 10 == 0 and m in (MONTHS - 4, MONTHS - 3, MONTHS - 2))
            rows.append({"company_id": cid, "month": month, "due_date": due, "amount_due": amount,
                         "amount_paid": Decimal("0.00") if unpaid else amount, "current_version": 1})
        if len(rows) >= 50_000:
            db.session.execute(insert(Contribution), rows)
            rows = []
    if rows:
        db.session.execute(insert(Contribution), rows)
    db.session.commit()


class Counter:
    def __init__(self, engine):
        self.selects = self.inserts = self.other = 0
        event.listen(engine, "before_cursor_execute", self)

    def __call__(self, conn, cursor, statement, parameters, context, executemany):
        head = statement.lstrip()[:6].upper()
        if head == "SELECT":
            self.selects += 1
        elif head == "INSERT":
            self.inserts += 1
        else:
            self.other += 1

    def reset(self):
        self.selects = self.inserts = self.other = 0


def measure(kind: str, n: int) -> dict:
    url, drop = _database(kind)
    try:
        migrate.upgrade(url)
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": "b" * 40, "DEMO_DATA": False, "SERVER_NAME": "localhost",
                          "SMTP_URL": None, "PASSWORD_HASH_PROFILE": "fast"})
        with app.app_context():
            seeding.load_reference()
            db.session.commit()
            started = time.perf_counter()
            _load(n)
            load_s = time.perf_counter() - started
            counter = Counter(app.extensions["portfolio_db"]["engine"])
            figures = {"companies": n, "contributions": n * MONTHS, "load_s": load_s}
            with clock.frozen(dt.datetime.combine(TODAY, dt.time(8), tzinfo=LIMA)):
                for label in ("run", "rerun"):
                    counter.reset()
                    started = time.perf_counter()
                    result = run_notifications()
                    figures[label] = {"seconds": time.perf_counter() - started, "selects": counter.selects,
                                      "inserts": counter.inserts, "other": counter.other,
                                      "created": result["created"], "obligations": result["obligations"]}
            figures["notices"] = db.session.scalar(select(func.count(Notice.id)))
        app.extensions["portfolio_db"]["engine"].dispose()
        return figures
    finally:
        drop()


def main() -> None:
    kind = sys.argv[1] if len(sys.argv) > 1 else "sqlite"
    sizes = tuple(int(a) for a in sys.argv[2:]) or SIZES
    results = []
    for n in sizes:
        f = measure(kind, n)
        results.append(f)
        print(f"{kind} {n:>6} empresas × {MONTHS} meses ({f['contributions']:,} aportes; carga {f['load_s']:.1f} s)")
        for label in ("run", "rerun"):
            r = f[label]
            print(f"   {label:<5} {r['seconds']:7.2f} s  obligaciones {r['obligations']:>6}  avisos nuevos {r['created']:>6}"
                  f"  SELECT {r['selects']:>3}  INSERT {r['inserts']:>3}  otras {r['other']:>3}")
    if len(results) > 1:
        small, big = results[0], results[-1]
        scale = big["companies"] / small["companies"]
        for label in ("run", "rerun"):
            s, b = small[label], big[label]
            print(f"{label}: ×{scale:.0f} empresas → tiempo ×{b['seconds'] / s['seconds']:.1f}, SELECT "
                  f"{s['selects']} → {b['selects']} (×{b['selects'] / s['selects']:.2f}), INSERT {s['inserts']} → "
                  f"{b['inserts']} (uno por cada 1.000 avisos)")


if __name__ == "__main__":
    main()
