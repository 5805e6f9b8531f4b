"""Configuration read from the environment, with safe defaults for development.

Every environment variable the application reads is read here (``tests/test_layout.py`` fails on an
``os.environ`` read anywhere else in ``portfolio/``): ``load_config`` for the app's settings, and the three
small functions at the end for what is read outside an app (the command line's password, the clock's zone
without an app, the environment handed to ``pg_dump``).

Production (``PORTFOLIO_ENV=production``) refuses to start without ``SECRET_KEY`` and, unless
``ALLOW_SQLITE_IN_PRODUCTION=1``, without a ``DATABASE_URL`` pointing at a server database.
"""
from __future__ import annotations

import os
import re
import secrets
from decimal import Decimal
from pathlib import Path

from portfolio import clock

INSTANCE_DIR = Path(__file__).resolve().parent.parent / "instance"
DEFAULT_SQLITE_URL = f"sqlite:///{INSTANCE_DIR / 'portfolio.db'}"
DEFAULT_OC4IDS_PREFIX = "oc4ids-000000"


class ConfigError(RuntimeError):
    """The environment does not describe a safe configuration."""


def _flag(env: dict[str, str], name: str, default: bool = False) -> bool:
    value = env.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def load_config(env: dict[str, str] | None = None) -> dict[str, object]:
    env = dict(os.environ if env is None else env)
    mode = env.get("PORTFOLIO_ENV", "development").strip().lower()
    if mode not in {"development", "production", "testing"}:
        raise ConfigError(f"PORTFOLIO_ENV desconocido: {mode!r} (use development, production o testing)")
    production = mode == "production"
    database_url = env.get("DATABASE_URL") or DEFAULT_SQLITE_URL
    secret_key = env.get("SECRET_KEY")

    if production:
        if not secret_key or len(secret_key) < 32:
            raise ConfigError("En producción SECRET_KEY es obligatorio y debe tener al menos 32 caracteres.")
        if database_url.startswith("sqlite") and not _flag(env, "ALLOW_SQLITE_IN_PRODUCTION"):
            raise ConfigError(
                "En producción use PostgreSQL mediante DATABASE_URL "
                "(o ALLOW_SQLITE_IN_PRODUCTION=1 si de verdad quiere SQLite)."
            )
    timezone = env.get("TIMEZONE", "").strip() or clock.DEFAULT_TIMEZONE
    try:
        clock.load_zone(timezone)
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc
    log_level = env.get("LOG_LEVEL", "INFO").strip().upper() or "INFO"
    if log_level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
        raise ConfigError(f"LOG_LEVEL desconocido: {log_level!r} (use DEBUG, INFO, WARNING o ERROR)")
    smtp_url = env.get("SMTP_URL", "").strip() or None
    if smtp_url and not smtp_url.startswith(("smtp://", "smtps://")):
        raise ConfigError("SMTP_URL debe empezar por smtp:// o smtps:// (p. ej. smtp://usuario:clave@correo:587?starttls=1)")
    # OC4IDS project identifier prefix: ``oc4ids-`` and the six characters the Open Contracting Partnership
    # registers for this publisher (README «Datos abiertos» says how to ask for one). The default is a
    # placeholder of the right shape, for development and tests only.
    oc4ids_prefix = env.get("OC4IDS_PREFIX", "").strip() or DEFAULT_OC4IDS_PREFIX
    if not re.fullmatch(r"oc4ids-[a-z0-9]{6}", oc4ids_prefix):
        raise ConfigError(f"OC4IDS_PREFIX inválido: {oc4ids_prefix!r} (forma oc4ids-xxxxxx, seis letras "
                          "minúsculas o dígitos registrados ante Open Contracting Partnership)")
    store = env.get("DOCUMENT_STORE", "local").strip().lower() or "local"
    if store not in {"local", "s3"}:
        raise ConfigError(f"DOCUMENT_STORE desconocido: {store!r} (use local o s3)")
    if store == "s3" and not env.get("DOCUMENT_S3_BUCKET"):
        raise ConfigError("DOCUMENT_STORE=s3 necesita DOCUMENT_S3_BUCKET (el bucket donde se guardan los documentos).")
    if not secret_key:
        # Development only: a per-process key; sessions end when the server restarts.
        secret_key = secrets.token_hex(32)

    return {
        "ENV_MODE": mode,
        "SECRET_KEY": secret_key,
        "DATABASE_URL": database_url,
        # PostgreSQL parallel query workers per statement (max_parallel_workers_per_gather) for the app's
        # connections: 0 by default — the pages' aggregates are short, starting a worker costs more than it
        # saves, and the workers would compete with the other gunicorn processes for the cores. Empty = the
        # server's own setting.
        "PG_PARALLEL_WORKERS": env.get("PG_PARALLEL_WORKERS", "0").strip(),
        # Move what start-up built (modules, mappers, templates' machinery: about 220,000 objects) out of the
        # garbage collector's full passes (``gc.freeze``), on by default in production (``portfolio.create_app``).
        "GC_FREEZE": _flag(env, "GC_FREEZE", default=production),
        # Business dates (due dates, postings, "today") are the calendar date in this zone.
        "TIMEZONE": timezone,
        "DEMO_DATA": _flag(env, "DEMO_DATA", default=not production),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production or _flag(env, "SESSION_COOKIE_SECURE"),
        "SESSION_COOKIE_NAME": "portfolio_session",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "PERMANENT_SESSION_LIFETIME": int(env.get("SESSION_HOURS", "8")) * 3600,
        # The signed-in session ends SESSION_HOURS after the login, whatever the cookie says (the server-side
        # session's expires_at): re-signing the cookie on every response to slide its expiry would buy
        # nothing. It is sent when its content changes (login, a message, the CSRF token).
        "SESSION_REFRESH_EACH_REQUEST": False,
        "MAX_CONTENT_LENGTH": int(env.get("MAX_UPLOAD_MB", "10")) * 1024 * 1024,
        "MAX_FORM_MEMORY_SIZE": 1024 * 1024,
        "WTF_CSRF_ENABLED": True,
        "WTF_CSRF_TIME_LIMIT": 8 * 3600,
        "BOOTSTRAP_SERVE_LOCAL": True,
        "PASSWORD_HASH_PROFILE": env.get("PASSWORD_HASH_PROFILE", "strong"),
        # Login throttling (portfolio/auth/throttle.py), over the last LOGIN_LOCK_MINUTES: failures for one
        # account from one address lock that address out of the account; failures from one address lock the
        # address; failures for one account from everywhere slow the account (never lock it).
        "LOGIN_MAX_FAILURES_PER_ACCOUNT": int(env.get("LOGIN_MAX_FAILURES_PER_ACCOUNT", "5")),
        "LOGIN_MAX_FAILURES_PER_ADDRESS": int(env.get("LOGIN_MAX_FAILURES_PER_ADDRESS", "20")),
        "LOGIN_LOCK_MINUTES": int(env.get("LOGIN_LOCK_MINUTES", "15")),
        "LOGIN_ACCOUNT_SLOW_AFTER": int(env.get("LOGIN_ACCOUNT_SLOW_AFTER", "50")),
        "LOGIN_ACCOUNT_SLOW_SECONDS": int(env.get("LOGIN_ACCOUNT_SLOW_SECONDS", "10")),
        "LOGIN_KNOWN_ADDRESS_DAYS": int(env.get("LOGIN_KNOWN_ADDRESS_DAYS", "90")),
        "TRUSTED_PROXIES": int(env.get("TRUSTED_PROXIES", "0")),
        # Logging to stderr (portfolio/logging_setup.py): DEBUG, INFO, WARNING, ERROR.
        "LOG_LEVEL": log_level,
        "PAGE_SIZE": 25,
        # The address people open the app at (https://cartera.region.gob.pe): QR codes of issued PDFs, links in
        # e-mails and calendar feed URLs (portfolio/urls.py). Empty: the request's address (on the command line,
        # the development server's).
        "PUBLIC_URL": env.get("PUBLIC_URL", "").strip().rstrip("/"),
        # Spreadsheet imports: largest file and most data rows accepted.
        "IMPORT_MAX_MB": Decimal(env.get("IMPORT_MAX_MB", "5")),
        "IMPORT_MAX_ROWS": int(env.get("IMPORT_MAX_ROWS", "20000")),
        # MEF's execution CSV (streamed, never loaded whole): largest upload through the web page; the command
        # line (``flask mef importar``) has no limit. Link to MEF's public consultation of a CUI ({cui}).
        "MEF_IMPORT_MAX_MB": int(env.get("MEF_IMPORT_MAX_MB", "1024")),
        "MEF_CONSULTA_URL": env.get("MEF_CONSULTA_URL", "https://ofi5.mef.gob.pe/ssi/Ssi/Index?codigo={cui}&tipo=2"),
        # Excel exports (portfolio/exports/): the runner (thread | rq | inline, checked when the exports
        # package is registered), where files are kept, what runs in the background.
        "EXPORT_QUEUE": env.get("EXPORT_QUEUE", "thread"),
        "EXPORT_DIR": env.get("EXPORT_DIR") or str(INSTANCE_DIR / "exports"),
        "EXPORT_SYNC_MAX_ROWS": int(env.get("EXPORT_SYNC_MAX_ROWS", "5000")),
        "EXPORT_THREADS": int(env.get("EXPORT_THREADS", "2")),
        "EXPORT_JOB_TIMEOUT_MINUTES": int(env.get("EXPORT_JOB_TIMEOUT_MINUTES", "60")),
        "EXPORT_RQ_QUEUE": env.get("EXPORT_RQ_QUEUE", "portfolio-exports"),
        "REDIS_URL": env.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        # JSON API rate limits (portfolio/api/limits.py), Flask-Limiter notation ("300 per minute"). Counters in
        # memory by default; a redis:// URL shares them between the workers of every host.
        "API_RATELIMIT_ENABLED": _flag(env, "API_RATELIMIT_ENABLED", default=True),
        "API_RATELIMIT_STORAGE_URI": env.get("API_RATELIMIT_STORAGE_URI", "memory://"),
        "API_RATELIMIT_PER_TOKEN": env.get("API_RATELIMIT_PER_TOKEN", "300 per minute"),
        "API_RATELIMIT_PER_ADDRESS": env.get("API_RATELIMIT_PER_ADDRESS", "600 per minute"),
        # Notices (portfolio/notifications/): e-mail through SMTP_URL (unset: nothing is sent, the pages say
        # so), from MAIL_FROM, with links to PUBLIC_URL.
        "SMTP_URL": smtp_url,
        "MAIL_FROM": env.get("MAIL_FROM", "avisos@localhost").strip(),
        "OC4IDS_PREFIX": oc4ids_prefix,
        # Page cache of the public portal (portfolio/page_cache.py): empty = in each worker's memory,
        # redis://… = shared by every worker and host, none = off. Entries also expire after PAGE_CACHE_SECONDS.
        "PAGE_CACHE_URL": env.get("PAGE_CACHE_URL", "").strip(),
        "PAGE_CACHE_SECONDS": int(env.get("PAGE_CACHE_SECONDS", "3600")),
        # How long a worker trusts the data version it read (seconds; 0 = read it on every request).
        "PAGE_CACHE_VERSION_SECONDS": int(env.get("PAGE_CACHE_VERSION_SECONDS", "1")),
        # Signed-in pages kept for their session until the data changes (portfolio/kept_pages.py), in the
        # same store: at most KEPT_PAGES_SECONDS (0 = off) and, in a worker's memory, KEPT_PAGES_ENTRIES pages.
        "KEPT_PAGES_SECONDS": int(env.get("KEPT_PAGES_SECONDS", "600")),
        "KEPT_PAGES_ENTRIES": int(env.get("KEPT_PAGES_ENTRIES", "500")),
        # Documents (portfolio/documents/): largest file, where files are kept (local | s3) and the bucket.
        "DOCUMENT_MAX_MB": int(env.get("DOCUMENT_MAX_MB", "10")),
        "DOCUMENT_STORE": store,
        "DOCUMENT_DIR": env.get("DOCUMENT_DIR") or str(INSTANCE_DIR / "documents"),
        "DOCUMENT_STAGING_DIR": env.get("DOCUMENT_STAGING_DIR", ""),
        "DOCUMENT_S3_BUCKET": env.get("DOCUMENT_S3_BUCKET", ""),
        "DOCUMENT_S3_ENDPOINT": env.get("DOCUMENT_S3_ENDPOINT", ""),
        "DOCUMENT_S3_REGION": env.get("DOCUMENT_S3_REGION", ""),
        "DOCUMENT_S3_PREFIX": env.get("DOCUMENT_S3_PREFIX", "documentos/"),
        "DOCUMENT_S3_ACCESS_KEY": env.get("DOCUMENT_S3_ACCESS_KEY", ""),
        "DOCUMENT_S3_SECRET_KEY": env.get("DOCUMENT_S3_SECRET_KEY", ""),
    }


def cli_password() -> str | None:
    """``PORTFOLIO_PASSWORD``: the password the user commands use when ``--password`` is omitted (read when
    the command runs, so it never sits in the app's configuration)."""
    return os.environ.get("PORTFOLIO_PASSWORD") or None


def environment_timezone() -> str | None:
    """``TIMEZONE`` for code running outside an app (the clock uses the app's setting when there is one)."""
    return os.environ.get("TIMEZONE") or None


def child_environment() -> dict[str, str]:
    """The environment handed to a child process (``pg_dump``), which may add its own variables to it."""
    return dict(os.environ)


def secret_from_environment(name: str) -> str | None:
    """A secret whose variable the operator names on the command line (``db grant-app-role
    --password-env VAR``): read when the command runs, never kept in the app's configuration."""
    return os.environ.get(name) or None
