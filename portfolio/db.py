"""Database plumbing: the request-scoped session, the engine and SQLite's transaction recipe.

``session`` is a scoped session bound to the current Flask app's engine. Views commit once per
request; services only ``add``/``flush``. Tests replace the app's session factory with one bound to
an outer transaction (see tests/conftest.py). Flask is imported only when the session is first used
inside an application context, so services that use ``session`` load without a web framework. The
column types and ``Base`` live in :mod:`portfolio.db_types` and are re-exported here.
"""
from __future__ import annotations

import functools
import time

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import scoped_session, sessionmaker

from portfolio.db_types import NAMING_CONVENTION, Base, Money, UTCDateTime, utcnow

__all__ = [
    "NAMING_CONVENTION", "Base", "Money", "UTCDateTime", "utcnow", "engine", "init_app", "is_postgresql",
    "make_engine", "read_only_transaction", "session",
]


def make_engine(url: str, *, parallel_workers: str = "", **kwargs) -> Engine:
    """The engine for ``url``; on PostgreSQL ``parallel_workers`` (digits) sets the connections'
    ``max_parallel_workers_per_gather`` (setting ``PG_PARALLEL_WORKERS``; empty = the server's)."""
    if url.startswith("sqlite"):
        engine = create_engine(url, **kwargs)
        _sqlite_transactions(engine)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    if parallel_workers:
        if not parallel_workers.isdigit():
            raise ValueError(f"PG_PARALLEL_WORKERS debe ser un número entero ≥ 0: {parallel_workers!r}")
        kwargs["connect_args"] = {**kwargs.get("connect_args", {}),
                                  "options": f"-c max_parallel_workers_per_gather={int(parallel_workers)}"}
    engine = create_engine(url, **kwargs)
    _ping_when_idle(engine)
    return engine


PING_AFTER_IDLE_SECONDS = 10.0


