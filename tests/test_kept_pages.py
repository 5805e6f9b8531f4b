"""Signed-in pages kept for their session (``portfolio/kept_pages.py``): served again in one statement while
nothing changed, rendered again after any committed change, a new notice or a new business day, never to
another user or an ended session, never with a message waiting, and with new money-form keys every time."""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from flask import template_rendered
from sqlalchemy import select

from portfolio import clock, db, kept_pages
from portfolio.notifications.models import Notice
from portfolio.orgs.models import PublicEntity
from tests.support import STAFF_ACTOR, count_statements

IDEM = re.compile(r'name="v\d+-idem" type="hidden" value="([0-9a-f]{32})"')


def _new_project(app, name: str) -> None:
    from portfolio.projects import services as projects

    with app.app_context():
        entity = db.session.scalar(select(PublicEntity).order_by(PublicEntity.id).limit(1))
        projects.create_project(data={"name": name, "entity_id": entity.id, "sector": "orden_publico",
                                      "mechanism": "oxi", "reference_amount": Decimal("1000.00"),
                                      "locations": "130101"}, actor=STAFF_ACTOR)
        db.session.commit()


def _served(app, client, url: str) -> tuple[str, list[str], bool]:
    """The page, the statements its request sent and whether a template was rendered for it."""
    rendered = []

    def note(sender, template, context, **extra):
        rendered.append(template.name)

    template_rendered.connect(note, app)
    try:
        with count_statements(app) as statements:
            response = client.get(url)
    finally:
        template_rendered.disconnect(note, app)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True), statements, bool(rendered)


def _warm(app, client, url: str) -> str:
    """The first page of a session creates its CSRF token (not kept); the second one is kept."""
    client.get(url)
    return _served(app, client, url)[0]


def test_a_repeated_page_is_served_in_one_statement_until_the_data_changes(app, login_as):
    staff = login_as("staff")
    _new_project(app, "Comisaría de las páginas guardadas")
    first = _warm(app, staff, "/proyectos/?q=guardadas")
    again, statements, rendered = _served(app, staff, "/proyectos/?q=guardadas")
    assert again == first and "Comisaría de las páginas guardadas" in again and not rendered
    assert len(statements) == 1 and "user_sessions" in statements[0], statements  # the user, checked again

    _new_project(app, "Comisaría guardada después")  # any committed change through a service
    changed, _, rendered = _served(app, staff, "/proyectos/?q=guardad")
    assert "Comisaría guardada después" in changed and rendered
    other_query, _, rendered = _served(app, staff, "/proyectos/?q=despu%C3%A9s")
    assert "Comisaría de las páginas guardadas" not in other_query and rendered  # the query is in the key


def test_another_user_never_gets_a_page_kept_for_someone_else(app, login_as):
    first = login_as("company", name="Usuaria de la Primera Empresa")
    second = login_as("company", name="Usuario de la Segunda Empresa")
    page = _warm(app, first, "/fideicomiso/empresa")
    assert "Usuaria de la Primera Empresa" in page
    other, _, rendered = _served(app, second, "/fideicomiso/empresa")
    assert "Usuario de la Segunda Empresa" in other and "Usuaria de la Primera Empresa" not in other and rendered


def test_an_ended_session_gets_the_login_page_not_the_kept_one(app, login_as):
    staff = login_as("staff")
    _warm(app, staff, "/fideicomiso/")
    cookie = staff.c.get_cookie("portfolio_session").value
    assert staff.post("/logout").status_code == 302
    staff.c.set_cookie("portfolio_session", cookie)  # the cookie from before the logout, replayed
    replayed = staff.get("/fideicomiso/")
    assert replayed.status_code == 302 and "/login" in replayed.headers["Location"]


