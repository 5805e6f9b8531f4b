"""The notification centre (bell with the unread count, list, mark as read), the home pages' «Próximos
vencimientos (30 días)» and «Vencidos», channel preferences, and the private iCalendar feed (validated with
the ``icalendar`` library; revocable; a moved due date moves the event, same UID)."""
from __future__ import annotations

import datetime as dt
import re
import uuid
from decimal import Decimal

from icalendar import Calendar
from sqlalchemy import select

from portfolio import clock, db
from portfolio.auth.models import User
from portfolio.auth.policy import SYSTEM
from portfolio.notifications.cli import run_notifications
from portfolio.notifications.models import Notice
from portfolio.notifications.obligations import open_obligations
from portfolio.notifications.vocab import ObligationKind, ObligationState
from portfolio.orgs.models import Company
from portfolio.rules import add_rule_value
from portfolio.trust.services import contributions, disbursements, programs
from tests.notifications.conftest import at
from tests.support import insert_user
from tests.trust.conftest import new_ruc, run

MAY = dt.date(2026, 5, 1)


def key() -> str:
    return uuid.uuid4().hex


def declare_may(company_id: int, user_id: int, payroll: str = "1000000.00"):
    user = db.session.get(User, user_id)
    with clock.frozen(at(dt.date(2026, 6, 3))):
        return run(lambda: contributions.declare(company_id=company_id, month=MAY, payroll=Decimal(payroll),
                                                 headcount=10, actor=user, key=key())).value


def test_the_bell_counts_unread_notices_and_the_list_marks_them_read(app, login_as):
    client = login_as("company")
    company_id, user_id = client.user["company_id"], client.user["id"]
    with app.app_context():
        declare_may(company_id, user_id)
        other = insert_user("company", company_id)
        db.session.commit()
        other_id = other.id
        for day in (dt.date(2026, 6, 10), dt.date(2026, 6, 16)):
            with clock.frozen(at(day)):
                run_notifications()
        mine = list(db.session.scalars(select(Notice.id).where(Notice.user_id == user_id).order_by(Notice.id)))
        theirs = db.session.scalar(select(Notice.id).where(Notice.user_id == other_id))
    assert len(mine) == 2
    home = client.get("/").get_data(as_text=True)
    assert re.search(r'id="avisos-no-leidos">2<', home)
    page = client.get("/avisos/").get_data(as_text=True)
    assert "Recordatorio: el aporte de mayo de 2026" in page and "Vencido: el aporte de mayo de 2026" in page
    assert "no está configurado" in page  # SMTP_URL unset in the test app
    assert 'href="/fideicomiso/empresa/declaraciones/' in page
    # marking another user's notice changes nothing; one's own, yes
    response = client.post("/avisos/leidos", {"aviso": [str(mine[0]), str(theirs)]})
    assert response.status_code == 302
    with app.app_context():
        read = dict(db.session.execute(select(Notice.id, Notice.read_at).where(Notice.id.in_(mine + [theirs]))).all())
    assert read[mine[0]] is not None and read[mine[1]] is None and read[theirs] is None
    assert re.search(r'id="avisos-no-leidos">1<', client.get("/").get_data(as_text=True))
    client.post("/avisos/leidos", {"todos": "1"})
    assert 'id="avisos-no-leidos"' not in client.get("/").get_data(as_text=True)
    assert "No tiene avisos sin leer." in client.get("/avisos/?estado=no-leidos").get_data(as_text=True)
    # bad input: nothing selected → a Spanish message, no 500
    response = client.post("/avisos/leidos", {}, follow_redirects=True)
    assert response.status_code == 200 and "Seleccione al menos un aviso." in response.get_data(as_text=True)


