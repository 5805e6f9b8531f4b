"""The portal's page cache: a page is built once and served from the cache until the data changes (any
committed service call: it writes an audit row), with ETag / Last-Modified and 304 on conditional requests."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import event, select

from portfolio import db, page_cache
from portfolio.orgs.models import PublicEntity
from portfolio.page_cache import cached_page
from tests.support import STAFF_ACTOR, require_redis

PAGES = ["/transparencia/", "/transparencia/proyectos", "/transparencia/fideicomiso", "/transparencia/datos",
         "/transparencia/indicadores", "/transparencia/datos/proyectos.csv"]


class Statements:
    def __init__(self, engine):
        self.engine, self.sql = engine, []

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._count)
        return self.sql

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._count)

    def _count(self, _conn, _cursor, statement, *_args):
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN")):
            self.sql.append(statement)


def _new_project(name: str) -> None:
    from portfolio.projects import services as projects

    entity = db.session.scalar(select(PublicEntity).order_by(PublicEntity.id).limit(1))
    projects.create_project(data={"name": name, "entity_id": entity.id, "sector": "orden_publico", "mechanism": "oxi",
                                  "reference_amount": Decimal("1000.00"), "locations": "130101"}, actor=STAFF_ACTOR)
    db.session.commit()


def test_a_cached_page_is_built_once_and_served_with_one_statement(app, client, demo):
    for url in PAGES:
        first = client.get(url)
        assert first.status_code == 200 and first.headers["ETag"] and first.headers["Last-Modified"], url
        page_cache.clear_version()  # as if the version had been read longer than a second ago
        with Statements(app.extensions["portfolio_db"]["engine"]) as sql:
            second = client.get(url)
        assert second.status_code == 200 and second.get_data() == first.get_data(), url
        assert second.headers["ETag"] == first.headers["ETag"], url
        assert second.headers["Content-Type"] == first.headers["Content-Type"], url
        assert len(sql) == 1 and "audit_log" in sql[0], (url, sql)  # the data version only: nothing rebuilt
        assert second.headers["Cache-Control"] == "public, max-age=300" and "Set-Cookie" not in second.headers


def test_a_committed_change_shows_at_once(app, client, ctx, demo):
    before = client.get("/transparencia/proyectos?etapa=priorizado")
    assert "Comisaría de prueba de la caché" not in before.get_data(as_text=True)
    _new_project("Comisaría de prueba de la caché")
    after = client.get("/transparencia/proyectos?etapa=priorizado")
    assert "Comisaría de prueba de la caché" in after.get_data(as_text=True)
    assert after.headers["ETag"] != before.headers["ETag"]
    assert client.get("/transparencia/proyectos?etapa=priorizado", headers={
        "If-None-Match": before.headers["ETag"]}).status_code == 200  # the old version no longer matches


def test_a_rolled_back_change_keeps_the_cached_page(app, client, ctx, demo):
    before = client.get("/transparencia/")
    from portfolio.projects import services as projects

    entity = db.session.scalar(select(PublicEntity).order_by(PublicEntity.id).limit(1))
    projects.create_project(data={"name": "Nunca confirmado", "entity_id": entity.id, "sector": "orden_publico",
                                  "mechanism": "oxi", "reference_amount": Decimal("1.00"), "locations": "130101"},
                            actor=STAFF_ACTOR)
    db.session.rollback()
    assert client.get("/transparencia/").headers["ETag"] == before.headers["ETag"]


def test_conditional_requests_get_304_without_a_body(client, demo):
    first = client.get("/transparencia/proyectos")
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    by_etag = client.get("/transparencia/proyectos", headers={"If-None-Match": etag})
    assert by_etag.status_code == 304 and by_etag.get_data() == b"" and by_etag.headers["ETag"] == etag
    by_date = client.get("/transparencia/proyectos", headers={"If-Modified-Since": modified})
    assert by_date.status_code == 304
    assert client.get("/transparencia/proyectos", headers={"If-None-Match": '"otro"'}).status_code == 200
    assert client.get("/transparencia/proyectos?etapa=priorizado", headers={"If-None-Match": etag}).status_code == 200
    assert client.get("/transparencia/proyectos", headers={
        "If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"}).status_code == 200


def test_query_arguments_are_part_of_the_key(client, demo):
    everything = client.get("/transparencia/proyectos").get_data()
    some = client.get("/transparencia/proyectos?etapa=en_ejecucion").get_data()
    assert everything != some
    assert client.get("/transparencia/proyectos").get_data() == everything


def test_errors_are_never_cached(client, demo):
    assert client.get("/transparencia/proyectos/999999").status_code == 404
    assert client.get("/transparencia/proyectos/999999").headers["Cache-Control"] == "no-store"


def test_the_page_cache_is_shared_through_redis_when_configured(database_url):
    """PAGE_CACHE_URL=redis://…: two apps (two workers, two hosts) share the entries."""
    from portfolio import create_app, page_cache

    url = "redis://127.0.0.1:6379/15"
    require_redis(url)
    settings = {"ENV_MODE": "testing", "DATABASE_URL": database_url, "SECRET_KEY": "r" * 40, "PAGE_CACHE_URL": url}
    one, two = create_app(settings), create_app(settings)
    calls = []

    @one.route("/_cache_probe")
    @cached_page
    def _probe_one():
        calls.append("one")
        return "uno"

    @two.route("/_cache_probe")
    @cached_page
    def _probe_two():
        calls.append("two")
        return "dos"

    for app in (one, two):
        app.view_functions["_probe_one" if app is one else "_probe_two"].access_policy = "public"
    with one.app_context():
        page_cache.clear()
    try:
        assert one.test_client().get("/_cache_probe").get_data() == b"uno"
        assert two.test_client().get("/_cache_probe").get_data() == b"uno"  # built by the first app
        assert calls == ["one"]
    finally:
        with one.app_context():
            page_cache.clear()
        for app in (one, two):
            app.extensions["portfolio_db"]["engine"].dispose()