def test_a_deactivated_user_gets_nothing_kept(app, login_as):
    from portfolio.auth import services
    from portfolio.auth.models import User
    from portfolio.auth.policy import SYSTEM

    auditor = login_as("auditor")
    _warm(app, auditor, "/proyectos/")
    with app.app_context():
        user = db.session.get(User, auditor.user["id"])
        services.set_active(user=user, active=False, actor=SYSTEM)
        db.session.commit()
    assert auditor.get("/proyectos/").status_code == 302


def test_a_page_with_a_message_waiting_shows_it_once(app, login_as):
    staff = login_as("staff")
    _warm(app, staff, "/")
    with staff.c.session_transaction() as session:
        session["_flashes"] = [("success", "Mensaje que se muestra una sola vez")]
    assert "Mensaje que se muestra una sola vez" in staff.get("/").get_data(as_text=True)
    assert "Mensaje que se muestra una sola vez" not in staff.get("/").get_data(as_text=True)


def test_a_new_notice_or_a_new_day_renders_the_page_again(app, login_as):
    evening = dt.datetime.combine(clock.today(), dt.time(23, 50), tzinfo=clock.zone())
    with clock.frozen(evening):
        staff = login_as("staff")
        _warm(app, staff, "/")
        assert not _served(app, staff, "/")[2]
    with app.app_context():  # notices are written by `flask notify run` without an audit row
        db.session.add(Notice(obligation_key="prueba:1", step="hoy", recipient=f"user:{staff.user['id']}",
                              user_id=staff.user["id"], kind="hito", subject="Aviso de prueba", body="Aviso",
                              link="/", due_on=clock.today()))
        db.session.commit()
    with clock.frozen(evening):
        page, _, rendered = _served(app, staff, "/")
        assert rendered and re.search(r'id="avisos-no-leidos">1<', page)  # the bell counts it
        assert not _served(app, staff, "/")[2]
    with clock.frozen(evening + dt.timedelta(minutes=20)):  # 00:10 in Lima: another business day
        assert _served(app, staff, "/")[2]


def test_money_forms_get_a_new_key_every_time_a_kept_page_is_served(app, login_as):
    from tests.trust.test_pages import setup_disbursement

    d = setup_disbursement(app)["disbursement"]
    member = login_as("board")
    member.get("/fideicomiso/comite")
    keys = []
    for _ in range(3):
        page, _, rendered = _served(app, member, "/fideicomiso/comite")
        keys += IDEM.findall(page)
    assert not rendered  # the last two were kept pages
    assert len(keys) == 3 and len(set(keys)) == 3, keys
    answer = member.post(f"/fideicomiso/desembolsos/{d}/votar", {f"v{d}-decision": "aprobar", f"v{d}-comment": "Conforme",
                                                                f"v{d}-idem": keys[-1]}, follow_redirects=True)
    shown = answer.get_data(as_text=True)
    assert "ya se había registrado" not in shown and "Voto registrado" in shown, shown[:2000]


def test_a_store_that_does_not_answer_renders_the_page(app, login_as, monkeypatch):
    """PAGE_CACHE_URL names a Redis server that does not answer: every page is rendered, none fails."""
    import socket

    with socket.socket() as probe:  # a port with no server behind it
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    staff = login_as("staff")
    monkeypatch.setitem(app.config, "PAGE_CACHE_URL", f"redis://127.0.0.1:{closed}/0")
    kept_pages.init_app(app)
    try:
        staff.get("/proyectos/")
        for _ in range(2):
            assert _served(app, staff, "/proyectos/")[2]
    finally:
        monkeypatch.undo()
        kept_pages.init_app(app)


def test_clear_cache_forgets_kept_pages(app, login_as):
    """After data is corrected outside the services (no audit row), `flask clear-cache` makes every page
    render again."""
    staff = login_as("staff")
    _warm(app, staff, "/fideicomiso/")
    assert not _served(app, staff, "/fideicomiso/")[2]
    result = app.test_cli_runner().invoke(args=["clear-cache"])
    assert result.exit_code == 0 and "vaciada" in result.output, result.output
    assert _served(app, staff, "/fideicomiso/")[2]
