"""Time of a login with an unknown e-mail vs. a wrong password, with the production argon2 profile.

    .venv/bin/python benchmarks/login_timing.py [--runs 25] [sqlite|postgresql]

Both must cost the same (one argon2id verification); the ratio printed should be close to 1.00. Each
attempt comes from a different address so that throttling never refuses one. Creates a throw-away
database. Prints figures; it is not a pass/fail test (tests/auth/test_timing.py counts the work instead).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from portfolio import create_app, db, migrate  # noqa: E402
from portfolio.auth import services  # noqa: E402

PASSWORD = "Bench-Password-2026!"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("database", nargs="?", default="sqlite", choices=["sqlite", "postgresql"])
    parser.add_argument("--runs", type=int, default=25)
    args = parser.parse_args()
    pg_url = None
    if args.database == "postgresql":
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
        from tests.conftest import create_pg_database

        url = pg_url = create_pg_database("login_bench")
    else:
        url = f"sqlite:///{tempfile.mkdtemp()}/login.db"
    migrate.upgrade(url)
    app = create_app({"ENV_MODE": "testing", "DATABASE_URL": url, "SECRET_KEY": "b" * 40,
                      "PASSWORD_HASH_PROFILE": "strong", "LOGIN_ACCOUNT_SLOW_AFTER": 10**6,
                      "LOGIN_MAX_FAILURES_PER_ACCOUNT": 10**6})
    with app.app_context():
        services.create_user(email="fiduciario@bench.pe", name="Fiduciario", role="trustee", password=PASSWORD)
        db.session.commit()

    def timed(email: str, n: int) -> float:
        with app.app_context():
            started = time.perf_counter()
            result = services.authenticate(email, "clave-equivocada-larga", f"10.{n // 250}.{n % 250}.9")
            elapsed = time.perf_counter() - started
            assert result.user is None
            db.session.rollback()
            return elapsed * 1000

    timed("calentamiento@bench.pe", 0)
    unknown, wrong = [], []
    for n in range(args.runs):  # interleaved, so load on the machine affects both alike
        unknown.append(timed(f"nadie{n}@bench.pe", 2 * n + 1))
        wrong.append(timed("fiduciario@bench.pe", 2 * n + 2))
    mu, mw = statistics.median(unknown), statistics.median(wrong)
    print(f"database: {args.database}, argon2 profile: strong, runs: {args.runs}")
    print(f"unknown e-mail   median {mu:8.1f} ms")
    print(f"wrong password   median {mw:8.1f} ms")
    print(f"ratio unknown/wrong     {mu / mw:8.2f}")
    app.extensions["portfolio_db"]["engine"].dispose()
    if pg_url:
        from tests.conftest import drop_pg_database

        drop_pg_database(pg_url)


if __name__ == "__main__":
    main()
