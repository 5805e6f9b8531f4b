"""Rate limits on the API, per token and per client address (Flask-Limiter).

Counters live in memory by default (one process); set ``API_RATELIMIT_STORAGE_URI`` to a Redis URL
(``redis://host:6379/1``) so that every worker on every host shares them. A request over a limit gets a
``429`` problem with ``Retry-After``.
"""
from __future__ import annotations

import hashlib

from flask import Blueprint, Flask, current_app, request


def _address() -> str:
    return request.remote_addr or "-"


def _token_key() -> str:
    """The presented token (hashed), whether valid or not: a missing token counts against its address."""
    header = request.headers.get("Authorization", "")
    if not header:
        return "sin-clave:" + _address()
    return "clave:" + hashlib.sha256(header.encode()).hexdigest()[:32]


def init_app(app: Flask, bp: Blueprint) -> None:
    from flask_limiter import Limiter

    app.config.setdefault("RATELIMIT_ENABLED", app.config.get("API_RATELIMIT_ENABLED", True))
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config.get("API_RATELIMIT_STORAGE_URI", "memory://"))
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "portfolio-api")
    limiter = Limiter(_address, app=app, default_limits=[])
    # read on each request, so the operator's setting (and a test) decides without rebuilding the app
    limiter.limit(lambda: current_app.config.get("API_RATELIMIT_PER_TOKEN", "300 per minute"), key_func=_token_key,
                  scope="token")(bp)
    limiter.limit(lambda: current_app.config.get("API_RATELIMIT_PER_ADDRESS", "600 per minute"), key_func=_address,
                  scope="address")(bp)
    app.extensions["portfolio_api_limiter"] = limiter
