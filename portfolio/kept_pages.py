"""Signed-in pages kept for their session until the data changes: ``@kept_page``.

The pages people open all day (their home, the lists, a project, the statements) are rebuilt on every
request although what they show only changes when the data does. A decorated view's rendered HTML is kept
under a key made of:

- the signed-in user and everything in their session (the server-side session id, the CSRF token the page's
  forms carry, anything a view remembered there), so a page is only ever served again to the session it was
  rendered for;
- the path and query;
- the **data version** (the newest audit row: every committed change writes one) and the bell's count,
  both read afresh on every request in the same statement as the user (``portfolio.auth.views.load_user``),
  so a change made by anyone, on any worker or host, is seen on the next page;
- the business date (deadlines and «vence hoy» change at midnight in Lima).

The user is still checked on every request before anything is served: an ended, expired or deactivated
session, a changed password or a withdrawn permission (a change of role writes an audit row) never gets a
kept page. A money form's idempotency key (the hidden ``idem`` field, ``portfolio/trust/forms.py``) must be
new on every page served, or two tabs opened on one kept page would send the same key and the second
operation would be taken for a repeat of the first: each is replaced by a fresh key whenever a kept page is
served. Pages with a message waiting to be shown (``flash``), answers that are not a plain 200 HTML page,
and pages whose rendering changed the session (the first page that creates the CSRF token) are not kept.

Where pages live follows ``PAGE_CACHE_URL`` (``portfolio/page_cache.py``): each worker's memory by default
(at most ``KEPT_PAGES_ENTRIES`` pages), Redis with ``redis://…`` (shared by every worker and host; kept
pages hold personal data, like the kept results already there), off with ``none``. Entries expire after
``KEPT_PAGES_SECONDS`` (at most half the CSRF token's life, so a kept form can always still be sent;
0 = off). A store that does not answer is skipped: the page is rendered. ``KEPT_PAGES_OFF`` renders every
page (the tests that count what rendering costs).

Only views whose content comes from the data, the user, the session, the query and the date may be
decorated: a page that shows something not written through the audited services (background job progress,
the notices themselves) must not be.
"""
from __future__ import annotations

import functools
import hashlib
import logging
import pickle
import re
import uuid
from collections.abc import Callable

from flask import Flask, current_app, g, make_response, request, session
from flask_caching import Cache
from flask_login import current_user

from portfolio import clock
from portfolio.page_cache import store_config
from portfolio.read_cache import request_version, store_errors

pages = Cache()
FLASHES = "_flashes"
# WTForms renders a hidden field's attributes in this order: <input id="v7-idem" name="v7-idem" type="hidden" value="…">
IDEMPOTENCY_KEY = re.compile(rb'(name="(?:[\w-]+-)?idem" type="hidden" value=")[0-9a-f]{32}(")')


def init_app(app: Flask) -> None:
    csrf_life = app.config.get("WTF_CSRF_TIME_LIMIT") or 8 * 3600
    seconds = min(int(app.config.get("KEPT_PAGES_SECONDS", 600)), int(csrf_life) // 2)
    config = store_config(app, prefix="portfolio:kept-page:", entries=int(app.config.get("KEPT_PAGES_ENTRIES", 500)))
    if seconds <= 0:
        config = {"CACHE_TYPE": "NullCache"}
    pages.init_app(app, config={**config, "CACHE_DEFAULT_TIMEOUT": seconds})


def clear() -> None:
    """Forget every kept page (tests; an operator after editing data outside the services)."""
    pages.clear()


def _keepable() -> bool:
    return (request.method in ("GET", "HEAD") and not current_app.config.get("KEPT_PAGES_OFF")
            and current_user.is_authenticated and FLASHES not in session)


def _key() -> str:
    remembered = sorted((name, repr(value)) for name, value in session.items())
    query = sorted(request.args.items(multi=True))
    unread = g.get("portfolio_unread_notices")
    text = (f"{current_user.id}|{remembered}|{request.path}?{query}|{request_version()}|{unread}|"
            f"{clock.today()}")
    return hashlib.blake2b(text.encode(), digest_size=20).hexdigest()


def _get(key: str) -> bytes | None:
    try:
        return pages.get(key)
    except (AttributeError, ImportError, TypeError, EOFError, pickle.UnpicklingError):
        return None
    except store_errors() as exc:
        logging.getLogger(__name__).warning("páginas guardadas no disponibles (%s): se genera", exc)
        return None


def _set(key: str, body: bytes) -> None:
    try:
        pages.set(key, body)
    except store_errors() as exc:
        logging.getLogger(__name__).warning("páginas guardadas no disponibles (%s): no se guarda", exc)


def fresh_keys(body: bytes) -> bytes:
    """The kept page with a new idempotency key in every money form."""
    return IDEMPOTENCY_KEY.sub(lambda m: m.group(1) + uuid.uuid4().hex.encode() + m.group(2), body)


def kept_page(view: Callable) -> Callable:
    """Serve the view's rendered page again to the same session while the data, the bell and the date hold."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if not _keepable():
            return view(*args, **kwargs)
        key = _key()
        body = _get(key)
        if body is not None:
            return current_app.response_class(fresh_keys(body), mimetype="text/html")
        response = make_response(view(*args, **kwargs))
        if (response.status_code == 200 and response.mimetype == "text/html" and not response.is_streamed
                and not session.modified and "Set-Cookie" not in response.headers):
            _set(key, response.get_data())
        return response

    return wrapper
