"""The whole access policy in one readable place.

Each permission names the roles that hold it. Every route declares what it needs with one of the
decorators below; ``enforce`` (a ``before_request`` hook in :mod:`portfolio.auth.enforcement`, the only
part that needs Flask) applies the declaration, and a test walks
``app.url_map`` to fail on any route that declares nothing. Object scope (a company seeing only its own
rows) lives in each domain's permission-aware getters, which return 404 for what is out of scope.

Segregation of duties: ``admin`` manages users and reference data and holds no permission over money.

This module imports no web framework, so services check the same table: every mutating service is
declared with ``@service("permission")`` (one policy, two doors), which checks the actor before the body.
The command line and the seeds act as :data:`SYSTEM`, which holds only the permissions in
``SYSTEM_PERMISSIONS`` (user management and reference data), never a money permission.
"""
from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from portfolio.auth.roles import ADMIN, AUDITOR, BOARD, COMPANY, STAFF, TRUSTEE
from portfolio.domain_errors import Forbidden

EVERYONE = frozenset({ADMIN, STAFF, COMPANY, BOARD, TRUSTEE, AUDITOR})
MONEY_ROLES = frozenset({STAFF, COMPANY, BOARD, TRUSTEE})  # admin and auditor never move money

PERMISSIONS: dict[str, frozenset[str]] = {
    # foundation
    "home": EVERYONE,
    "account.password": EVERYONE,
    "users.manage": frozenset({ADMIN}),
    "rules.view": frozenset({ADMIN, STAFF, TRUSTEE, AUDITOR}),
    # Reference rules (Obras por Impuestos caps and percentages, dashboards, portal, indicators). The trust's
    # rules (contribution rate, due day, quorum) move money: only the trustee, citing the board's resolution
    # (trust.rules.manage); see portfolio.rules.owner_permission.
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
    "trust.rules.manage": frozenset({TRUSTEE}),
    "trust.programs.manage": frozenset({STAFF, TRUSTEE}),
    "trust.conflicts.declare": frozenset({BOARD, STAFF, TRUSTEE}),
    # Spreadsheet imports (each goes through the services of its domain)
    "imports.use": frozenset({STAFF, COMPANY, TRUSTEE}),
    # A company imports for its own company; the trustee on behalf of any (the trust service enforces both).
    "imports.declarations": frozenset({COMPANY, TRUSTEE}),
    "imports.bank": frozenset({TRUSTEE}),
    "imports.projects": frozenset({STAFF}),
    # Issued PDFs (portfolio/pdfs): a company its own constancia and estado de cuenta; the trust's statement
    # and the actas of disbursements for those who oversee the trust; the ficha of a project for staff, the
    # auditor and the companies that finance it (project scope on top). Verifying a PDF is public.
    "pdfs.company": frozenset({COMPANY}),
    "pdfs.trust": frozenset({BOARD, TRUSTEE, AUDITOR}),
    "pdfs.project": frozenset({STAFF, AUDITOR, COMPANY}),
    "imports.mef": frozenset({STAFF}),
    # Documents (the expediente): each owner's readers read its documents (company: its own projects only);
    # staff attach to projects and certificates, staff and the trustee to disbursements, the trustee to tranches.
    "documents.view": frozenset({STAFF, COMPANY, BOARD, TRUSTEE, AUDITOR}),
    "documents.upload": frozenset({STAFF, TRUSTEE}),
    # Indicators (§3.2) and dashboards
    "indicators.view": EVERYONE,
    "indicators.manage": frozenset({STAFF, TRUSTEE}),
    # API keys: every user manages their own «Claves de API»; the administrator those of any user.
    "api.tokens.own": EVERYONE,
    "api.tokens.manage": frozenset({ADMIN}),
    # Notices of deadlines: everyone reads and files their own, chooses their channels and calendar feed;
    # sending what is due (`flask notify run`, from cron) is the system's, or the administrator's.
    "notifications.own": EVERYONE,
    "notifications.run": frozenset({ADMIN}),
}

# What the command line and the seeds may do as SYSTEM: manage users and load reference data (rules,
# entities and companies, the prioritised projects, the indicator catalogue). Demo money is seeded by the
# demo users of the right roles, never by SYSTEM.
SYSTEM_PERMISSIONS = frozenset({"users.manage", "rules.manage", "orgs.manage", "projects.manage",
                                "indicators.manage", "api.tokens.manage", "notifications.run"})

PUBLIC = "public"
ANONYMOUS_ONLY = "anonymous"
# JSON API routes (/api/v1/): authenticated by an API token, never by the session cookie; each operation names
# the permission and scope it needs (``portfolio.api.core.operation``), checked against this same table.
API = "api"


