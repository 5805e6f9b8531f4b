"""Reminders through a real SMTP server started by the test: recipients, subject, Spanish body, the link to the
exact page and the amount to the cent; reruns send nothing twice; a payer is not reminded; SMTP unset sends
nothing; a failing server is retried later, a refused recipient is not; channel choices."""
from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portfolio import clock, db
from portfolio.domain_errors import DomainError
from portfolio.notifications import services
from portfolio.notifications.cli import run_notifications
from portfolio.notifications.models import Notice
from portfolio.notifications.vocab import Channel, EmailStatus
from portfolio.trust.services import contributions
from tests.notifications.conftest import at, start_smtp
from tests.support import insert_user
from tests.trust.conftest import make_company, run

BASE = "https://cartera.regionlalibertad.gob.pe"
CONTACT = "tesoreria@minera-andina.pe"
PAYROLL = Decimal("1234567.89")   # × 0.15 % = 1,851.851835 → S/ 1,851.85
AMOUNT = "S/\u00a01,851.85"
SUBJECT_AMOUNT = "S/ 1,851.85"    # subjects use a plain space (a no-break space breaks header folding)
MAY = dt.date(2026, 5, 1)
DUE = dt.date(2026, 6, 15)        # trust.due_day = 15 of the following month (a Monday)


def key() -> str:
    return uuid.uuid4().hex


@pytest.fixture
def scene(ctx):
    company = make_company("Minera Andina S.A.C.")
    company.contact_email = CONTACT
    user = insert_user("company", company.id, name="Rosa Quispe")
    trustee = insert_user("trustee", name="Fiduciario")
    db.session.commit()
    with clock.frozen(at(dt.date(2026, 6, 3))):
        contribution = run(lambda: contributions.declare(company_id=company.id, month=MAY, payroll=PAYROLL,
                                                         headcount=40, actor=user, key=key())).value
    return {"company": company, "user": user, "trustee": trustee, "contribution": contribution}


def notices(**where) -> list[Notice]:
    query = select(Notice).order_by(Notice.id)
    for name, value in where.items():
        query = query.where(getattr(Notice, name) == value)
    return list(db.session.scalars(query))


def test_the_reminder_five_days_before_reaches_the_contact_and_the_user_by_email(scene, smtp_server):
    with clock.frozen(at(DUE - dt.timedelta(days=5))):
        result = run_notifications()
    assert result["created"] == 2 and result["enviados"] == 2
    link = f"{BASE}/fideicomiso/empresa/declaraciones/{scene['contribution'].id}"
    for address in (CONTACT, scene["user"].email):
        [received] = smtp_server.to(address)
        assert received.recipients == [address]
        assert received.subject == f"Recordatorio: el aporte de mayo de 2026 al fideicomiso por {SUBJECT_AMOUNT} — vence el 15/06/2026"
        text = received.part("plain")
        assert "Estimados señores de Minera Andina S.A.C.:" in text
        assert f"Le recordamos que el aporte de mayo de 2026 al fideicomiso por {AMOUNT} vence el 15/06/2026 (en 5 días)." in text
        assert f"Ver en la aplicación: {link}" in text
        html = received.part("html")
        assert f'<a href="{link}">Ver en la aplicación</a>' in html and AMOUNT in html
        assert received.message["Content-Language"] == "es-PE"
        assert received.sender == "avisos@regionlalibertad.gob.pe"
    # the user also has it in the app; the contact (no account) by e-mail only
    [in_app] = notices(user_id=scene["user"].id)
    assert in_app.read_at is None and in_app.email_status == EmailStatus.ENVIADO and in_app.amount == Decimal("1851.85")
    [contact] = notices(recipient=f"mail:{CONTACT}")
    assert contact.user_id is None and contact.link == f"/fideicomiso/empresa/declaraciones/{scene['contribution'].id}"

    # a rerun, the same day or the next, sends nothing again
    for day in (DUE - dt.timedelta(days=5), DUE - dt.timedelta(days=4)):
        with clock.frozen(at(day, 15)):
            again = run_notifications()
        assert again["created"] == 0 and again["enviados"] == 0
    assert len(smtp_server.messages) == 2

    # the day after the due date: «Vencido»
    with clock.frozen(at(DUE + dt.timedelta(days=1))):
        run_notifications()
    [_, late] = smtp_server.to(CONTACT)
    assert late.subject == f"Vencido: el aporte de mayo de 2026 al fideicomiso por {SUBJECT_AMOUNT} — venció el 15/06/2026"
    assert "venció el 15/06/2026 (hace 1 día)" in late.part("plain")


