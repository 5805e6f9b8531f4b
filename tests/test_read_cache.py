"""Kept results of read-only aggregate queries (``portfolio/read_cache.py``): computed once per data version
and business date in a GET request, recomputed as soon as a committed change writes an audit row, never kept
in a request that writes or outside a request, keyed by every argument."""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portfolio import clock, db
from portfolio.orgs.models import PublicEntity
from portfolio.projects.models import Project
from portfolio.read_cache import kept_by_data_version, kept_rows
from tests.support import STAFF_ACTOR, count_statements, require_redis

CALLS: list[tuple] = []


@kept_by_data_version
def _project_count(stage: str, *, demo: bool = False) -> int:
    CALLS.append((stage, demo))
    return db.session.scalar(select(func.count(Project.id)).where(Project.stage == stage)) or 0


@pytest.fixture(autouse=True)
def _fresh_calls():
    CALLS.clear()


def _new_project(name: str) -> None:
    from portfolio.projects import services as projects

    entity = db.session.scalar(select(PublicEntity).order_by(PublicEntity.id).limit(1))
    projects.create_project(data={"name": name, "entity_id": entity.id, "sector": "orden_publico", "mechanism": "oxi",
                                  "reference_amount": Decimal("1000.00"), "locations": "130101"}, actor=STAFF_ACTOR)
    db.session.commit()


def _stage_of_new_projects() -> str:
    return db.session.scalar(select(Project.stage).order_by(Project.id.desc()).limit(1))


def test_a_kept_result_is_computed_once_per_data_version(app, ctx):
    _new_project("Comisaría de la caché de lecturas")
    stage = _stage_of_new_projects()
    with app.test_request_context("/"):
        first = _project_count(stage)
    with app.test_request_context("/"), count_statements(app) as sql:
        assert _project_count(stage) == first
    assert CALLS == [(stage, False)]  # the second request used the kept result
    assert len(sql) == 1 and "audit_log" in sql[0], sql  # and read only the data version


def test_a_committed_change_is_seen_by_the_next_request(app, ctx):
    _new_project("Primera comisaría")
    stage = _stage_of_new_projects()
    with app.test_request_context("/"):
        before = _project_count(stage)
    _new_project("Segunda comisaría")  # a service call: one more audit row, a new data version
    with app.test_request_context("/"):
        assert _project_count(stage) == before + 1
    assert len(CALLS) == 2


def test_every_argument_and_the_business_date_are_part_of_the_key(app, ctx):
    _new_project("Comisaría de las claves")
    stage = _stage_of_new_projects()
    with app.test_request_context("/"):
        _project_count(stage)
        _project_count(stage, demo=True)
        _project_count("cancelado")
        _project_count(stage)
    assert CALLS == [(stage, False), (stage, True), ("cancelado", False)]
    with clock.frozen(clock.now() + dt.timedelta(days=1)), app.test_request_context("/"):
        _project_count(stage)
    assert len(CALLS) == 4  # another business day: computed again


def test_nothing_is_kept_in_a_request_that_writes_or_outside_a_request(app, ctx):
    _new_project("Comisaría de los POST")
    stage = _stage_of_new_projects()
    with app.test_request_context("/", method="POST"):
        _project_count(stage)
        _project_count(stage)
    _project_count(stage)  # a command or a job: no request at all
    assert len(CALLS) == 3


def test_arguments_that_cannot_form_a_key_are_refused(app, ctx):
    entity = db.session.scalar(select(PublicEntity).limit(1))

    @kept_by_data_version
    def by_entity(e) -> int:
        return e.id

    with app.test_request_context("/"), pytest.raises(TypeError, match="no apto"):
        by_entity(entity)
    assert by_entity(entity) == entity.id  # outside a request it simply runs


def test_kept_rows_are_keyed_by_the_statement_and_its_parameters(app, ctx):
    _new_project("Comisaría de las filas")
    stage = _stage_of_new_projects()

    def count(stage_value: str):
        return kept_rows(select(func.count(Project.id)).where(Project.stage == stage_value))

    with app.test_request_context("/"):
        mine = count(stage)
        with count_statements(app) as sql:
            assert count(stage) == mine
            other = count("cancelado")
        assert len(sql) == 1, sql  # only the new parameter reached the database
    cancelled = db.session.scalar(select(func.count(Project.id)).where(Project.stage == "cancelado"))
    assert mine[0][0] >= 1 and other == [(cancelled,)]


