"""Every route declares its access policy, and the policy is what each role actually gets."""
import re

import pytest

from portfolio.auth.policy import ANONYMOUS_ONLY, API, PERMISSIONS, PUBLIC, policy_of
from portfolio.auth.roles import ADMIN, AUDITOR, ROLES

ROLE_LIST = list(ROLES)


def routes_without_policy(app) -> list[str]:
    with app.test_request_context():
        return sorted(rule.rule for rule in app.url_map.iter_rules() if policy_of(rule.endpoint) is None)


def concrete_url(rule) -> str:
    """Fill every URL argument with 1 (a real id in the seeded data, or a clean 404)."""
    return re.sub(r"<(?:[^:>]+:)?[^>]+>", "1", rule.rule)


def get_routes(app):
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and not rule.endpoint.endswith("static"):
            yield rule


def test_every_route_declares_a_policy(app):
    assert routes_without_policy(app) == []


def test_a_route_without_policy_is_detected_and_refused(app):
    from portfolio import create_app

    other = create_app({"DATABASE_URL": app.config["DATABASE_URL"], "SECRET_KEY": "x" * 40,
                        "PASSWORD_HASH_PROFILE": "fast"})
    other.add_url_rule("/sin-politica", "sin_politica", lambda: "secreto")
    assert routes_without_policy(other) == ["/sin-politica"]
    response = other.test_client().get("/sin-politica")
    assert response.status_code == 403
    assert b"secreto" not in response.data


def test_admin_and_auditor_hold_no_money_power():
    from portfolio.rules import TRUST_RULES, owner_permission

    money = [p for p in PERMISSIONS if p.startswith("trust.") and not p.endswith(".view")] + [
        "certificates.manage", "projects.manage"]
    # the trust's rules (contribution rate, due day, quorum) are money: their owner permission is one of them
    assert {"trust.contribution_rate_pct", "trust.due_day", "trust.quorum_min_approvals"} <= TRUST_RULES
    assert {owner_permission(key) for key in TRUST_RULES} == {"trust.rules.manage"} and "trust.rules.manage" in money
    for permission in money:
        assert ADMIN not in PERMISSIONS[permission], permission
        assert AUDITOR not in PERMISSIONS[permission], permission


# Public routes that send an anonymous visitor elsewhere: the root goes to the transparency portal.
ANONYMOUS_REDIRECTS = {"/": "/transparencia/"}


def expected_status(policy: str, role: str | None, *, has_arguments: bool, url: str = "") -> set[int]:
    """What ``role`` must get. A route without URL arguments has no object that could be missing, so a
    role holding the permission must get the page itself (200); only a route whose arguments were filled
    with an id that may not exist in the reference data may answer 404 (``test_crawl`` opens those with
    real ids from the demo data)."""
    if role is None and url in ANONYMOUS_REDIRECTS:
        return {302}
    found = {200, 404} if has_arguments else {200}
    if policy == API:  # the session cookie opens no API route: a token is needed (tests/api/test_matrix.py)
        return {401}
    if policy in (PUBLIC,):
        return found
    if policy == ANONYMOUS_ONLY:
        return {200} if role is None else {302}
    if role is None:
        return {302}
    if role in PERMISSIONS[policy]:
        return found
    return {403}


@pytest.mark.parametrize("role", [None] + ROLE_LIST)
def test_every_get_route_answers_each_role_as_the_policy_says(app, client, login_as, role):
    browser = client if role is None else login_as(role)
    problems = []
    for rule in get_routes(app):
        with app.test_request_context():
            policy = policy_of(rule.endpoint)
        url = concrete_url(rule)
        response = browser.get(url)
        if role is None and response.status_code == 302:
            assert ANONYMOUS_REDIRECTS.get(url, "/login") in response.location, url
        if response.status_code not in expected_status(policy, role, has_arguments=bool(rule.arguments), url=url):
            problems.append(f"{url} ({policy}) → {response.status_code}")
    assert problems == []


# Expectations written by hand (not derived from the policy table): what each role must get.
EXPLICIT = {
    "/admin/usuarios": {"admin": 200, "staff": 403, "company": 403, "board": 403, "trustee": 403, "auditor": 403},
    "/auditoria": {"admin": 200, "auditor": 200, "staff": 403, "company": 403, "board": 403, "trustee": 403},
    "/organizaciones/empresas": {"admin": 200, "staff": 200, "board": 200, "trustee": 200, "auditor": 200,
                                 "company": 403},
    "/organizaciones/empresas/nueva": {"admin": 200, "staff": 200, "board": 403, "trustee": 403, "auditor": 403,
                                       "company": 403},
    "/admin/reglas": {"admin": 200, "staff": 200, "trustee": 200, "auditor": 200, "company": 403, "board": 403},
    # the auditor reads the board queue and the trustee workbench (without their forms)
    "/fideicomiso/comite": {"board": 200, "auditor": 200, "admin": 403, "staff": 403, "company": 403, "trustee": 403},
    "/fideicomiso/fiduciario": {"trustee": 200, "auditor": 200, "admin": 403, "staff": 403, "company": 403,
                                "board": 403},
    "/": {role: 200 for role in ROLE_LIST},
    "/healthz": {role: 200 for role in ROLE_LIST},
}


@pytest.mark.parametrize("url", list(EXPLICIT))
def test_explicit_access_matrix(login_as, client, url):
    for role, status in EXPLICIT[url].items():
        assert login_as(role).get(url).status_code == status, (url, role)
    anonymous = client.get(url)
    assert anonymous.status_code == (200 if url == "/healthz" else 302)


def test_post_routes_refuse_roles_without_permission(app, login_as):
    """A hand-made POST with a valid CSRF token from a role without the permission changes nothing."""
    auditor = login_as("auditor")
    for url, data in [
        ("/organizaciones/empresas/nueva", {"ruc": "20601452783", "legal_name": "X", "sector": "otros"}),
        ("/admin/usuarios/nuevo", {"email": "x@y.pe", "name": "X", "role": "admin", "password": "Clave-Muy-Segura-99"}),
        ("/admin/reglas", {"key": "trust.contribution_rate_pct", "value": "9", "effective_from": "2020-01-01",
                           "legal_basis": "x"}),
        ("/admin/reglas/fideicomiso", {"fid-key": "trust.contribution_rate_pct", "fid-value": "9",
                                       "fid-effective_from": "2020-01-01", "fid-resolution_number": "1",
                                       "fid-resolution_date": "2020-01-01"}),
    ]:
        assert auditor.post(url, data).status_code == 403, url
    admin = login_as("admin")
    assert admin.post("/admin/reglas/fideicomiso", {"fid-key": "trust.contribution_rate_pct", "fid-value": "9",
                                                     "fid-effective_from": "2020-01-01", "fid-resolution_number": "1",
                                                     "fid-resolution_date": "2020-01-01"}).status_code == 403
