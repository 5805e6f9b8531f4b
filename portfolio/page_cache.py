"""Whole-page cache for pages that are the same for everyone (the public portal): ``@cached_page``.

A cached page is kept under a key made of its path and query, the **data version** and the business date.
The data version is the newest row of the audit trail: every committed change of the data goes through a
service that writes an audit row in the same transaction, so any change gives every page a new key (the old
entries simply expire). One indexed query reads it; a process remembers what it read for
``PAGE_CACHE_VERSION_SECONDS`` (1 s; 0 = read it on every request) and forgets it as soon as it commits a
change itself, so its own changes show at once and other workers' and hosts' changes within that second
(the portal already tells browsers and proxies they may keep a page 300 s). No process has to tell
another one, which is what lets several workers and hosts share the cache.

Where entries live is the ``PAGE_CACHE_URL`` setting: empty = in the process (Flask-Caching's SimpleCache,
per worker); ``redis://…`` = Redis, shared by every worker and host; ``none`` = no cache (every request
renders). Every answer carries ``ETag`` (the key's hash) and ``Last-Modified`` (the time of the data
version, or the start of the business day if later), and a conditional request (``If-None-Match`` /
``If-Modified-Since``) that still matches gets ``304 Not Modified`` without rendering or reading the cache.

Only successful answers without cookies are kept; a view that depends on the user must not be decorated.
"""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
import time
from collections.abc import Callable

from flask import Flask, Response, current_app, make_response, request
from flask_caching import Cache
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from portfolio import clock, db

cache = Cache()

KEPT_HEADERS = ("Content-Disposition",)


def store_config(app: Flask, *, prefix: str, entries: int) -> dict:
    """Flask-Caching's settings for a store at ``PAGE_CACHE_URL``: off (``none``), Redis under ``prefix``
    (shared by every worker and host) or, empty, each worker's memory holding at most ``entries``."""
    url = (app.config.get("PAGE_CACHE_URL") or "").strip()
    if url == "none":
        return {"CACHE_TYPE": "NullCache"}
    if url.startswith(("redis://", "rediss://", "unix://")):
        return {"CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": url, "CACHE_KEY_PREFIX": prefix}
    if not url:
        return {"CACHE_TYPE": "SimpleCache", "CACHE_THRESHOLD": entries}
    raise ValueError(f"PAGE_CACHE_URL no reconocida: {url!r} (vacía, redis://… o none)")


def init_app(app: Flask) -> None:
    config = store_config(app, prefix="portfolio:page:", entries=int(app.config.get("PAGE_CACHE_ENTRIES", 2000)))
    cache.init_app(app, config={**config, "CACHE_DEFAULT_TIMEOUT": int(app.config.get("PAGE_CACHE_SECONDS", 3600))})


def data_version_column():
    """SQL: the newest audit row's id (``data_version``'s first part), as a scalar subquery."""
    from portfolio.audit import AuditEntry

    return select(AuditEntry.id).order_by(AuditEntry.id.desc()).limit(1).scalar_subquery()


def data_version() -> tuple[int, dt.datetime | None]:
    """The newest audit row's id and time: it changes with every committed change of the data."""
    from portfolio.audit import AuditEntry

    row = db.session.execute(select(AuditEntry.id, AuditEntry.at).order_by(AuditEntry.id.desc()).limit(1)).first()
    return (row[0], row[1]) if row else (0, None)


# The data version this process read last, and when (monotonic seconds). A process that commits a change
# forgets it at once (below); other processes read the database again after PAGE_CACHE_VERSION_SECONDS.
_seen: dict[int, tuple[float, tuple[int, dt.datetime | None]]] = {}  # per app: (when, version)


def current_version() -> tuple[int, dt.datetime | None]:
    ttl = int(current_app.config.get("PAGE_CACHE_VERSION_SECONDS", 1))
    app, now = id(current_app._get_current_object()), time.monotonic()
    seen = _seen.get(app)
    if ttl > 0 and seen is not None and now - seen[0] < ttl:
        return seen[1]
    version = data_version()
    _seen[app] = (now, version)
    return version


@event.listens_for(Session, "after_flush")
def _note_audit_rows(session: Session, _context) -> None:
    from portfolio.audit import AuditEntry

    if any(isinstance(obj, AuditEntry) for obj in session.new):
        session.info["page_cache.changed"] = True


@event.listens_for(Session, "after_commit")
def _forget_version(session: Session) -> None:
    if session.info.pop("page_cache.changed", False):
        _seen.clear()


@event.listens_for(Session, "after_soft_rollback")
def _nothing_changed(session: Session, _previous) -> None:
    session.info.pop("page_cache.changed", None)


def clear() -> None:
    """Forget every cached page (tests; an operator after editing data outside the services)."""
    cache.clear()
    _seen.clear()


def _last_modified(changed_at: dt.datetime | None, today: dt.date) -> dt.datetime:
    day_start = dt.datetime.combine(today, dt.time(), tzinfo=clock.zone()).astimezone(dt.UTC)
    return max(changed_at, day_start) if changed_at else day_start


def _not_modified(etag: str, last_modified: dt.datetime) -> bool:
    if request.if_none_match:
        return request.if_none_match.contains(etag)
    since = request.if_modified_since
    return since is not None and since >= last_modified.replace(microsecond=0)


def cached_page(view: Callable) -> Callable:
    """Serve the view's answer from the page cache while the data version and the business date hold."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if request.method not in ("GET", "HEAD"):
            return view(*args, **kwargs)
        version, changed_at = current_version()
        today = clock.today()
        query = "&".join(f"{k}={v}" for k, v in sorted(request.args.items(multi=True)))
        key = hashlib.blake2b(f"{request.path}?{query}|{version}|{today}".encode(), digest_size=16).hexdigest()
        last_modified = _last_modified(changed_at, today)
        if _not_modified(key, last_modified):
            response = Response(status=304)
        else:
            hit = cache.get(key)
            if hit is None:
                response = make_response(view(*args, **kwargs))
                if response.status_code != 200 or "Set-Cookie" in response.headers or response.is_streamed:
                    return response
                kept = {name: response.headers[name] for name in KEPT_HEADERS if name in response.headers}
                cache.set(key, (response.get_data(), response.mimetype, kept))
            else:
                body, mimetype, kept = hit
                response = current_app.response_class(body, mimetype=mimetype, headers=kept)
        response.set_etag(key)
        response.last_modified = last_modified
        return response

    return wrapper


def clear_version() -> None:
    """Forget the data version this process read (the next request reads it again)."""
    _seen.clear()
