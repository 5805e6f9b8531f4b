"""Throttling per account *and* address: a stranger cannot lock the owner out; many failures from
everywhere slow the account (never lock it) and the owner hears about them."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from portfolio import clock, db
from portfolio.audit import AuditEntry
from portfolio.auth.models import LoginAttempt
from tests.conftest import Client

WRONG = "no-es-la-clave-correcta"
ATTACKER = "203.0.113.7"
OWNER = "198.51.100.20"


def _login(client: Client, email: str, address: str, password: str | None = None):
    kw = {"environ_base": {"REMOTE_ADDR": address}}
    return client.post("/login", {"email": email, "password": password or client_password()}, **kw)


def client_password() -> str:
    from tests.conftest import DEMO_PASSWORD

    return DEMO_PASSWORD


def test_failures_from_one_address_do_not_lock_the_owner_out(app, client, make_user):
    trustee = make_user("trustee")
    limit = app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]
    for _ in range(limit):
        assert _login(client, trustee["email"], ATTACKER, WRONG).status_code == 401
    locked = _login(client, trustee["email"], ATTACKER)  # even the right password, from that address
    assert locked.status_code == 429 and "Demasiados intentos" in locked.get_data(as_text=True)
    assert int(locked.headers["Retry-After"]) == app.config["LOGIN_LOCK_MINUTES"] * 60
    owner = Client(app.test_client())
    response = _login(owner, trustee["email"], OWNER)
    assert response.status_code == 302 and response.location.endswith("/")
    assert owner.get("/").status_code == 200


@pytest.fixture
def small_ceiling(app, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_ACCOUNT_SLOW_AFTER", 6)
    monkeypatch.setitem(app.config, "LOGIN_ACCOUNT_SLOW_SECONDS", 30)
    return 6




def test_failures_from_everywhere_slow_the_account_but_do_not_lock_it(app, client, make_user, small_ceiling):
    board = make_user("board")
    known = Client(app.test_client())
    assert _login(known, board["email"], OWNER).status_code == 302  # the member's usual address
    known.post("/logout", environ_base={"REMOTE_ADDR": OWNER})
    for n in range(small_ceiling):  # a distributed guesser: one failure from each address
        assert _login(client, board["email"], f"192.0.2.{n + 1}", WRONG).status_code == 401
    with app.app_context():
        slowed = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "auth.login_slowed",
                                                             AuditEntry.object_id == str(board["id"]))).all()
        assert len(slowed) == 1 and slowed[0].after_data["intentos_fallidos"] == small_ceiling

    # Slow mode: a new address gets one attempt every LOGIN_ACCOUNT_SLOW_SECONDS, nothing is evaluated meanwhile.
    paced = _login(client, board["email"], "192.0.2.100", WRONG)
    assert paced.status_code == 429 and "un intento cada 30 segundos" in paced.get_data(as_text=True)
    assert paced.headers["Retry-After"] == "30"
    # 31 seconds later (the clock moves; login attempts are history and are never rewritten).
    with clock.frozen(clock.utcnow() + dt.timedelta(seconds=31)):
        assert _login(client, board["email"], "192.0.2.100", WRONG).status_code == 401  # slowed, not locked
        assert _login(client, board["email"], "192.0.2.101", WRONG).status_code == 429

        # The member's usual address is not slowed: the right password gets in at once.
        stranger = Client(app.test_client())
        assert _login(stranger, board["email"], "192.0.2.102").status_code == 429  # right password, new address
        assert _login(known, board["email"], OWNER).status_code == 302
        assert known.get("/").status_code == 200


def test_owner_sees_the_failed_attempts_at_the_next_login(app, client, make_user):
    trustee = make_user("trustee")
    for address in ("192.0.2.31", "192.0.2.32", "192.0.2.33"):
        _login(client, trustee["email"], address, WRONG)
    owner = Client(app.test_client())
    page = owner.c.post("/login", data={"email": trustee["email"], "password": client_password(),
                                        "csrf_token": owner.csrf_token()},
                        environ_base={"REMOTE_ADDR": OWNER}, follow_redirects=True).get_data(as_text=True)
    assert "Desde su último ingreso hubo 3 intentos fallidos" in page
    for address in ("192.0.2.31", "192.0.2.32", "192.0.2.33"):
        assert f"desde {address}" in page
    with app.app_context():
        login_row = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "auth.login",
                                                                AuditEntry.object_id == str(trustee["id"]))).one()
        assert login_row.after_data == {"intentos_fallidos_previos": 3}
    owner.post("/logout")
    again = owner.c.post("/login", data={"email": trustee["email"], "password": client_password(),
                                         "csrf_token": owner.csrf_token()},
                         environ_base={"REMOTE_ADDR": OWNER}, follow_redirects=True).get_data(as_text=True)
    assert "intentos fallidos" not in again  # told once


def test_refused_attempts_are_not_evaluated_nor_recorded(app, client, make_user):
    user = make_user("staff")
    limit = app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]
    for _ in range(limit + 3):
        _login(client, user["email"], ATTACKER, WRONG)
    with app.app_context():
        recorded = db.session.scalar(select(func.count(LoginAttempt.id)).where(LoginAttempt.email == user["email"]))
    assert recorded == limit
