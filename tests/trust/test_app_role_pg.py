"""PostgreSQL only: the production application role (``flask --app portfolio db grant-app-role``) works
the trust as usual but cannot rewrite history, disable a trigger or truncate a table; only the owner that
runs the migrations could, and the application never connects as the owner."""
from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from portfolio import create_app, db, migrate
from tests.conftest import PG_ADMIN_URL, create_pg_database, drop_pg_database
from tests.trust.conftest import World

pytestmark = pytest.mark.postgresql_only
D = Decimal


def make_app(url: str):
    return create_app({"ENV_MODE": "testing", "TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "x" * 40,
                       "PASSWORD_HASH_PROFILE": "fast", "DEMO_DATA": False, "SERVER_NAME": "localhost"})


@pytest.fixture
def role_db(monkeypatch):
    url = create_pg_database("portfolio_app_role")
    role, password = f"portfolio_app_{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    try:
        migrate.upgrade(url)
        owner = make_app(url)
        with owner.app_context():
            from portfolio import seeding

            seeding.load_reference()
            db.session.commit()
        monkeypatch.setenv("TEST_APP_ROLE_PASSWORD", password)
        result = owner.test_cli_runner().invoke(args=["db", "grant-app-role", "--role", role,
                                                      "--password-env", "TEST_APP_ROLE_PASSWORD"])
        assert result.exit_code == 0, result.output
        again = owner.test_cli_runner().invoke(args=["db", "grant-app-role", "--role", role])  # idempotent
        assert again.exit_code == 0, again.output
        owner.extensions["portfolio_db"]["engine"].dispose()
        base, name = url.rsplit("/", 1)
        host = base.split("@", 1)[1]
        yield f"postgresql+psycopg://{role}:{password}@{host}/{name}"
    finally:
        drop_pg_database(url)
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
        admin.dispose()


def test_app_role_runs_the_trust_but_cannot_rewrite_history(role_db):
    app = make_app(role_db)
    with app.app_context():
        assert db.session.execute(text("SELECT current_user")).scalar_one().startswith("portfolio_app_")
        # ordinary work: inserts, row locks, status moves, cached balances — all committed
        w = World()
        db.session.commit()
        w.fund(D("1000.00"))
        d = w.request(D("400.00")).value
        w.approve(d)
        w.execute(d, D("150.00"))
        assert w.position() == {"bank": D("850.00"), "reserved": D("250.00"), "available": D("600.00")}
        refusals = {
            "UPDATE ledger_postings SET debit = debit + 1": "permission denied",
            "DELETE FROM ledger_entries": "permission denied",
            "UPDATE trust_votes SET decision = 'rechazar'": "permission denied",
            "UPDATE trust_payments SET amount = amount + 1": "permission denied",
            "DELETE FROM trust_payments": "permission denied",
            "TRUNCATE trust_votes": "permission denied",
            "TRUNCATE audit_log": "permission denied",
            "ALTER TABLE ledger_postings DISABLE TRIGGER ALL": "must be owner",
            "ALTER TABLE ledger_entries DISABLE TRIGGER ledger_entries_open_period": "must be owner",
            "DROP TRIGGER ledger_postings_append_only ON ledger_postings": "must be owner",
            "SET session_replication_role = replica": "permission denied",
            "CREATE TABLE intruder (id integer)": "permission denied",
        }
        for sql, message in refusals.items():
            with pytest.raises(DBAPIError, match=message):
                db.session.execute(text(sql))
            db.session.rollback()
        result = app.test_cli_runner().invoke(args=["ledger", "verify"])
        assert result.exit_code == 0, result.output
    app.extensions["portfolio_db"]["engine"].dispose()


def test_grant_refuses_a_missing_role_without_password_and_the_owner_itself():
    url = create_pg_database("portfolio_app_role")
    try:
        migrate.upgrade(url)
        owner = make_app(url)
        missing = owner.test_cli_runner().invoke(args=["db", "grant-app-role", "--role", "no_existe_" + uuid.uuid4().hex[:6]])
        assert missing.exit_code != 0 and "no existe" in missing.output
        itself = owner.test_cli_runner().invoke(args=["db", "grant-app-role", "--role", "postgres"])
        assert itself.exit_code != 0 and "superusuario" in itself.output
        owner.extensions["portfolio_db"]["engine"].dispose()
    finally:
        drop_pg_database(url)
