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
