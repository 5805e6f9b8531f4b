"""Results of read-only aggregate queries kept until the data changes: ``@kept_by_data_version``.

The dashboards, the list summaries and the statements add up the whole portfolio or the whole ledger on
every request; the answer only changes when the data does. A decorated function's result is kept in the
page cache's store (``portfolio/page_cache.py``: each worker's memory by default, Redis with
``PAGE_CACHE_URL``, off with ``none``) under a key made of the function, its arguments, the **data version**
(the newest audit row: every committed change writes one) and the business date.

Unlike the public pages, a signed-in user must see their own change at once, whichever worker serves the
next page: the data version is read afresh once per request (one indexed statement) and shared by every
kept function that request calls. Only GET and HEAD requests use kept results — a request that writes reads
what its own transaction sees —, and nothing outside a request does (commands, jobs and tests call the
functions directly).

A kept function must return plain data (numbers, text, dates, ``Decimal``, tuples, lists, dicts,
dataclasses of those), never ORM objects, and take arguments of those kinds only: the arguments are part
of the key, so anything else is refused with ``TypeError``.
"""
from __future__ import annotations

import datetime as dt
import enum
import functools
import hashlib
import logging
import pickle
import sys
from collections.abc import Callable
from decimal import Decimal
from typing import TypeVar

from portfolio import clock, db

F = TypeVar("F", bound=Callable)
KEY_TYPES = (int, str, bool, dt.date, Decimal, enum.Enum, type(None))


def _key_part(value) -> str:
    if isinstance(value, (tuple, list, frozenset)):
        items = sorted(value, key=repr) if isinstance(value, frozenset) else value
        return "(" + ",".join(_key_part(item) for item in items) + ")"
    if not isinstance(value, KEY_TYPES):
        raise TypeError(f"argumento no apto para la clave de un resultado guardado: {type(value).__name__}")
    return repr(value)


def request_version() -> int:
    """The data version for this request: read once, the first time a kept function needs it."""
    from portfolio.page_cache import data_version

    request = sys.modules["flask"].request
    version = getattr(request, "portfolio_data_version", None)
    if version is None:
        version = request.portfolio_data_version = data_version()[0]
    return version


def preset_request_version(version: int) -> None:
    """The data version for this request, read with something else it needed (the signed-in user)."""
    sys.modules["flask"].request.portfolio_data_version = version


def active() -> bool:
    """Inside a GET or HEAD request. Flask is looked up, not imported: the services and queries that keep
    their results load without a web framework (no request can exist before Flask is loaded)."""
    flask = sys.modules.get("flask")
    return flask is not None and flask.has_request_context() and flask.request.method in ("GET", "HEAD")


def store_errors() -> tuple[type[BaseException], ...]:
    """What a store that does not answer raises (Redis down or unreachable): the page is computed instead."""
    redis = sys.modules.get("redis")
    return (OSError, redis.exceptions.RedisError) if redis is not None else (OSError,)


def _kept(key: str, compute: Callable):
    from portfolio.page_cache import cache

    try:
        kept = cache.get(key)
    except (AttributeError, ImportError, TypeError, EOFError, pickle.UnpicklingError):
        kept = None  # written by another version of the code (a shared Redis during a deploy): a miss
    except store_errors() as exc:
        logging.getLogger(__name__).warning("caché de resultados no disponible (%s): se calcula", exc)
        return compute()
    if kept is not None:
        return kept[0]
    value = compute()
    try:
        cache.set(key, (value,))
    except store_errors() as exc:
        logging.getLogger(__name__).warning("caché de resultados no disponible (%s): no se guarda", exc)
    return value


def kept_by_data_version(function: F) -> F:
    """Keep ``function``'s result per arguments while the data version and the business date hold."""
    name = f"{function.__module__}.{function.__qualname__}"

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        if not active():
            return function(*args, **kwargs)
        parts = [_key_part(arg) for arg in args] + [f"{k}={_key_part(v)}" for k, v in sorted(kwargs.items())]
        text = f"{name}({','.join(parts)})|{request_version()}|{clock.today()}"
        key = "q:" + hashlib.blake2b(text.encode(), digest_size=16).hexdigest()
        return _kept(key, lambda: function(*args, **kwargs))

    wrapper.uncached = function
    return wrapper


def kept_rows(statement, computed: Callable[[list[tuple]], object] | None = None) -> list[tuple]:
    """The rows of a read-only ``statement`` (plain column values, not ORM objects) as tuples, kept like a
    kept function's result; the key is the statement's SQL and parameters, so a query scoped to a user or
    filtered by a page's arguments is kept per scope and filter. ``computed`` is called with the rows when
    they were read from the database (not when they came from what was kept)."""

    def read() -> list[tuple]:
        rows = [tuple(row) for row in db.session.execute(statement)]
        if computed is not None:
            computed(rows)
        return rows

    if not active():
        return read()
    text = f"{_statement_key(statement)}|{request_version()}|{clock.today()}"
    key = "r:" + hashlib.blake2b(text.encode(), digest_size=16).hexdigest()
    return _kept(key, read)


_SQL_BY_SHAPE: dict[tuple, str] = {}  # (dialect, SQLAlchemy cache key) → the statement's SQL, compiled once
_SHAPES_KEPT = 2000


def _statement_key(statement) -> str:
    """The statement's SQL and parameter values. Compiling a statement costs about a millisecond, so the SQL
    is compiled once per shape: SQLAlchemy's cache key (what its own compiled cache is keyed by) is the same
    for statements that differ only in their parameter values, which it lists in a fixed order."""
    bind = db.session.get_bind()
    shape = statement._generate_cache_key()
    if shape is None:  # an element SQLAlchemy cannot cache: compile it every time
        compiled = statement.compile(bind=bind)
        return f"{compiled}|{sorted((name, _key_part(value)) for name, value in compiled.params.items())}"
    index = (bind.dialect.name, shape.key)
    sql = _SQL_BY_SHAPE.get(index)
    if sql is None:
        if len(_SQL_BY_SHAPE) >= _SHAPES_KEPT:
            _SQL_BY_SHAPE.clear()
        sql = _SQL_BY_SHAPE[index] = str(statement.compile(bind=bind))
    return f"{sql}|{[_key_part(param.effective_value) for param in shape.bindparams]}"