def test_home_pages_show_upcoming_and_overdue_from_the_obligations_function(app, login_as):
    company_client = login_as("company")
    board_client = login_as("board")
    trustee_client = login_as("trustee")
    with app.app_context():
        contribution = declare_may(company_client.user["company_id"], company_client.user["id"])
        company_name = db.session.get(Company, company_client.user["company_id"]).legal_name
    with clock.frozen(at(dt.date(2026, 6, 1))):
        page = company_client.get("/").get_data(as_text=True)
        assert "Próximos vencimientos (30 días)" in page and "Vencidos" in page
        upcoming = page.split('id="proximos-vencimientos"')[1].split("</ul>")[0]
        assert f"Aporte de mayo de 2026 — {company_name}" in upcoming and "15/06/2026" in upcoming
        assert f'href="/fideicomiso/empresa/declaraciones/{contribution.id}"' in upcoming
        assert "S/\u00a01,500.00" in upcoming
        assert "No tiene obligaciones vencidas." in page
    with clock.frozen(at(dt.date(2026, 7, 20))):  # 35 days late: escalated, on the board's and trustee's pages
        page = company_client.get("/").get_data(as_text=True)
        overdue = page.split('id="vencidos"')[1].split("</ul>")[0]
        assert "Aporte de mayo de 2026" in overdue and "35 días de atraso" in overdue
        for client in (board_client, trustee_client):
            overdue = client.get("/").get_data(as_text=True).split('id="vencidos"')[1].split("</ul>")[0]
            assert f"Aporte de mayo de 2026 — {company_name}" in overdue
    with clock.frozen(at(dt.date(2026, 7, 1))):  # 16 days late: not yet the board's business
        overdue = board_client.get("/").get_data(as_text=True).split('id="vencidos"')[1].split("</ul>")[0]
        assert "Aporte de mayo" not in overdue


def test_obligations_of_every_trust_kind_with_owner_due_date_and_state(ctx):
    company = Company(ruc=new_ruc(), legal_name="Agroexportadora Virú S.A.", sector="agroindustria", active=True)
    db.session.add(company)
    db.session.flush()
    user, staff, trustee = insert_user("company", company.id), insert_user("staff"), insert_user("trustee")
    members = [insert_user("board", name=f"Miembro {i}") for i in range(3)]
    db.session.commit()
    with clock.frozen(at(dt.date(2026, 6, 3))):
        c = run(lambda: contributions.declare(company_id=company.id, month=MAY, payroll=Decimal("2000000.00"),
                                              headcount=5, actor=user, key=key())).value
        program = run(lambda: programs.create_program(code="PREV", name="Prevención", description=None, actor=staff))
        run(lambda: programs.set_allocation(program_id=program.id, year=2026, amount=Decimal("100000.00"), goals="M",
                                            actor=staff))
        org = run(lambda: programs.create_organization(ruc=new_ruc(), name="Asociación Vecinal Moche",
                                                       legal_status="constituida", registry_entry="11002233",
                                                       constituted_on=dt.date(2020, 1, 1), actor=staff))
        request = run(lambda: disbursements.request(program_id=program.id, organization_id=org.id, year=2026,
                                                    amount=Decimal("1000.00"), purpose="Cámaras", actor=staff,
                                                    key=key(), invoices=[(new_ruc(), "F001", "123")])).value
    found = {ob.key: ob for ob in open_obligations(dt.date(2026, 6, 20))}
    aporte = found[f"aporte:{c.id}"]
    assert (aporte.kind, aporte.due_on, aporte.state, aporte.amount, aporte.company_id) == (
        ObligationKind.APORTE, dt.date(2026, 6, 15), ObligationState.VENCIDO, Decimal("3000.00"), company.id)
    # June not yet declared: due 15/07/2026, not yet late
    june = found[f"declaracion:{company.id}:2026-06"]
    assert (june.due_on, june.state) == (dt.date(2026, 7, 15), ObligationState.POR_VENCER)
    votes = sorted(ob.user_id for ob in found.values() if ob.kind == ObligationKind.VOTO)
    assert votes == sorted(m.id for m in members)
    vote = found[f"voto:{request.id}:{members[0].id}"]
    assert (vote.starts_on, vote.due_on) == (dt.date(2026, 6, 3), dt.date(2026, 6, 6))  # notify.vote_days = 3
    assert vote.state == ObligationState.VENCIDO
    assert trustee.id  # the trustee owns confirmations, executions, closings (none here yet)


