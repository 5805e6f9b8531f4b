"""Logging goes to stderr with time, level, request id, user and route; every response names its request
in X-Request-ID (an incoming one is kept only from a trusted proxy and only when sane)."""
from __future__ import annotations

import logging
import re

import pytest

from portfolio import create_app
from portfolio.auth.policy import public
from portfolio.config import ConfigError, load_config

LINE = re.compile(
    r"^(?P<at>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d{4}) (?P<level>[A-Z]+) \[(?P<rid>[^\]]+)\] "
    r"user=(?P<user>\S+) (?P<method>\S+) (?P<route>\S+) (?P<logger>\S+): (?P<message>.*)$"
)


def _lines(text: str) -> list[dict]:
    return [m.groupdict() for m in map(LINE.match, text.splitlines()) if m]


def test_request_line_on_stderr_names_request_user_and_route(login_as, capsys):
    user = login_as("staff")
    capsys.readouterr()
    response = user.get("/organizaciones/empresas")
    request_id = response.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    lines = [line for line in _lines(capsys.readouterr().err) if line["logger"] == "portfolio.request"]
    assert lines, "no request line on stderr"
    line = lines[-1]
    assert line["level"] == "INFO" and line["rid"] == request_id
    assert line["user"] == str(user.user["id"])
    assert line["method"] == "GET" and line["route"] == "/organizaciones/empresas"
    assert re.match(r"GET /organizaciones/empresas \d{3} \d+ ms$", line["message"])


def test_each_request_gets_its_own_id_and_a_forged_one_is_ignored(client):
    first, second = client.get("/login"), client.get("/login", headers={"X-Request-ID": "elegido-por-mi-1234"})
    assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]
    assert second.headers["X-Request-ID"] != "elegido-por-mi-1234"  # no trusted proxy in front


def test_a_trusted_proxys_request_id_is_kept_when_sane(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "TRUSTED_PROXIES", 1)
    kept = client.get("/login", headers={"X-Request-ID": "proxy-5f2a9c1e-77"})
    assert kept.headers["X-Request-ID"] == "proxy-5f2a9c1e-77"
    for insane in ("corto", "con espacios y más cosas", "x" * 200, "inyección\\nFALSO"):
        replaced = client.get("/login", headers={"X-Request-ID": insane})
        assert re.fullmatch(r"[0-9a-f]{32}", replaced.headers["X-Request-ID"]), insane


@pytest.fixture
def failing_app(tmp_path):
    from portfolio import migrate

    url = f"sqlite:///{tmp_path / 'logs.db'}"
    migrate.upgrade(url)
    app = create_app({"ENV_MODE": "testing", "DATABASE_URL": url, "SECRET_KEY": "l" * 40})

    @app.route("/_prueba/falla")
    @public
    def fails():
        raise RuntimeError("algo se rompió en la vista")

    yield app
    app.extensions["portfolio_db"]["engine"].dispose()


def test_an_unhandled_error_leaves_a_timestamped_traceback_with_its_request_id(failing_app, capsys):
    capsys.readouterr()
    response = failing_app.test_client().get("/_prueba/falla")
    assert response.status_code == 500
    request_id = response.headers["X-Request-ID"]
    assert f"Código de referencia: <code>{request_id}</code>" in response.get_data(as_text=True)
    err = capsys.readouterr().err
    errors = [line for line in _lines(err) if line["level"] == "ERROR"]
    assert errors and errors[0]["rid"] == request_id and errors[0]["route"] == "/_prueba/falla"
    assert errors[0]["logger"] == "portfolio.errors" and errors[0]["user"] == "-"
    assert "Traceback (most recent call last)" in err and "RuntimeError: algo se rompió en la vista" in err


def test_outside_a_request_the_fields_are_dashes(app, capsys):
    capsys.readouterr()
    logging.getLogger("portfolio.prueba").warning("fuera de una solicitud")
    [line] = [x for x in _lines(capsys.readouterr().err) if x["logger"] == "portfolio.prueba"]
    assert line["level"] == "WARNING" and line["rid"] == line["user"] == line["route"] == "-"


def test_one_handler_however_many_apps(app, tmp_path):
    create_app({"ENV_MODE": "testing", "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}", "SECRET_KEY": "z" * 40})
    ours = [h for h in logging.getLogger().handlers if getattr(h, "_portfolio", False)]
    assert len(ours) == 1


def test_unknown_log_level_is_refused():
    with pytest.raises(ConfigError):
        load_config({"LOG_LEVEL": "RUIDOSO"})
    assert load_config({"LOG_LEVEL": "warning"})["LOG_LEVEL"] == "WARNING"
