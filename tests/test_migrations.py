"""One head; upgrade → downgrade → upgrade on SQLite and PostgreSQL; models and migrations agree."""
import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from portfolio import migrate
from portfolio.db import make_engine
from tests.conftest import create_pg_database, drop_pg_database


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migraciones.db'}"
    else:
        url = create_pg_database("portfolio_migrations")
        yield url
        drop_pg_database(url)


def table_names(url):
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_single_head():
    script = ScriptDirectory.from_config(migrate.alembic_config("sqlite://"))
    assert len(script.get_heads()) == 1


def test_upgrade_downgrade_upgrade_and_no_drift(empty_database):
    migrate.upgrade(empty_database)
    tables = table_names(empty_database)
    assert {"users", "companies", "public_entities", "audit_log", "rule_values"} <= tables
    migrate.check(empty_database)  # raises if models and migrations differ
    migrate.downgrade(empty_database, "base")
    assert table_names(empty_database) == set()
    migrate.upgrade(empty_database)
    assert table_names(empty_database) == tables


def test_sqlite_too_old_for_generated_columns_is_refused_in_words(tmp_path, monkeypatch):
    """The embedded default needs SQLite 3.31 (generated columns): an older library gets a Spanish message
    naming the version, not a syntax error."""
    import sqlite3

    monkeypatch.setattr(sqlite3, "sqlite_version_info", (3, 30, 1))
    with pytest.raises(RuntimeError, match=r"Se necesita SQLite 3\.31 o más reciente"):
        migrate.upgrade(f"sqlite:///{tmp_path / 'old.db'}")