def test_the_calendar_feed_validates_updates_when_a_due_date_moves_and_can_be_revoked(app, login_as):
    client = login_as("board")
    with app.app_context():
        staff = insert_user("staff")
        db.session.commit()
        with clock.frozen(at(dt.date(2026, 6, 3))):
            program = run(lambda: programs.create_program(code="OBS", name="Observatorio", description=None, actor=staff))
            run(lambda: programs.set_allocation(program_id=program.id, year=2026, amount=Decimal("50000.00"),
                                                goals="M", actor=staff))
            org = run(lambda: programs.create_organization(ruc=new_ruc(), name="Observatorio Ciudadano",
                                                           legal_status="constituida", registry_entry="1",
                                                           constituted_on=dt.date(2020, 1, 1), actor=staff))
            request = run(lambda: disbursements.request(program_id=program.id, organization_id=org.id, year=2026,
                                                        amount=Decimal("2500.50"), purpose="Encuesta", actor=staff,
                                                        key=key(), invoices=[(new_ruc(), "F001", "9")])).value
    response = client.post("/avisos/calendario/nuevo", {})
    assert response.status_code == 302
    page = client.get("/avisos/preferencias").get_data(as_text=True)
    url = re.search(r'id="url-calendario">([^<]+)<', page).group(1)
    # PUBLIC_URL unset: the address of the request
    assert url.startswith("http://localhost/avisos/calendario/") and url.endswith(".ics")
    assert url not in client.get("/avisos/preferencias").get_data(as_text=True)  # shown once
    path = url.removeprefix("http://localhost")
    anonymous = app.test_client()
    with clock.frozen(at(dt.date(2026, 6, 4))):
        feed = anonymous.get(path)
    assert feed.status_code == 200 and feed.mimetype == "text/calendar"
    calendar = Calendar.from_ical(feed.data)
    [event] = calendar.walk("VEVENT")
    uid = str(event["UID"])
    assert uid.startswith(f"voto-{request.id}-")
    assert event.decoded("DTSTART") == dt.date(2026, 6, 6)
    assert str(event["SUMMARY"]) == f"Vence: Votar la solicitud N.° {request.id} (Observatorio Ciudadano)"
    assert "S/\u00a02,500.50" in str(event["DESCRIPTION"])
    assert str(event["URL"]).endswith(f"/fideicomiso/desembolsos/{request.id}")
    # the vote period moves (a new rule value): same event, new date
    with app.app_context():
        run(lambda: add_rule_value(key="notify.vote_days", value="5", effective_from=dt.date(2026, 6, 1),
                                   legal_basis="Acuerdo de prueba", actor=SYSTEM, today=dt.date(2026, 6, 1)))
    with clock.frozen(at(dt.date(2026, 6, 4))):
        [moved] = Calendar.from_ical(anonymous.get(path).data).walk("VEVENT")
    assert str(moved["UID"]) == uid and moved.decoded("DTSTART") == dt.date(2026, 6, 8)
    # revoked: the URL answers 404, like an unknown token
    client.post("/avisos/calendario/revocar", {})
    assert anonymous.get(path).status_code == 404
    assert anonymous.get("/avisos/calendario/no-existe.ics").status_code == 404


def test_preferences_page_saves_the_channel_and_refuses_bad_input(app, login_as):
    client = login_as("trustee")
    page = client.get("/avisos/preferencias").get_data(as_text=True)
    assert "Pagos por confirmar" in page and "Pago del aporte mensual" in page  # escalations reach the trustee
    data = {f"kind_{k}": "correo" for k in ("confirmacion", "ejecucion", "cierre", "aporte", "declaracion")}
    response = client.post("/avisos/preferencias", {**data, "kind_cierre": "aplicacion"}, follow_redirects=True)
    assert "Preferencias de avisos guardadas." in response.get_data(as_text=True)
    with app.app_context():
        from portfolio.notifications import queries

        assert queries.preferences(client.user["id"]) == {"cierre": "aplicacion"}
    response = client.post("/avisos/preferencias", {**data, "kind_cierre": "telegrama"})
    assert response.status_code == 200 and "Not a valid choice" not in response.get_data(as_text=True)
    with app.app_context():
        assert queries.preferences(client.user["id"]) == {"cierre": "aplicacion"}
