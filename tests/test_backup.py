"""``flask --app portfolio backup PATH`` while the trust keeps writing, then the README's restore into a fresh
database: ``ledger verify`` passes on it and its rows are exactly the source's at one instant."""
from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import threading
import time
import uuid
from decimal import Decimal

import pytest
from sqlalchemy import MetaData, Table, create_engine, select
from stdnum.pe import ruc as ruc_number

from portfolio import create_app, db, migrate
from tests.conftest import create_pg_database, drop_pg_database

# Append-only tables the writer inserts into (compared row by row); ledger_accounts' cached balances change
# with every posting and are checked by ``ledger verify`` against the restored postings instead.
APPEND_ONLY = ("trust_contributions", "trust_contribution_versions", "ledger_entries", "ledger_postings",
               "ledger_commands", "audit_log")
TODAY = dt.date(2026, 6, 20)


def make_app(url: str):
    return create_app({"ENV_MODE": "testing", "TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "r" * 40,
                       "PASSWORD_HASH_PROFILE": "fast", "DEMO_DATA": False, "SERVER_NAME": "localhost"})


@pytest.fixture(params=["sqlite", "postgresql"])
def live(request, tmp_path):
    """A migrated database of its own (the test needs real commits that another connection sees)."""
    created = []

    def new_database(name: str) -> str:
        if request.param == "sqlite":
            return f"sqlite:///{tmp_path / name}.db"
        url = create_pg_database(f"portfolio_{name}")
        created.append(url)
        return url

    url = new_database("origen")
    migrate.upgrade(url)
    app = make_app(url)
    with app.app_context():
        from portfolio import seeding

        seeding.load_reference()
        db.session.commit()
    yield request.param, app, url, new_database
    app.extensions["portfolio_db"]["engine"].dispose()
    for created_url in created:
        drop_pg_database(created_url)


def writer(app, stop: threading.Event, committed: list, failures: list) -> None:
    """Declares month after month for one company after another, one committed declaration at a time."""
    from portfolio.auth.models import User
    from portfolio.orgs.models import Company
    from portfolio.trust.services import contributions

    try:
        with app.app_context():
            while not stop.is_set():
                base = f"20{uuid.uuid4().int % 10**8:08d}"
                company = Company(ruc=base + ruc_number.calc_check_digit(base), legal_name=f"Empresa {base} S.A.C.",
                                  sector="mineria", ubigeo="130101", active=True)
                db.session.add(company)
                db.session.flush()
                user = User(email=f"e{base}@prueba.pe", name="Empresa", role="company", company_id=company.id,
                            active=True, password_hash="!", session_token=uuid.uuid4().hex)
                db.session.add(user)
                db.session.commit()
                month = dt.date(2024, 1, 1)
                while month < dt.date(2026, 5, 1) and not stop.is_set():
                    contributions.declare(company_id=company.id, month=month, payroll=Decimal("250000.00"),
                                          headcount=5, actor=user, key=uuid.uuid4().hex, today=TODAY)
                    db.session.commit()
                    committed.append(month)
                    month = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
    except Exception as exc:  # reported by the test, which then fails
        failures.append(exc)


def wait_for(condition, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the writer did not make progress"
        time.sleep(0.05)


def rows(url: str, table: str) -> list[tuple]:
    engine = create_engine(url)
    try:
        reflected = Table(table, MetaData(), autoload_with=engine)
        order = reflected.c.id if "id" in reflected.c else list(reflected.c)[0]
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(select(reflected).order_by(order))]
    finally:
        engine.dispose()


def restore(kind: str, backup_file, new_database) -> str:
    """The restore the README documents, step by step."""
    url = new_database("restaurada")
    if kind == "sqlite":
        shutil.copyfile(backup_file, url.removeprefix("sqlite:///"))
    else:
        libpq = url.replace("postgresql+psycopg://", "postgresql://")
        subprocess.run(["pg_restore", "--no-owner", "--exit-on-error", f"--dbname={libpq}", str(backup_file)],
                       check=True, capture_output=True, text=True)
    return url


def test_backup_while_writing_restores_a_consistent_copy(live, tmp_path):
    kind, app, url, new_database = live
    stop, committed, failures = threading.Event(), [], []
    thread = threading.Thread(target=writer, args=(app, stop, committed, failures), daemon=True)
    thread.start()
    try:
        wait_for(lambda: len(committed) >= 15 or failures)
        started_with = len(committed)
        target = tmp_path / ("respaldo.db" if kind == "sqlite" else "respaldo.dump")
        result = app.test_cli_runner().invoke(args=["backup", str(target)])
        ended_with = len(committed)
        assert result.exit_code == 0, result.output
        assert "Respaldo escrito en" in result.output and target.stat().st_size > 0
        wait_for(lambda: len(committed) >= ended_with + 10 or failures)  # the writer kept going
    finally:
        stop.set()
        thread.join(60)
    assert not failures, failures

    restored = restore(kind, target, new_database)
    copy = make_app(restored)
    try:
        verify = copy.test_cli_runner().invoke(args=["ledger", "verify"])
        assert verify.exit_code == 0, verify.output
        assert "Libro mayor conforme" in verify.output
    finally:
        copy.extensions["portfolio_db"]["engine"].dispose()

    # The copy is the source at one instant: every append-only table holds exactly the source's first rows.
    declared = rows(restored, "trust_contributions")
    assert started_with <= len(declared) <= ended_with + 1  # what was committed when the backup ran
    for table in APPEND_ONLY:
        copied, source = rows(restored, table), rows(url, table)
        assert copied == source[:len(copied)], table
    assert len(rows(url, "trust_contributions")) > len(declared)  # writes went on after the snapshot
    assert rows(restored, "alembic_version") == rows(url, "alembic_version") != []


def test_backup_refuses_to_overwrite_and_reports_in_spanish(live, tmp_path):
    _kind, app, _url, _new = live
    existing = tmp_path / "ya-existe.bak"
    existing.write_text("no tocar")
    result = app.test_cli_runner().invoke(args=["backup", str(existing)])
    assert result.exit_code != 0 and "ya existe" in result.output
    assert existing.read_text() == "no tocar"
    missing_dir = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "no" / "hay" / "x.bak")])
    assert missing_dir.exit_code != 0 and "no existe" in missing_dir.output