def _ping_when_idle(engine: Engine) -> None:
    """A pooled connection that sat unused for more than ``PING_AFTER_IDLE_SECONDS`` is pinged before it is
    handed out; a dead one (the server restarted, a firewall dropped it) is replaced, and the request never
    sees it. SQLAlchemy's ``pool_pre_ping`` pings on every checkout, a round trip before every request and
    money command, though a connection used a moment ago is as alive as a ping would show. A connection that
    dies while in use still fails its request (a Spanish 503, ``portfolio.errors``), with or without a ping,
    and the pool then replaces all the connections it had opened before."""
    from sqlalchemy.exc import DisconnectionError

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection, record) -> None:
        record.info["checked_in_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection, record, _proxy) -> None:
        since = record.info.pop("checked_in_at", None)  # None: just opened
        if since is None or time.monotonic() - since <= PING_AFTER_IDLE_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as exc:
            raise DisconnectionError(f"conexión inactiva sin respuesta: {exc}") from exc  # the pool opens another


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
        # because a background job committed in between. Read-only requests (GET, HEAD) and long read-only
        # work (export jobs streaming rows, ``read_only_transaction``) begin DEFERRED: they read a WAL
        # snapshot, never queue behind the write lock and never block writers.
        mode = conn.get_execution_options().get("sqlite_begin") or _default_begin()
        conn.exec_driver_sql(f"BEGIN {mode}")


READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _default_begin() -> str:
    """DEFERRED inside a read-only request (its views never write: every state change is a POST), else
    IMMEDIATE (POSTs, the command line, background jobs)."""
    from flask import has_request_context, request

    return "DEFERRED" if has_request_context() and request.method in READ_METHODS else "IMMEDIATE"


def _session_factory():
    from flask import current_app

    return current_app.extensions["portfolio_db"]["sessionmaker"]()


def _scope():
    # One session per application context (a request, a CLI command, a test block).
    from flask import g

    return id(g._get_current_object())


session = scoped_session(_session_factory, scopefunc=_scope)


def init_app(app) -> None:
    engine = make_engine(app.config["DATABASE_URL"], parallel_workers=str(app.config.get("PG_PARALLEL_WORKERS", "")))
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


def when_transaction_ends(action) -> None:
    """Call ``action()`` once the session's current transaction has ended (committed, rolled back or closed at
    the end of the request), when its connection has gone back to the pool: work that must not wait on the
    locks this transaction holds. Not called if the session never ends its transaction."""
    sess = session()
    done = []

    def ended(_session, transaction) -> None:
        if transaction.parent is None and not done:  # the outermost transaction, not a savepoint
            done.append(True)
            action()

    event.listen(sess, "after_transaction_end", ended)


def named_lock(key: str) -> None:
    """Serialise, until this transaction ends, every transaction that takes the lock named ``key``
    (PostgreSQL: an advisory transaction lock on the key's 64-bit hash; a collision only makes one wait).
    On SQLite the transaction already holds the database's write lock from its start (IMMEDIATE)."""
    if is_postgresql():
        session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": key})
    else:
        session.connection()  # begins the IMMEDIATE transaction: SQLite's write lock is held from here


@functools.cache
def _insert(model, dialect: str | None):
    """INSERT … RETURNING every column of ``model``'s table, and with ``dialect`` ON CONFLICT DO NOTHING, with
    the attribute each returned column fills: built once, the values bound when it runs (the money commands
    send these on every call)."""
    table, mapper = model.__table__, model.__mapper__
    if dialect is None:
        from sqlalchemy import insert
    elif dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(table) if dialect is None else insert(table).on_conflict_do_nothing()
    columns = {prop.key: prop.columns[0].key for prop in mapper.column_attrs}  # attribute → column
    attributes = {column: attribute for attribute, column in columns.items()}
    return statement.returning(*table.c), [attributes[column.key] for column in table.c], columns


def _inserted(sess, model, dialect: str | None, values: dict):
    """Send the INSERT and put the row it returns in the session as a persistent object, as if read back:
    a Core statement, without the ORM's bulk-insert machinery (None when nothing was inserted)."""
    statement, _attributes, columns = _insert(model, dialect)
    row = sess.execute(statement, {columns[name]: value for name, value in values.items()}).first()
    return None if row is None else adopt(sess, model, row)


def adopt(sess, model, row):
    """The object of a row an INSERT … RETURNING gave back (every column of ``model``'s table, in order), in
    the session as a persistent object, as if read back."""
    from sqlalchemy.orm import make_transient_to_detached

    attributes = _insert(model, None)[1]
    obj = model(**dict(zip(attributes, row[:len(attributes)], strict=True)))
    make_transient_to_detached(obj)
    stale = sess.identity_map.get(sess.identity_key(instance=obj))
    if stale is not None:  # left by a rolled-back transaction whose id SQLite gave again
        sess.expunge(stale)
    sess.add(obj)
    return obj


def insert_row(sess, model, values: dict):
    """INSERT … RETURNING the row, in the session as a persistent object: one statement, without the unit of
    work's flush (for the hot paths of the money commands)."""
    return _inserted(sess, model, None, values)


def insert_ignoring_conflict(sess, model, values: dict):
    """INSERT … ON CONFLICT DO NOTHING RETURNING the row (PostgreSQL and SQLite): the new object (in the
    session), or None when a row with the same unique key exists. A concurrent insert of the same key waits
    for the other transaction (unique index) and then, if it committed, finds the conflict."""
    return _inserted(sess, model, sess.get_bind().dialect.name, values)


def insert_new(model, values: dict, message: str, field: str | None = None):
    """Insert a row of ``model`` in one statement; when a unique key is taken, a Spanish ``DomainError``
    (``message``, ``field``) and the transaction intact (``insert_unique`` without its savepoint)."""
    from portfolio.domain_errors import DomainError

    row = insert_ignoring_conflict(session, model, values)
    if row is None:
        raise DomainError(message, field=field)
    return row


def insert_unique(obj, message: str, field: str | None = None) -> None:
    """Add and flush ``obj`` in a savepoint; a unique violation becomes a Spanish ``DomainError`` (carrying
    ``message`` and ``field``) and leaves the rest of the transaction intact."""
    from sqlalchemy.exc import IntegrityError

    from portfolio.domain_errors import DomainError

    try:
        with session.begin_nested():
            session.add(obj)
            session.flush()
    except IntegrityError as exc:
        raise DomainError(message, field=field) from exc


def commit_or_rollback(action, on_error):
    """The request contract of every door (form, CLI): run one service, commit once when it succeeds; on a
    ``DomainError`` roll everything back (nothing partial is written) and return ``on_error(exc)``."""
    from portfolio.domain_errors import DomainError

    try:
        value = action()
    except DomainError as exc:
        session.rollback()
        return on_error(exc)
    session.commit()
    return value


def engine() -> Engine:
    from flask import current_app

    return current_app.extensions["portfolio_db"]["engine"]


def is_postgresql() -> bool:
    return engine().dialect.name == "postgresql"


def answers() -> bool:
    """Does the database answer a trivial query? (the health check; a failure is rolled back, never raised)"""
    try:
        session.execute(text("SELECT 1"))
    except Exception:  # the check must answer even when the database is down
        session.rollback()
        return False
    return True
