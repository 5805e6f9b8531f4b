"""«Claves de API»: a user creates a token for themself (shown once, stored as a hash), sees when and from
where it was last used and revokes it; the administrator does it for any user; the command line prints it
once. A token never outlives its user's activation."""
from __future__ import annotations

import re

from sqlalchemy import select

from portfolio import db
from portfolio.api.models import ApiToken, secret_hash
from portfolio.audit import AuditEntry
from tests.api.conftest import Api

SECRET = re.compile(r"pf_[A-Za-z0-9_-]{40,}")


def _create(browser, **data):
    form = {"name": "Sistema de planillas", "scopes": ["read", "declare"], "days": "30"} | data
    return browser.post("/cuenta/claves-api/", form)


def test_user_creates_sees_once_uses_and_revokes_a_token(app, login_as):
    browser = login_as("company")
    page = _create(browser)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    secrets = SECRET.findall(page.get_data(as_text=True))
    assert len(secrets) == 1
    secret = secrets[0]
    with app.app_context():
        token = db.session.scalar(select(ApiToken).where(ApiToken.user_id == browser.user["id"]))
        assert token.secret_hash == secret_hash(secret) and secret not in (token.prefix + token.secret_hash)
        assert token.scope_set == {"read", "declare"}
        assert 29 <= (token.expires_at - token.created_at).days <= 30
        token_id = token.id
    listing = browser.get("/cuenta/claves-api/").get_data(as_text=True)
    assert secret not in listing and "Sistema de planillas" in listing and "Nunca" in listing

    api = Api(app.test_client(), secret, browser.user)
    me = api.get("/me").get_json()
    assert me["role"] == "company" and me["scopes"] == ["declare", "read"]
    assert "Nunca" not in browser.get("/cuenta/claves-api/").get_data(as_text=True)  # last use shown

    response = browser.post(f"/cuenta/claves-api/{token_id}/revocar", {}, follow_redirects=True)
    assert "revocada" in response.get_data(as_text=True)
    assert api.get("/me").status_code == 401
    with app.app_context():
        actions = set(db.session.scalars(select(AuditEntry.action).where(AuditEntry.object_type == "api_tokens")))
        assert actions == {"api.token.create", "api.token.revoke"}


def test_a_user_cannot_revoke_another_users_token_but_the_admin_creates_and_revokes_any(app, login_as, make_user,
                                                                                       make_token):
    owner = make_user("staff")
    secret = make_token(owner["id"])
    with app.app_context():
        token_id = db.session.scalar(select(ApiToken.id).where(ApiToken.user_id == owner["id"]))
    intruder = login_as("company")
    intruder.post(f"/cuenta/claves-api/{token_id}/revocar", {}, follow_redirects=True)
    assert Api(app.test_client(), secret, owner).get("/me").status_code == 200
    assert f"/cuenta/claves-api/{token_id}/revocar" not in intruder.get("/cuenta/claves-api/").get_data(as_text=True)

    admin = login_as("admin")
    page = _create(admin, user_id=str(owner["id"]), name="Para el MEF", scopes=["read"])
    created = SECRET.findall(page.get_data(as_text=True))
    assert len(created) == 1 and Api(app.test_client(), created[0], owner).get("/me").get_json()["user_email"] == owner["email"]
    admin.post(f"/cuenta/claves-api/{token_id}/revocar", {}, follow_redirects=True)
    assert Api(app.test_client(), secret, owner).get("/me").status_code == 401


def test_bad_input_on_the_page_changes_nothing(app, login_as):
    browser = login_as("auditor")
    page = _create(browser, name="", scopes=[])
    assert page.status_code == 200 and not SECRET.findall(page.get_data(as_text=True))
    page = _create(browser, scopes=["borrar"])
    assert not SECRET.findall(page.get_data(as_text=True))
    with app.app_context():
        assert db.session.scalar(select(ApiToken).where(ApiToken.user_id == browser.user["id"])) is None


def test_cli_prints_the_token_once(app, make_user):
    user = make_user("company")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["api", "create-token", "--email", user["email"], "--name", "Planillas",
                                 "--scopes", "read,declare,pay", "--days", "10"])
    assert result.exit_code == 0, result.output
    secret = SECRET.findall(result.output)
    assert len(secret) == 1
    assert Api(app.test_client(), secret[0], user).get("/me").get_json()["scopes"] == ["declare", "pay", "read"]
    bad = runner.invoke(args=["api", "create-token", "--email", user["email"], "--name", "X", "--scopes", "todo"])
    assert bad.exit_code != 0 and "alcance" in bad.output
    missing = runner.invoke(args=["api", "create-token", "--email", "nadie@prueba.pe", "--name", "X"])
    assert missing.exit_code != 0 and "No existe" in missing.output


def test_purge_forgets_old_idempotent_answers(app, api_as):
    import datetime as dt

    from sqlalchemy import func, update

    from portfolio import clock
    from portfolio.api.models import IdempotentRequest

    api = api_as("company")
    first = clock.today().replace(day=1)
    month = first.replace(year=first.year - 1, month=12) if first.month == 1 else first.replace(month=first.month - 1)
    assert api.post("/declarations", {"month": f"{month:%Y-%m}", "payroll": "10.00", "headcount": 1},
                    key="viejo-0001").status_code == 201
    with app.app_context():
        db.session.execute(update(IdempotentRequest).values(created_at=clock.utcnow() - dt.timedelta(days=40)))
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["api", "purge-idempotency", "--days", "30"])
    assert result.exit_code == 0 and "1" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(IdempotentRequest)) == 0