def test_kept_rows_of_one_shape_are_told_apart_by_every_value(app, ctx):
    """The SQL is compiled once per shape of statement; the values (a list for IN, a LIMIT, a date) still
    tell the kept results apart."""
    from portfolio import read_cache

    for n in range(3):
        _new_project(f"Comisaría de las formas {n}")
    ids = db.session.scalars(select(Project.id).order_by(Project.id)).all()

    def listed(wanted: list[int], limit: int):
        return kept_rows(select(Project.id).where(Project.id.in_(wanted)).order_by(Project.id).limit(limit))

    with app.test_request_context("/"):
        shapes = len(read_cache._SQL_BY_SHAPE)
        assert listed(ids[:2], 5) == [(i,) for i in ids[:2]]
        assert listed(ids[:3], 5) == [(i,) for i in ids[:3]]
        assert listed(ids[:3], 1) == [(ids[0],)]
        assert listed(ids[1:3], 1) == [(ids[1],)]
        assert len(read_cache._SQL_BY_SHAPE) - shapes <= 2  # (an IN list's length may be part of the shape)


def test_kept_rows_tell_when_they_were_read_from_the_database(app, ctx):
    seen = []
    statement = select(func.count(Project.id)).where(Project.stage == "cancelado")
    with app.test_request_context("/"):
        first = kept_rows(statement, computed=seen.append)
        assert kept_rows(statement, computed=seen.append) == first
    assert seen == [first]  # the second came from what was kept
    kept_rows(statement, computed=seen.append)  # outside a request every call reads
    assert seen == [first, first]


def test_a_signed_in_page_shows_a_change_at_once(app, login_as, ctx):
    staff = login_as("staff")

    def count_on_page() -> int:
        page = staff.get("/proyectos/etapas").get_data(as_text=True)
        return int(re.search(r'<td>Total</td><td class="money">([\d\s,.]+)</td>', page).group(1).replace(",", ""))

    before = count_on_page()
    with count_statements(app) as again:
        assert count_on_page() == before
    _new_project("Comisaría vista por el personal")
    assert count_on_page() == before + 1
    assert not any("GROUP BY" in s for s in again), again  # the repeated page added nothing up again


def test_clear_cache_forgets_kept_results(app, ctx):
    _new_project("Comisaría de la caché vaciada")
    stage = _stage_of_new_projects()
    with app.test_request_context("/"):
        _project_count(stage)
    result = app.test_cli_runner().invoke(args=["clear-cache"])
    assert result.exit_code == 0 and "vaciada" in result.output, result.output
    with app.test_request_context("/"):
        _project_count(stage)
    assert len(CALLS) == 2  # the same data version, computed again: nothing was left to find


def test_an_entry_that_no_longer_loads_is_a_miss(app, ctx):
    """A kept result pickled by another version of the code (hosts sharing Redis during a deploy) whose class
    is gone is computed again, not an error."""
    import sys
    import types

    old_code = types.ModuleType("portfolio_read_cache_old_version")
    exec("class Row:\n    pass", old_code.__dict__)  # noqa: S102 - a class defined in a throw-away module
    sys.modules[old_code.__name__] = old_code
    calls = []

    @kept_by_data_version
    def shaped() -> object:
        calls.append(1)
        return old_code.Row() if len(calls) == 1 else 7

    try:
        with app.test_request_context("/"):
            assert isinstance(shaped(), old_code.Row)
    finally:
        del sys.modules[old_code.__name__]  # the new version no longer has that class
    with app.test_request_context("/"):
        assert shaped() == 7
    assert len(calls) == 2


def test_kept_results_are_shared_through_redis_and_computed_when_it_does_not_answer(database_url):
    """PAGE_CACHE_URL=redis://…: a second app (another worker or host) finds what the first kept; with the
    Redis server unreachable, every request computes the result instead of failing."""
    import socket

    from portfolio import create_app, page_cache

    url = "redis://127.0.0.1:6379/14"
    require_redis(url)
    with socket.socket() as probe:  # a port with no server behind it
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    calls = []

    @kept_by_data_version
    def answer(n: int) -> int:
        calls.append(n)
        return n * 2

    base = {"ENV_MODE": "testing", "DATABASE_URL": database_url, "SECRET_KEY": "r" * 40}
    one, two = (create_app({**base, "PAGE_CACHE_URL": url}) for _ in range(2))
    with one.app_context():
        page_cache.clear()
    try:
        with one.test_request_context("/"):
            assert answer(21) == 42
        with two.test_request_context("/"):
            assert answer(21) == 42
        assert calls == [21]  # the second app read what the first kept
    finally:
        with one.app_context():
            page_cache.clear()
    down = create_app({**base, "PAGE_CACHE_URL": f"redis://127.0.0.1:{closed}/0"})
    with down.test_request_context("/"):
        assert answer(5) == 10 and answer(5) == 10
    assert calls == [21, 5, 5]
    for app in (one, two, down):
        app.extensions["portfolio_db"]["engine"].dispose()
