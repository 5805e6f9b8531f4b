"""A request whose database connection is dropped in flight gets a Spanish 503 «intente de nuevo»
(the change may or may not have committed), it is logged, and the next request works again.

The fault is real: on PostgreSQL another connection terminates the request's backend with
pg_terminate_backend; on SQLite the request's own DBAPI connection is closed underneath it. Both happen
just before the login's INSERT of the attempt, on a private database with real commits.
"""
from __future__ import annotations

import logging

import pytest
from sqlalchemy import create_engine, event, func, select, text

from portfolio import create_app, db, migrate, seeding
from portfolio.auth.models import LoginAttempt
from tests.conftest import Client, create_pg_database, drop_pg_database


@pytest.fixture(params=["sqlite", "postgresql"])
def private_app(request, tmp_path):
    url = f"sqlite:///{tmp_path / 'corte.db'}" if request.param == "sqlite" else create_pg_database("db_fault")
    migrate.upgrade(url)
    app = create_app({"ENV_MODE": "testing", "DATABASE_URL": url, "SECRET_KEY": "c" * 40,
                      "PASSWORD_HASH_PROFILE": "fast"})
    with app.app_context():
        seeding.load_reference()
        db.session.commit()
    yield app
    app.extensions["portfolio_db"]["engine"].dispose()
    if request.param == "postgresql":
        drop_pg_database(url)


def _drop_connection_before_insert(app, table: str):
    engine = app.extensions["portfolio_db"]["engine"]
    dropped = []

    def cut(conn, cursor, statement, parameters, context, executemany):
        if dropped or not statement.startswith(f"INSERT INTO {table}"):
            return
        dropped.append(statement)
        if engine.dialect.name == "postgresql":
            pid = conn.connection.dbapi_connection.info.backend_pid
            other = create_engine(str(engine.url.render_as_string(hide_password=False)))
            with other.connect() as killer:
                assert killer.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}) is True
            other.dispose()
        else:
            conn.connection.dbapi_connection.close()

    event.listen(engine, "before_cursor_execute", cut)
    return dropped


def test_dropped_connection_answers_a_spanish_503_and_is_logged(private_app, caplog):
    client = Client(private_app.test_client())
    token = client.csrf_token()
    dropped = _drop_connection_before_insert(private_app, "login_attempts")
    with caplog.at_level(logging.ERROR, logger="portfolio.errors"):
        response = client.post("/login", {"email": "alguien@prueba.pe", "password": "una-clave-cualquiera",
                                          "csrf_token": token})
    assert dropped, "the fault was not injected"
    body = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "Intente de nuevo" in body and "revíselo antes de repetirlo" in body
    assert response.headers["Retry-After"] == "5"
    request_id = response.headers["X-Request-ID"]
    assert f"Código de referencia: <code>{request_id}</code>" in body
    errors = [r for r in caplog.records if r.name == "portfolio.errors"]
    assert errors and errors[0].levelno == logging.ERROR
    assert "Database unavailable on POST /login" in errors[0].getMessage()
    assert errors[0].request_id == request_id
    # The pool threw the dead connection away: the next request works.
    assert client.get("/login").status_code == 200
    with private_app.app_context():
        assert db.session.scalar(select(func.count(LoginAttempt.id))) == 0  # nothing half-written


def test_healthz_and_json_clients_get_json_503(private_app):
    client = Client(private_app.test_client())
    token = client.csrf_token()
    _drop_connection_before_insert(private_app, "login_attempts")
    response = client.post("/login", {"email": "alguien@prueba.pe", "password": "una-clave-cualquiera",
                                      "csrf_token": token}, headers={"Accept": "application/json"})
    assert response.status_code == 503
    assert response.json["request_id"] == response.headers["X-Request-ID"]
    assert "intente de nuevo" in response.json["message"].lower()


@pytest.fixture
def pg_app():
    url = create_pg_database("db_idle")
    migrate.upgrade(url)
    app = create_app({"ENV_MODE": "testing", "DATABASE_URL": url, "SECRET_KEY": "c" * 40,
                      "PASSWORD_HASH_PROFILE": "fast"})
    yield app
    app.extensions["portfolio_db"]["engine"].dispose()
    drop_pg_database(url)


def _kill_pooled_connections(app) -> int:
    """End, from another connection, every backend the app's pool holds (as a server restart would)."""
    engine = app.extensions["portfolio_db"]["engine"]
    other = create_engine(str(engine.url.render_as_string(hide_password=False)))
    with other.connect() as killer:
        ended = killer.scalar(text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                   "WHERE datname = current_database() AND pid <> pg_backend_pid()"))
    other.dispose()
    return ended


def _failed_login(client: Client):
    """A request that always uses the database (it records the attempt)."""
    return client.post("/login", {"email": "alguien@prueba.pe", "password": "una-clave-cualquiera",
                                  "csrf_token": client.csrf_token()})


@pytest.mark.parametrize("idle", [True, False])
def test_a_pooled_connection_that_died_while_idle_is_replaced_before_the_request_uses_it(pg_app, monkeypatch, idle):
    """Idle longer than PING_AFTER_IDLE_SECONDS: pinged at checkout, found dead and replaced, so the request
    answers as usual. Used a moment ago: not pinged (no round trip before every request), so a connection that
    died that moment fails its request with the Spanish 503, and the pool then replaces it."""
    client = Client(pg_app.test_client())
    answer = _failed_login(client).status_code  # the pool now holds the connection it used
    assert answer == 401  # «correo o contraseña incorrectos»
    if idle:
        monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", -1.0)
    assert _kill_pooled_connections(pg_app) >= 1
    assert _failed_login(client).status_code == (answer if idle else 503)
    assert _failed_login(client).status_code == answer