def test_a_company_that_paid_is_not_reminded_and_the_trustee_is_asked_to_confirm(scene, smtp_server):
    c = scene["contribution"]
    with clock.frozen(at(dt.date(2026, 6, 8))):
        run(lambda: contributions.register_payment(contribution_id=c.id, amount=Decimal("1851.85"),
                                                   paid_on=dt.date(2026, 6, 8), bank="BCP", operation_number="OP-778812",
                                                   actor=scene["user"], key=key()))
    with clock.frozen(at(dt.date(2026, 6, 10))):
        run_notifications()
    assert smtp_server.to(CONTACT) == [] and smtp_server.to(scene["user"].email) == []
    [ask] = smtp_server.to(scene["trustee"].email)
    assert ask.subject.startswith("Pagos por confirmar: Confirmar el pago de Minera Andina S.A.C.")
    assert "S/\u00a01,851.85" in ask.part("plain") and f"{BASE}/fideicomiso/fiduciario" in ask.part("plain")


def test_without_smtp_url_nothing_is_sent_and_the_notice_stays_in_the_app(scene, app, monkeypatch):
    controller, box = start_smtp(5141)
    try:
        monkeypatch.setitem(app.config, "SMTP_URL", None)
        with clock.frozen(at(DUE - dt.timedelta(days=5))):
            result = run_notifications()
        assert result["created"] == 2 and result["enviados"] == 0 and box.messages == []
        assert {n.email_status for n in notices()} == {EmailStatus.SIN_SMTP}
        # configuring SMTP later does not flood old notices
        monkeypatch.setitem(app.config, "SMTP_URL", "smtp://127.0.0.1:5141")
        with clock.frozen(at(DUE - dt.timedelta(days=4))):
            assert run_notifications()["enviados"] == 0
        assert box.messages == []
    finally:
        controller.stop()


def test_a_failing_server_is_retried_later_and_a_refused_recipient_is_not(scene, app, monkeypatch):
    monkeypatch.setitem(app.config, "SMTP_URL", "smtp://127.0.0.1:5149")  # nothing listens there yet
    first = at(DUE - dt.timedelta(days=5))
    with clock.frozen(first):
        result = run_notifications()
    assert result["created"] == 2 and result["reintentos"] == 2 and result["enviados"] == 0
    pending = notices()
    assert all(n.email_status == EmailStatus.POR_ENVIAR and n.email_attempts == 1 for n in pending)
    assert all(n.email_next_at == first + services.FIRST_RETRY for n in pending)
    assert all("ConnectionRefused" in n.email_error for n in pending)

    controller, box = start_smtp(5149)
    box.refuse = {CONTACT}
    try:
        with clock.frozen(first + dt.timedelta(minutes=2)):  # before the retry time: nothing tried
            assert run_notifications()["enviados"] == 0 and box.messages == []
        with clock.frozen(first + dt.timedelta(minutes=6)):
            result = run_notifications()
        assert result["enviados"] == 1 and result["fallidos"] == 1
        assert [m.recipients for m in box.messages] == [[scene["user"].email]]
        [refused] = notices(recipient=f"mail:{CONTACT}")
        assert refused.email_status == EmailStatus.FALLIDO and "550" in refused.email_error
        with clock.frozen(first + dt.timedelta(hours=8)):
            assert run_notifications()["enviados"] == 0  # a refused address is never retried
    finally:
        controller.stop()


def test_each_user_chooses_the_channel_but_the_contact_cannot_switch_off_legal_reminders(scene, smtp_server):
    user = scene["user"]
    colleague = insert_user("company", scene["company"].id, name="Luis Paredes")
    muted = insert_user("company", scene["company"].id, name="Ana Torres")
    db.session.commit()
    run(lambda: services.set_preferences(actor=colleague, choices={"aporte": Channel.APLICACION}))
    run(lambda: services.set_preferences(actor=muted, choices={"aporte": Channel.NINGUNO}))
    # the contact's own account: e-mail is fixed for the legal due dates
    user.email = CONTACT
    db.session.commit()
    with pytest.raises(DomainError, match="contacto de su empresa"):
        services.set_preferences(actor=user, choices={"aporte": Channel.NINGUNO})
    db.session.rollback()
    with clock.frozen(at(DUE - dt.timedelta(days=5))):
        run_notifications()
    assert [m.recipients for m in smtp_server.messages] == [[CONTACT]]  # once, as the user who is the contact
    assert {n.recipient for n in notices()} == {f"user:{user.id}", f"user:{colleague.id}"}
    [quiet] = notices(user_id=colleague.id)
    assert quiet.email_status == EmailStatus.NO_APLICA and quiet.email_to is None
    assert db.session.scalar(select(func.count(Notice.id)).where(Notice.user_id == muted.id)) == 0
