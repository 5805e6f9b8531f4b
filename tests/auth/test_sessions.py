"""Logout ends the session on the server: a copy of the cookie taken before «Cerrar sesión» opens nothing."""
from __future__ import annotations

from sqlalchemy import select

from portfolio import db
from portfolio.audit import AuditEntry
from tests.conftest import Client

COOKIE = "portfolio_session"


def _cookie(client: Client) -> str:
    cookie = client.c.get_cookie(COOKIE)
    assert cookie is not None
    return cookie.value


def _browser_with(app, cookie_value: str) -> Client:
    replay = Client(app.test_client())
    replay.c.set_cookie(COOKIE, cookie_value)
    return replay


def test_replayed_cookie_after_logout_gets_the_login_page(app, login_as):
    user = login_as("trustee")
    copied = _cookie(user)
    assert _browser_with(app, copied).get("/").status_code == 200  # the copy works while the session is open
    response = user.post("/logout")
    assert response.status_code == 302 and response.location.endswith("/login")
    for path in ("/cuenta/contrasena", "/fideicomiso/fiduciario", "/proyectos/"):
        replayed = _browser_with(app, copied).get(path)
        assert replayed.status_code == 302 and "/login" in replayed.location, path
    # The root answers the replayed cookie as it answers any citizen: with the public portal.
    root = _browser_with(app, copied).get("/")
    assert root.status_code == 302 and root.location.endswith("/transparencia/")


def test_logout_ends_only_that_browsers_session(app, make_user):
    user = make_user("board")
    office, phone = Client(app.test_client()), Client(app.test_client())
    assert office.login(user["email"]).status_code == 302
    assert phone.login(user["email"]).status_code == 302
    office.post("/logout")
    assert office.get("/").status_code == 302
    assert phone.get("/").status_code == 200


def test_logout_is_recorded_in_the_audit_trail(app, login_as):
    user = login_as("auditor")
    user.post("/logout")
    with app.app_context():
        actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.actor_id == user.user["id"])).all()
    assert "auth.logout" in actions


def test_a_new_login_after_logout_works(app, login_as):
    user = login_as("staff")
    user.post("/logout")
    assert user.login(user.user["email"]).status_code == 302
    assert user.get("/").status_code == 200


def test_an_expired_server_side_session_opens_nothing(app, login_as):
    import datetime as dt

    from portfolio.auth.models import UserSession

    user = login_as("staff")
    assert user.get("/").status_code == 200
    with app.app_context():
        for record in db.session.scalars(select(UserSession).where(UserSession.user_id == user.user["id"])):
            record.expires_at = record.created_at - dt.timedelta(seconds=1)
        db.session.commit()
    response = user.get("/cuenta/contrasena")
    assert response.status_code == 302 and "/login" in response.location


def test_a_page_that_leaves_the_session_as_it_was_sends_no_cookie(app, login_as):
    """The session ends on the server (``expires_at``), so the cookie is not re-signed on every response:
    it is sent when the login writes it, and again only when its content changes."""
    user = login_as("staff")
    first = user.get("/proyectos/")
    assert first.status_code == 200
    again = user.c.get("/proyectos/")
    assert again.status_code == 200 and "Set-Cookie" not in again.headers
    expires = user.c.get_cookie(COOKIE).expires
    assert expires is not None  # the login's cookie outlives the browser for the session's hours
