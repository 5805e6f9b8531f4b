"""Helpers shared by tests of several packages (fixtures live in the conftest files)."""
from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from portfolio import db
from portfolio.auth.models import User


@contextmanager
def count_statements(app) -> Iterator[list[str]]:
    """Collect the SQL statements sent to the database inside the block (transaction control excluded)."""
    engine = app.extensions["portfolio_db"]["engine"]
    statements: list[str] = []

    def listener(conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN")):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", listener)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", listener)


def insert_user(role: str, company_id: int | None = None, name: str | None = None) -> User:
    """A user row added to the current session, for service-level tests: it has no usable password and
    writes no audit row (the ``make_user`` fixture creates real accounts through the auth service)."""
    user = User(email=f"{role}-{uuid.uuid4().hex[:10]}@prueba.pe", name=name or f"Usuario {role}", role=role,
                company_id=company_id, active=True, password_hash="!", session_token=uuid.uuid4().hex)
    db.session.add(user)
    db.session.flush()
    return user


class ActingAs:
    """A role holder for service calls in tests that are about a rule, not about who acts (audited as its e-mail)."""

    id = None
    is_authenticated = True
    is_active = True
    active = True

    def __init__(self, role: str, company_id: int | None = None):
        self.role = role
        self.company_id = company_id
        self.email = f"{role}@pruebas.pe"
        self.name = f"Pruebas ({role})"


STAFF_ACTOR = ActingAs("staff")


def require_redis(url: str) -> None:
    """The Redis server at ``url`` must answer: skipped locally without it, a failure in CI (``CI=true``)."""
    import redis

    from tests.conftest import unavailable

    try:
        redis.Redis.from_url(url).ping()
    except redis.exceptions.ConnectionError:
        unavailable(f"Redis is not running at {url}")