def test_within_a_second_a_hit_reads_nothing_and_a_commit_elsewhere_shows_after_it(app, client, ctx, demo,
                                                                                     isolated, monkeypatch):
    """A worker trusts the version it read for PAGE_CACHE_VERSION_SECONDS: a hit then touches no database;
    a change committed by another process (not through this one's session) shows once that time is over.
    The window is made long here so that a slow first render on a busy machine cannot end it; its end is
    ``clear_version()`` below."""
    monkeypatch.setitem(app.config, "PAGE_CACHE_VERSION_SECONDS", 3600)
    page_cache.clear_version()
    client.get("/transparencia/proyectos")
    with Statements(app.extensions["portfolio_db"]["engine"]) as sql:
        assert client.get("/transparencia/proyectos").status_code == 200
    assert sql == []
    before = client.get("/transparencia/proyectos").headers["ETag"]
    from portfolio.audit import AuditEntry

    isolated.execute(AuditEntry.__table__.insert().values(action="project.create", object_type="projects",
                                                          at=page_cache.clock.utcnow()))
    assert client.get("/transparencia/proyectos").headers["ETag"] == before  # within the second
    page_cache.clear_version()  # the second is over
    assert client.get("/transparencia/proyectos").headers["ETag"] != before


def test_with_no_window_every_hit_reads_the_version(app, client, demo, monkeypatch):
    """PAGE_CACHE_VERSION_SECONDS=0: each request reads the data version (one statement), none trusts the last."""
    monkeypatch.setitem(app.config, "PAGE_CACHE_VERSION_SECONDS", 0)
    client.get("/transparencia/proyectos")
    for _ in range(2):
        with Statements(app.extensions["portfolio_db"]["engine"]) as sql:
            assert client.get("/transparencia/proyectos").status_code == 200
        assert len(sql) == 1 and "audit_log" in sql[0], sql
