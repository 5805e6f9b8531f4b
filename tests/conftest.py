"""Test fixtures: one app per database (SQLite and PostgreSQL), per-test isolation, logins and factories.

Every test that uses ``app`` runs twice: on SQLite and on PostgreSQL (``TEST_DATABASE_URL``, default the
local server on 127.0.0.1:5432). Tests marked ``postgresql_only`` run on PostgreSQL alone. When
PostgreSQL cannot be reached the PostgreSQL variants fail in CI (``CI`` set) and are skipped with a
visible reason elsewhere.

Isolation: each test runs inside an outer transaction that is rolled back at the end; the app's own
commits become SAVEPOINT releases (SQLAlchemy's "join into an external transaction" recipe; on SQLite
with the pysqlite BEGIN recipe that portfolio.db installs).
"""
from __future__ import annotations

import os
import re
import uuid
from typing import NoReturn

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import sessionmaker

from portfolio import create_app, db, kept_pages, migrate, page_cache
from portfolio.auth.policy import SYSTEM

pytest.register_assert_rewrite("tests.require_all")
# CI (``CI=true``, as ``.ci/run`` sets) or PORTFOLIO_REQUIRE_ALL=1: every service and tool the suite uses must be there.
from tests.require_all import REQUIRE_ALL  # noqa: E402

pytest_plugins = ["tests.require_all"]  # under CI a run that skipped anything fails

PG_ADMIN_URL = os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def unavailable(reason: str) -> NoReturn:
    """A service or tool a test needs is missing: the test fails under ``REQUIRE_ALL`` (so CI never skips what
    it must run) and is skipped otherwise (a developer's machine without it), with ``reason`` either way."""
    if REQUIRE_ALL:
        pytest.fail(reason)
    pytest.skip(reason)
DEMO_PASSWORD = "Prueba-Segura-2026!"


def pytest_generate_tests(metafunc):
    if "database_url" in metafunc.fixturenames:
        only_pg = metafunc.definition.get_closest_marker("postgresql_only") is not None
        params = ["postgresql"] if only_pg else ["sqlite", "postgresql"]
        metafunc.parametrize("database_url", params, indirect=True, scope="session")


def _pg_database_url(name: str) -> str:
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    return f"{base}/{name}"


def pg_available() -> str | None:
    """None when PostgreSQL answers, else the reason."""
    try:
        engine = create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as exc:  # any connection failure
        return f"PostgreSQL no responde en {PG_ADMIN_URL}: {exc.__class__.__name__}"


def create_pg_database(prefix: str = "portfolio_test") -> str:
    reason = pg_available()
    if reason:
        unavailable(reason)
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return _pg_database_url(name)


def drop_pg_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def database_url(request, tmp_path_factory):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        migrate.upgrade(url)
        yield url
    else:
        url = create_pg_database()
        migrate.upgrade(url)
        yield url
        drop_pg_database(url)


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    app = create_app({
        "DOCUMENT_DIR": str(tmp_path_factory.mktemp("documentos")),  # never the instance folder
        "ENV_MODE": "testing",
        "TESTING": True,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "pruebas-" + "x" * 40,
        "PASSWORD_HASH_PROFILE": "fast",
        "DEMO_DATA": False,
        "SERVER_NAME": "localhost",
    })
    with app.app_context():
        from portfolio import seeding

        seeding.load_reference()
        db.session.commit()
    yield app
    app.extensions["portfolio_db"]["engine"].dispose()


@pytest.fixture
def isolated(app):
    """Run the test inside an outer transaction that is rolled back afterwards."""
    engine = app.extensions["portfolio_db"]["engine"]
    connection = engine.connect()
    outer = connection.begin()
    original = app.extensions["portfolio_db"]["sessionmaker"]
    app.extensions["portfolio_db"]["sessionmaker"] = sessionmaker(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    try:
        yield connection
    finally:
        app.extensions["portfolio_db"]["sessionmaker"] = original
        outer.rollback()
        connection.close()
        with app.app_context():  # the rolled-back data may reuse audit ids: forget the pages built on it
            page_cache.clear()
            kept_pages.clear()


@pytest.fixture
def rendering(app, monkeypatch):
    """Every page is rendered, none served again from the kept pages (``portfolio/kept_pages.py``): for the
    tests that count what rendering a page costs."""
    monkeypatch.setitem(app.config, "KEPT_PAGES_OFF", True)


@pytest.fixture
def ctx(app, isolated):
    """An application context whose session sees the test's transaction."""
    with app.app_context():
        yield
        db.session.remove()


class Client:
    """A test client that knows how to log in and post forms with a valid CSRF token."""

    def __init__(self, flask_client):
        self.c = flask_client

    def get(self, url, **kw):
        return self.c.get(url, **kw)

    def csrf_token(self) -> str:
        page = self.c.get("/login") if not self.logged_in else self.c.get("/cuenta/contrasena")
        match = re.search(r'name="csrf-token" content="([^"]+)"', page.get_data(as_text=True))
        assert match, "no CSRF token in page"
        return match.group(1)

    @property
    def logged_in(self) -> bool:
        with self.c.session_transaction() as sess:
            return "_user_id" in sess

    def post(self, url, data=None, *, csrf=True, **kw):
        data = dict(data or {})
        if csrf and "csrf_token" not in data:
            data["csrf_token"] = self.csrf_token()
        return self.c.post(url, data=data, **kw)

    def login(self, email: str, password: str = DEMO_PASSWORD):
        return self.post("/login", {"email": email, "password": password})


@pytest.fixture
def client(app, isolated):
    # Not used as a context manager: a preserved request context would share ``g`` (and with it the
    # database session and the CSRF token) with every other client of the same test.
    return Client(app.test_client())


@pytest.fixture
def make_company(app, isolated):
    from portfolio.orgs import services

    counter = {"n": 0}

    def factory(**kw):
        from stdnum.pe import ruc as ruc_number

        counter["n"] += 1
        base = kw.pop("ruc_base", None) or f"20{(uuid.uuid4().int % 10**8):08d}"
        data = {
            "ruc": base + ruc_number.calc_check_digit(base),
            "legal_name": f"Empresa de Prueba {counter['n']} S.A.C.",
            "sector": "construccion",
            "ubigeo": "130101",
        }
        data.update(kw)
        with app.app_context():
            company = services.create_company(data=data, actor=SYSTEM)
            db.session.commit()
            return company.id

    return factory


@pytest.fixture
def make_user(app, isolated, make_company):
    from portfolio.auth import services

    def factory(role: str, **kw):
        email = kw.pop("email", f"{role}-{uuid.uuid4().hex[:8]}@prueba.pe")
        company_id = kw.pop("company_id", None)
        if role == "company" and company_id is None:
            company_id = make_company()
        with app.app_context():
            user = services.create_user(email=email, name=kw.pop("name", f"Usuario {role}"), role=role,
                                        password=kw.pop("password", DEMO_PASSWORD), company_id=company_id, actor=SYSTEM)
            db.session.commit()
            return {"id": user.id, "email": user.email, "company_id": company_id}

    return factory


@pytest.fixture
def login_as(app, isolated, make_user):
    """``login_as("staff")`` → a logged-in Client (and ``client.user`` describes the user)."""
    clients = []

    def factory(role: str, **kw):
        user = make_user(role, **kw)
        flask_client = app.test_client()
        client = Client(flask_client)
        response = client.login(user["email"])
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        client.user = user
        clients.append(flask_client)
        return client

    yield factory
