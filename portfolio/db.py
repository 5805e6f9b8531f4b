"""Database plumbing: the declarative base, the money column type and the request-scoped session.

``session`` is a scoped session bound to the current Flask app's engine. Views commit once per
request; services only ``add``/``flush``. Tests replace the app's session factory with one bound to
an outer transaction (see tests/conftest.py).
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from flask import current_app, g
from sqlalchemy import BigInteger, DateTime, MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, scoped_session, sessionmaker
from sqlalchemy.types import TypeDecorator

from portfolio.money import CENT, to_cents

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Money(TypeDecorator):
    """Soles as integer céntimos in the database, ``Decimal`` with two places in Python.

    Exact on SQLite (which would sum ``NUMERIC`` as floating point) and PostgreSQL alike. Refuses
    values with more than two decimals instead of rounding them silently.
    """

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return to_cents(value)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return (Decimal(int(value)) * CENT).quantize(CENT)

    def process_literal_param(self, value, dialect):  # pragma: no cover - used by literal SQL only
        return str(self.process_bind_param(value, dialect))


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on both SQLite and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime stored; use utcnow()")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def make_engine(url: str, **kwargs) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, **kwargs)
        _sqlite_transactions(engine)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _sqlite_transactions(engine: Engine) -> None:
    """SQLAlchemy's documented pysqlite recipe: let SQLAlchemy emit BEGIN so SAVEPOINTs work,
    and turn on foreign keys."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        # Readers never block the writer (background export jobs write progress while rows stream).
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        # IMMEDIATE by default: a transaction takes SQLite's write lock when it begins (waiting up to the
        # busy timeout), so a request that reads and then writes never fails with SQLITE_BUSY_SNAPSHOT
        # because a background job committed in between. Long read-only work (export jobs streaming
        # rows) asks for DEFERRED with ``read_only_transaction`` so it never blocks writers.
        mode = conn.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        conn.exec_driver_sql(f"BEGIN {mode}")


def _session_factory():
    return current_app.extensions["portfolio_db"]["sessionmaker"]()


def _scope():
    # One session per application context (a request, a CLI command, a test block).
    return id(g._get_current_object())


session = scoped_session(_session_factory, scopefunc=_scope)


def init_app(app) -> None:
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["portfolio_db"] = {
        "engine": engine,
        "sessionmaker": sessionmaker(bind=engine, expire_on_commit=False),
    }

    @app.teardown_appcontext
    def _remove_session(exc):
        session.remove()


def read_only_transaction(sess=None) -> None:
    """End the session's current transaction and start a read-only one that never blocks writers
    (DEFERRED on SQLite; PostgreSQL readers never block writers anyway)."""
    sess = sess or session
    sess.rollback()
    sess.connection(execution_options={"sqlite_begin": "DEFERRED"})


def insert_unique(obj, message: str, field: str | None = None) -> None:
    """Add and flush ``obj`` in a savepoint; a unique violation becomes a Spanish ``DomainError`` (carrying
    ``message`` and ``field``) and leaves the rest of the transaction intact."""
    from sqlalchemy.exc import IntegrityError

    from portfolio.errors import DomainError

    try:
        with session.begin_nested():
            session.add(obj)
            session.flush()
    except IntegrityError as exc:
        raise DomainError(message, field=field) from exc


def commit_or_rollback(action, on_error):
    """The request contract of every door (form, CLI): run one service, commit once when it succeeds; on a
    ``DomainError`` roll everything back (nothing partial is written) and return ``on_error(exc)``."""
    from portfolio.errors import DomainError

    try:
        value = action()
    except DomainError as exc:
        session.rollback()
        return on_error(exc)
    session.commit()
    return value


def engine() -> Engine:
    return current_app.extensions["portfolio_db"]["engine"]


def is_postgresql() -> bool:
    return engine().dialect.name == "postgresql"
