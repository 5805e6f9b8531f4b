"""Who may call what, built from the routes (like the web policy test): every /api/v1 operation × every role,
with a token holding every scope, answers as the one policy table says; a missing scope, a missing, expired or
revoked token, a deactivated user and a session cookie are refused. Company A vs B on every operation with
an id: B gets, for A's object, exactly the 404 it gets for a missing one."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import update

from portfolio import clock, db
from portfolio.api.models import ApiToken
from portfolio.auth.policy import API, PERMISSIONS, allows
from portfolio.auth.roles import ROLES
from tests.api.conftest import Api
from tests.support import ActingAs

BODIES = {  # a valid-looking body per POST (the answer may still be a domain refusal: 404/409/422)
    "api.declare": {"month": "2026-01", "payroll": "1000.00", "headcount": 1},
    "api.rectify": {"payroll": "2000.00", "headcount": 2, "reason": "Corrección"},
    "api.pay": {"amount": "1.00", "paid_on": "2026-02-01", "bank": "BCP", "operation_number": "OP-00001"},
    "api.milestone_progress": {"version": 1, "status": "programado"},
}
QUERIES = {"api.entity_cap": "?year=2026"}


def api_rules(app):
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        if getattr(view, "access_policy", None) == API:
            yield rule, view


def _allowed(view, role: str) -> bool:
    return not view.api_permissions or any(allows(ActingAs(role, company_id=1), p) for p in view.api_permissions)


def _url(rule, ids: dict[str, int] | None = None) -> str:
    ids = ids or {}
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: str(ids.get(m.group(1), 999999)), rule.rule)


def _call(api: Api, rule, ids=None):
    url = _url(rule, ids)[len("/api/v1"):] + QUERIES.get(rule.endpoint, "")
    if "POST" in rule.methods:
        return api.post(url, BODIES[rule.endpoint])
    return api.get(url)


def test_every_operation_is_in_the_matrix_and_the_document(app):
    rules = list(api_rules(app))
    assert len(rules) >= 15
    for rule, view in rules:
        assert all(p in PERMISSIONS for p in view.api_permissions), rule.rule
        if "POST" in rule.methods:
            assert rule.endpoint in BODIES, f"{rule.rule}: add a body to BODIES"
    with app.test_request_context():
        from portfolio.api.docs import document

        paths = document()["paths"]
    for rule, _view in rules:
        assert re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule) in paths, rule.rule


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_what_the_policy_says(app, api_as, role):
    api = api_as(role)
    problems = []
    for rule, view in api_rules(app):
        response = _call(api, rule)
        allowed = _allowed(view, role)
        ok = response.status_code not in (401, 403, 500) if allowed else response.status_code == 403
        if not ok or response.status_code >= 500:
            problems.append(f"{rule.rule} {sorted(rule.methods - {'HEAD', 'OPTIONS'})} → {response.status_code}")
        if response.status_code >= 400:
            assert response.mimetype == "application/problem+json", rule.rule
    assert problems == []


def test_a_token_without_the_scope_is_refused(app, api_as):
    reader = api_as("company", scopes=("read",))
    for rule, view in api_rules(app):
        if not _allowed(view, "company"):
            continue  # the role is refused first (test above)
        response = _call(reader, rule)
        if view.api_scope not in ("read", None):  # None: any valid token (GET /me)
            assert response.status_code == 403 and "alcance" in response.get_json()["detail"], rule.rule
        else:
            assert response.status_code != 403, rule.rule


def test_missing_expired_revoked_and_deactivated_tokens_and_cookies_get_401(app, api_as, login_as):
    api = api_as("auditor")
    assert api.get("/projects").status_code == 200
    for secret in (None, "pf_inventada", api.secret + "x"):
        response = Api(app.test_client(), secret, api.user).get("/projects")
        assert response.status_code == 401 and response.mimetype == "application/problem+json"
    browser = login_as("auditor")  # a logged-in browser's session cookie opens no API route
    assert browser.get("/api/v1/projects").status_code == 401
    with app.app_context():
        db.session.execute(update(ApiToken).where(ApiToken.user_id == api.user["id"])
                           .values(expires_at=clock.utcnow() - dt.timedelta(seconds=1)))
        db.session.commit()
    assert api.get("/projects").status_code == 401
    other = api_as("staff")
    with app.app_context():
        from portfolio.auth.models import User

        db.session.execute(update(User).where(User.id == other.user["id"]).values(active=False))
        db.session.commit()
    assert other.get("/projects").status_code == 401


def test_revoking_stops_the_token_at_once(app, make_user, make_token):
    from portfolio.api import services

    user = make_user("company")
    api = Api(app.test_client(), make_token(user["id"]), user)
    assert api.get("/declarations").status_code == 200
    with app.app_context():
        from sqlalchemy import select

        token = db.session.scalar(select(ApiToken).where(ApiToken.user_id == user["id"]))
        assert token.last_used_at is not None and token.last_used_address
        services.revoke_token(token_id=token.id, actor=token.user)
        db.session.commit()
    assert api.get("/declarations").status_code == 401


def test_company_b_gets_for_company_a_objects_the_404_of_a_missing_one(app, api_as, make_project):
    a, b = api_as("company"), api_as("company")
    today = clock.today()
    first = today.replace(day=1)
    month = first.replace(year=first.year - 1, month=12) if first.month == 1 else first.replace(month=first.month - 1)
    declaration = a.post("/declarations", {"month": f"{month:%Y-%m}", "payroll": "9000.00", "headcount": 3}).get_json()
    project = make_project(companies=[a.user["company_id"]], milestone=True)
    ids = {"declaration_id": declaration["id"], "project_id": project["id"], "milestone_id": project["milestone_id"],
           "entity_id": project["entity_id"]}
    assert a.get(f"/projects/{project['id']}").status_code == 200  # A sees its own project
    checked = 0
    for rule, _view in api_rules(app):
        if not rule.arguments:
            continue
        theirs, missing = _call(b, rule, ids), _call(b, rule)
        assert theirs.status_code == missing.status_code, rule.rule
        assert theirs.get_json()["detail"] == missing.get_json()["detail"], rule.rule
        checked += theirs.status_code == 404
    assert checked >= 4  # declarations (read, rectify, pay) and projects answered 404, not a blanket 403
