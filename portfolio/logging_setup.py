"""Logging: one line per record on stderr with time, level, request id, user and route, and a request id
on every response (``X-Request-ID``).

Every record of every logger (the app's, SQLAlchemy's, gunicorn's if it propagates) goes through one
handler on the root logger, which writes to whatever ``sys.stderr`` is at the time (gunicorn's
``--capture-output`` and test capture both replace it). An incoming ``X-Request-ID`` is kept only when
the app is told it runs behind a proxy (``TRUSTED_PROXIES``) and the value is sane; otherwise one is
generated. ``LOG_LEVEL`` (default INFO) sets the level; each request is logged once at INFO by
``portfolio.request`` with its status and duration.
"""
from __future__ import annotations

import logging
import re
import sys
import time
import uuid

from flask import Flask, g, has_request_context, request
from werkzeug.local import LocalProxy

FORMAT = ("%(asctime)s %(levelname)s [%(request_id)s] user=%(user_id)s %(method)s %(route)s "
          "%(name)s: %(message)s")
REQUEST_ID_HEADER = "X-Request-ID"
_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")

request_log = logging.getLogger("portfolio.request")


class _StderrHandler(logging.StreamHandler):
    """A stream handler bound to the current ``sys.stderr``, never to the one seen at start-up."""

    def __init__(self):
        super().__init__(sys.stderr)

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value):  # logging.StreamHandler.__init__ assigns it
        pass


class RequestContextFilter(logging.Filter):
    """Adds ``request_id``, ``user_id``, ``method`` and ``route`` to every record ("-" outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = record.user_id = record.method = record.route = "-"
        if has_request_context():
            record.request_id = g.get("request_id", "-")
            record.method = request.method
            record.route = request.url_rule.rule if request.url_rule is not None else request.path
            record.user_id = _user_id()
        return True


def _user_id() -> str:
    # Never load the user from here (a log line must not query the database): only one already loaded.
    user = g.get("_login_user") or g.get("api_user")  # a browser's user, or an API token's (portfolio.api.core)
    if isinstance(user, LocalProxy):  # someone stored current_user itself: reading it would recurse
        return "?"
    if user is None or not getattr(user, "is_authenticated", False):
        return "-"
    return str(user.id)


class _Formatter(logging.Formatter):
    default_msec_format = "%s.%03d"

    def formatTime(self, record, datefmt=None):  # noqa: N802 - logging's API
        # ISO 8601 with the UTC offset, so lines from hosts in different zones sort and compare.
        ct = self.converter(record.created)
        return time.strftime("%Y-%m-%dT%H:%M:%S", ct) + f".{int(record.msecs):03d}" + time.strftime("%z", ct)


def configure(level: str | int = "INFO") -> logging.Handler:
    """Install the stderr handler on the root logger once per process; returns it."""
    root = logging.getLogger()
    for handler in root.handlers:
        if getattr(handler, "_portfolio", False):
            break
    else:
        handler = _StderrHandler()
        handler._portfolio = True  # type: ignore[attr-defined]
        handler.setFormatter(_Formatter(FORMAT))
        handler.addFilter(RequestContextFilter())
        root.addHandler(handler)
    root.setLevel(level if isinstance(level, int) else level.upper())
    return handler


def incoming_request_id(trusted_proxies: int) -> str:
    value = request.headers.get(REQUEST_ID_HEADER, "")
    if trusted_proxies and _SANE_REQUEST_ID.match(value):
        return value
    return uuid.uuid4().hex


def init_app(app: Flask) -> None:
    configure(app.config.get("LOG_LEVEL", "INFO"))

    @app.before_request
    def _request_id():
        g.request_id = incoming_request_id(int(app.config.get("TRUSTED_PROXIES") or 0))
        g.request_started = time.perf_counter()

    @app.after_request
    def _response_header(response):
        request_id = g.get("request_id")
        if request_id:
            response.headers[REQUEST_ID_HEADER] = request_id
            started = g.get("request_started")
            elapsed = (time.perf_counter() - started) * 1000 if started else 0.0
            request_log.info("%s %s %d %.0f ms", request.method, request.path,
                             response.status_code, elapsed)
        return response
