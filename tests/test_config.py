"""Production refuses unsafe configuration."""
import pytest

from portfolio.config import ConfigError, load_config


def test_production_requires_secret_key():
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_config({"PORTFOLIO_ENV": "production", "DATABASE_URL": "postgresql://db/x"})
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_config({"PORTFOLIO_ENV": "production", "SECRET_KEY": "corta", "DATABASE_URL": "postgresql://db/x"})


def test_production_refuses_sqlite_unless_allowed():
    env = {"PORTFOLIO_ENV": "production", "SECRET_KEY": "k" * 40}
    with pytest.raises(ConfigError, match="PostgreSQL"):
        load_config(env)
    config = load_config({**env, "ALLOW_SQLITE_IN_PRODUCTION": "1"})
    assert config["DATABASE_URL"].startswith("sqlite")


def test_production_defaults_are_safe():
    config = load_config({"PORTFOLIO_ENV": "production", "SECRET_KEY": "k" * 40, "DATABASE_URL": "postgresql://db/x"})
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["DEMO_DATA"] is False
    assert config["SESSION_COOKIE_HTTPONLY"] is True


def test_development_defaults():
    config = load_config({})
    assert config["DATABASE_URL"].startswith("sqlite:///") and config["DATABASE_URL"].endswith("instance/portfolio.db")
    assert config["DEMO_DATA"] is True and len(config["SECRET_KEY"]) >= 32


def test_unknown_mode_is_refused():
    with pytest.raises(ConfigError):
        load_config({"PORTFOLIO_ENV": "produccion"})


@pytest.mark.postgresql_only
def test_the_app_connections_start_no_parallel_query_workers_unless_configured(app, database_url):
    """PG_PARALLEL_WORKERS (default 0) reaches every connection of the app; a value that is not a whole
    number is refused when the engine is made."""
    from sqlalchemy import text

    from portfolio import db

    assert load_config({})["PG_PARALLEL_WORKERS"] == "0"
    with app.extensions["portfolio_db"]["engine"].connect() as conn:
        assert conn.execute(text("SHOW max_parallel_workers_per_gather")).scalar() == "0"
    engine = db.make_engine(database_url, parallel_workers="2")
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SHOW max_parallel_workers_per_gather")).scalar() == "2"
    finally:
        engine.dispose()
    with pytest.raises(ValueError, match="PG_PARALLEL_WORKERS"):
        db.make_engine(database_url, parallel_workers="dos")


def test_production_freezes_what_start_up_built_out_of_the_garbage_collector(tmp_path):
    """In production the objects start-up created leave the collector's passes (``gc.freeze``); a development or
    test app leaves the collector alone (test runs build many apps)."""
    import subprocess
    import sys

    code = ("import gc, os; from portfolio import create_app; before = gc.get_freeze_count(); "
            "create_app({'DATABASE_URL': 'sqlite:///%s', 'SECRET_KEY': 'k' * 40}); "
            "print(before, gc.get_freeze_count())") % (tmp_path / "gc.db")
    env = {"PATH": "/usr/bin:/bin", "PORTFOLIO_ENV": "production", "SECRET_KEY": "k" * 40,
           "DATABASE_URL": f"sqlite:///{tmp_path / 'gc.db'}", "ALLOW_SQLITE_IN_PRODUCTION": "1"}
    frozen = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert frozen.returncode == 0, frozen.stderr[-2000:]
    before, after = map(int, frozen.stdout.split()[-2:])
    assert before == 0 and after > 100_000
    plain = subprocess.run([sys.executable, "-c", code], env={**env, "GC_FREEZE": "0"}, capture_output=True,
                           text=True, timeout=120)
    assert plain.returncode == 0, plain.stderr[-2000:]
    assert plain.stdout.split()[-2:] == ["0", "0"]
