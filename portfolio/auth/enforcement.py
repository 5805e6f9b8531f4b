"""Applying the access policy to Flask requests: the ``before_request`` hook and the route lookup.

The table itself (``PERMISSIONS``, ``allows``, the decorators) is in :mod:`portfolio.auth.policy`, which
imports no Flask.
"""
from __future__ import annotations

from flask import abort, current_app, request
from flask_login import current_user

from portfolio.auth.policy import ANONYMOUS_ONLY, API, PUBLIC, allows


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
    if policy in (PUBLIC, ANONYMOUS_ONLY, API):  # API: the token check of portfolio.api.auth applies
        return
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    if not allows(current_user, policy):
        abort(403)