class SystemActor:
    """The command line and the seeds as an actor: recorded in the audit trail as «Sistema (línea de comandos)»."""

    id = None
    email = "Sistema (línea de comandos)"
    name = "Sistema (línea de comandos)"
    role = "system"
    company_id = None
    is_authenticated = True
    is_active = True
    active = True

    def __repr__(self) -> str:
        return "SYSTEM"


SYSTEM = SystemActor()


class LoginGuard:
    """The login throttle as the author of its own audit rows (an account slowed after many failures): it
    holds no permission at all."""

    id = None
    email = name = "Sistema (control de ingreso)"
    role = "system"
    company_id = None
    is_authenticated = False
    is_active = active = False

    def __repr__(self) -> str:
        return "LOGIN_GUARD"


LOGIN_GUARD = LoginGuard()


def allows(user: Any, permission: str) -> bool:
    """Does ``user`` (or the anonymous user) hold ``permission``?"""
    roles = PERMISSIONS[permission]
    if user is SYSTEM:
        return permission in SYSTEM_PERMISSIONS
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_active) and user.role in roles


def authorize(actor: Any, *permissions: str) -> None:
    """Raise ``Forbidden`` unless ``actor`` holds at least one of ``permissions``."""
    if not any(allows(actor, permission) for permission in permissions):
        raise Forbidden("Su rol no permite esta operación.")


def service(*permissions: str) -> Callable[[Callable], Callable]:
    """Declare a mutating service: keyword-only arguments, a required ``actor``, and the permission it needs.

    The actor must hold one of ``permissions`` (several when the service serves more than one route, e.g. a
    company declaring for itself or the trustee on its behalf; the body then narrows the scope). The check
    runs before the body; ``fn.permissions`` records the declaration for the contract test. A signature that
    breaks the contract fails at import time.
    """
    if not permissions:
        raise ValueError("a service needs at least one permission")
    for permission in permissions:
        if permission not in PERMISSIONS:
            raise KeyError(f"unknown permission {permission!r}")

    def decorate(fn: Callable) -> Callable:
        params = inspect.signature(fn).parameters
        positional = [name for name, p in params.items() if p.kind not in (p.KEYWORD_ONLY, p.VAR_KEYWORD)]
        if positional:
            raise TypeError(f"service {fn.__qualname__} must take keyword-only arguments (not {positional})")
        actor = params.get("actor")
        if actor is None or actor.default is not inspect.Parameter.empty:
            raise TypeError(f"service {fn.__qualname__} must take a required keyword-only ``actor``")

        @functools.wraps(fn)
        def checked(**kwargs: Any) -> Any:
            if "actor" not in kwargs:
                raise TypeError(f"{fn.__qualname__}() missing required keyword-only argument: 'actor'")
            authorize(kwargs["actor"], *permissions)
            return fn(**kwargs)

        checked.permissions = permissions  # type: ignore[attr-defined]
        checked.permission = permissions[0]  # type: ignore[attr-defined]
        return checked

    return decorate


def _declare(view: Callable, policy: str) -> Callable:
    if policy not in PERMISSIONS and policy not in (PUBLIC, ANONYMOUS_ONLY, API):
        raise KeyError(f"unknown permission {policy!r}")
    view.access_policy = policy  # type: ignore[attr-defined]
    return view


def requires(permission: str) -> Callable[[Callable], Callable]:
    """The route needs a logged-in user whose role holds ``permission``."""
    return lambda view: _declare(view, permission)


def public(view: Callable) -> Callable:
    """Anyone, logged in or not (health checks, static assets, the transparency portal)."""
    return _declare(view, PUBLIC)


def api(*permissions: str) -> Callable[[Callable], Callable]:
    """A JSON API operation: a token whose user holds one of ``permissions`` (none named: any valid token)."""
    for permission in permissions:
        if permission not in PERMISSIONS:
            raise KeyError(f"unknown permission {permission!r}")

    def decorate(view: Callable) -> Callable:
        view.api_permissions = permissions  # type: ignore[attr-defined]
        return _declare(view, API)

    return decorate


def anonymous(view: Callable) -> Callable:
    """Anyone; meant for the login page."""
    return _declare(view, ANONYMOUS_ONLY)


def __getattr__(name: str) -> Any:
    # ``policy.enforce`` and ``policy.policy_of`` keep working; Flask loads only when they are used.
    if name in ("enforce", "policy_of"):
        from portfolio.auth import enforcement

        return getattr(enforcement, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
