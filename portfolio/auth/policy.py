"""The whole access policy in one readable place.

Each permission names the roles that hold it. Every route declares what it needs with one of the
decorators below; ``enforce`` (a ``before_request`` hook) applies the declaration, and a test walks
``app.url_map`` to fail on any route that declares nothing. Object scope (a company seeing only its own
rows) lives in each domain's permission-aware getters, which return 404 for what is out of scope.

Segregation of duties: ``admin`` manages users and reference data and holds no permission over money.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort, current_app, request
from flask_login import current_user

from portfolio.auth.roles import ADMIN, AUDITOR, BOARD, COMPANY, STAFF, TRUSTEE

EVERYONE = frozenset({ADMIN, STAFF, COMPANY, BOARD, TRUSTEE, AUDITOR})
MONEY_ROLES = frozenset({STAFF, COMPANY, BOARD, TRUSTEE})  # admin and auditor never move money

PERMISSIONS: dict[str, frozenset[str]] = {
    # foundation
    "home": EVERYONE,
    "account.password": EVERYONE,
    "users.manage": frozenset({ADMIN}),
    "rules.view": frozenset({ADMIN, STAFF, TRUSTEE, AUDITOR}),
    "rules.manage": frozenset({ADMIN}),
    "audit.view": frozenset({ADMIN, AUDITOR}),
    "orgs.view": frozenset({ADMIN, STAFF, BOARD, TRUSTEE, AUDITOR}),
    "orgs.manage": frozenset({ADMIN, STAFF}),
    # Each export also requires the permission of the page it mirrors (users.manage, audit.view…), so
    # admin downloads only the lists it administers; the MEF workbook needs exports.mef as well.
    "exports.download": frozenset({ADMIN, STAFF, BOARD, TRUSTEE, AUDITOR, COMPANY}),
    "exports.mef": frozenset({STAFF, BOARD, TRUSTEE, AUDITOR}),
    # Obras por Impuestos
    "projects.view": frozenset({STAFF, COMPANY, BOARD, TRUSTEE, AUDITOR}),
    "projects.manage": frozenset({STAFF}),
    "certificates.manage": frozenset({STAFF}),
    "tax_share.declare": frozenset({COMPANY}),
    # Trust (fideicomiso)
    "trust.view": frozenset({STAFF, BOARD, TRUSTEE, AUDITOR}),
    "trust.company": frozenset({COMPANY}),
    # How the trust spends what companies pay: its statement and programs (aggregates, no company's data).
    "trust.books.view": frozenset({STAFF, BOARD, TRUSTEE, AUDITOR, COMPANY}),
    "trust.declare": frozenset({COMPANY}),
    "trust.declare_on_behalf": frozenset({TRUSTEE}),  # the trustee declares for any company (audited as such)
    "trust.pay": frozenset({COMPANY}),
    "trust.confirm": frozenset({TRUSTEE}),
    "trust.request": frozenset({STAFF, TRUSTEE}),
    "trust.vote": frozenset({BOARD}),
    # Read-only views of the board queue and the trustee workbench: the auditor sees them, never their forms.
    "trust.board.view": frozenset({BOARD, AUDITOR}),
    "trust.trustee.view": frozenset({TRUSTEE, AUDITOR}),
    "trust.execute": frozenset({TRUSTEE}),
    "trust.close_period": frozenset({TRUSTEE}),
    "trust.programs.manage": frozenset({STAFF, TRUSTEE}),
    "trust.conflicts.declare": frozenset({BOARD, STAFF, TRUSTEE}),
    # Spreadsheet imports (each goes through the services of its domain)
    "imports.use": frozenset({STAFF, COMPANY, TRUSTEE}),
    # A company imports for its own company; the trustee on behalf of any (the trust service enforces both).
    "imports.declarations": frozenset({COMPANY, TRUSTEE}),
    "imports.bank": frozenset({TRUSTEE}),
    "imports.projects": frozenset({STAFF}),
    # Indicators (§3.2) and dashboards
    "indicators.view": EVERYONE,
    "indicators.manage": frozenset({STAFF, TRUSTEE}),
}

PUBLIC = "public"
ANONYMOUS_ONLY = "anonymous"


def allows(user: Any, permission: str) -> bool:
    """Does ``user`` (or the anonymous user) hold ``permission``?"""
    roles = PERMISSIONS[permission]
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_active) and user.role in roles


def _declare(view: Callable, policy: str) -> Callable:
    if policy not in PERMISSIONS and policy not in (PUBLIC, ANONYMOUS_ONLY):
        raise KeyError(f"unknown permission {policy!r}")
    view.access_policy = policy  # type: ignore[attr-defined]
    return view


def requires(permission: str) -> Callable[[Callable], Callable]:
    """The route needs a logged-in user whose role holds ``permission``."""
    return lambda view: _declare(view, permission)


def public(view: Callable) -> Callable:
    """Anyone, logged in or not (health checks, static assets, the transparency portal)."""
    return _declare(view, PUBLIC)


def anonymous(view: Callable) -> Callable:
    """Anyone; meant for the login page."""
    return _declare(view, ANONYMOUS_ONLY)


def policy_of(endpoint: str) -> str | None:
    view = current_app.view_functions.get(endpoint)
    if view is None:
        return None
    if endpoint == "static" or endpoint.endswith(".static"):
        return PUBLIC
    return getattr(view, "access_policy", None)


def enforce() -> None:
    """``before_request``: refuse any request whose route declares no policy or a policy the user lacks."""
    endpoint = request.endpoint
    if endpoint is None:  # 404/405 handled by routing
        return
    policy = policy_of(endpoint)
    if policy is None:
        current_app.logger.error("route %s declares no access policy", endpoint)
        abort(403)
    if policy in (PUBLIC, ANONYMOUS_ONLY):
        return
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    if not allows(current_user, policy):
        abort(403)
