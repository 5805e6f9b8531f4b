"""A real SMTP server (aiosmtpd) started by the test on 127.0.0.1, and a small trust world with a clock."""
from __future__ import annotations

import datetime as dt
import email
import email.policy
import threading
from dataclasses import dataclass, field

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as SMTPProtocol

from portfolio import clock

SMTP_PORT = 5140
LIMA = clock.load_zone("America/Lima")


def at(day: dt.date, hour: int = 8) -> dt.datetime:
    """An instant on a Lima business date (the clock tests freeze)."""
    return dt.datetime.combine(day, dt.time(hour), tzinfo=LIMA)


@dataclass
class Received:
    sender: str
    recipients: list[str]
    message: email.message.EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    def part(self, subtype: str) -> str:
        body = self.message.get_body(preferencelist=(subtype,))
        return body.get_content() if body is not None else ""


@dataclass
class Mailbox:
    """What the test's SMTP server accepted; ``refuse`` makes it answer 550 to those recipients."""

    messages: list[Received] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 - aiosmtpd API
        if address.lower() in self.refuse:
            return "550 5.1.1 Buzón inexistente"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd API
        parsed = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), parsed))
        return "250 Mensaje aceptado"

    def to(self, address: str) -> list[Received]:
        return [m for m in self.messages if address in m.recipients]


class _Controller(Controller):
    def factory(self):
        return SMTPProtocol(self.handler, enable_SMTPUTF8=True)


def start_smtp(port: int = SMTP_PORT) -> tuple[_Controller, Mailbox]:
    box = Mailbox()
    controller = _Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    return controller, box


@pytest.fixture
def smtp_server(app, monkeypatch):
    """A real SMTP server on 127.0.0.1:5140 for the test; the app sends through it."""
    controller, box = start_smtp()
    monkeypatch.setitem(app.config, "SMTP_URL", f"smtp://127.0.0.1:{SMTP_PORT}")
    monkeypatch.setitem(app.config, "PUBLIC_URL", "https://cartera.regionlalibertad.gob.pe")
    monkeypatch.setitem(app.config, "MAIL_FROM", "avisos@regionlalibertad.gob.pe")
    try:
        yield box
    finally:
        controller.stop()
