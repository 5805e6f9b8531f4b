"""E-mail through SMTP (``SMTP_URL``): the message (plain text and HTML, in Spanish, with the link to the
exact page) and its delivery. Nothing here touches the database: ``notify run`` claims the notices to send,
calls :func:`send_batch` outside any transaction and records each outcome (a failing server is retried later,
a refused recipient is not; no web request ever waits for a mail server).

``SMTP_URL``: ``smtp://[usuario:clave@]servidor[:puerto]`` (``?starttls=1`` to upgrade the connection) or
``smtps://…`` (TLS from the start). Unset: nothing is sent, and the notification pages say so.
"""
from __future__ import annotations

import email.policy
import html
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from urllib.parse import parse_qs, unquote, urlsplit

from portfolio.notifications.messages import SIGNATURE, full_body

TIMEOUT_SECONDS = 15


class SmtpUrlError(ValueError):
    """``SMTP_URL`` is not a usable SMTP address."""


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    ssl: bool
    starttls: bool
    username: str | None
    password: str | None


def parse_smtp_url(url: str) -> SmtpSettings:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise SmtpUrlError("SMTP_URL debe tener la forma smtp://[usuario:clave@]servidor[:puerto] o smtps://…")
    query = parse_qs(parts.query)
    try:
        port = parts.port or (465 if parts.scheme == "smtps" else 25)
    except ValueError as exc:
        raise SmtpUrlError("El puerto de SMTP_URL no es válido.") from exc
    return SmtpSettings(parts.hostname, port, parts.scheme == "smtps",
                        query.get("starttls", ["0"])[0].lower() in ("1", "true", "yes", "si", "sí"),
                        unquote(parts.username) if parts.username else None,
                        unquote(parts.password) if parts.password else None)


@dataclass(frozen=True)
class Outgoing:
    notice_id: int
    to: str
    subject: str
    body: str
    url: str
    attachments: tuple[tuple[str, str, bytes], ...] = ()  # (file name, MIME type, content): the carta de cobranza
    # (portfolio.notifications.letters), issued before sending so this module never touches the database


# Headers are not folded (RFC 5322 allows lines up to 998 octets): Python's folding of a long non-ASCII subject
# moves the spaces around its encoded words («1,851.85  —venció»).
POLICY = email.policy.default.clone(max_line_length=998)


def build_message(item: Outgoing, sender: str) -> EmailMessage:
    message = EmailMessage(policy=POLICY)
    message["Subject"] = item.subject.replace("\u00a0", " ")  # a no-break space does not survive header folding
    message["From"] = formataddr((SIGNATURE, sender))
    message["To"] = item.to
    message["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1] or None)
    message.set_content(full_body(item.body, item.url))
    paragraphs = "".join(f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in item.body.split("\n\n"))
    message.add_alternative(
        f'<!doctype html><html lang="es-PE"><body>{paragraphs}'
        f'<p><a href="{html.escape(item.url, quote=True)}">Ver en la aplicación</a></p>'
        f"<p>— {html.escape(SIGNATURE)}</p></body></html>", subtype="html")
    for name, mime, content in item.attachments:
        maintype, subtype = mime.split("/", 1)
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=name)
    message["Content-Language"] = "es-PE"  # after the parts: set_content moves Content-* headers into them
    return message


@dataclass(frozen=True)
class Outcome:
    notice_id: int
    sent: bool
    permanent: bool = False   # refused by the server: never retried
    error: str | None = None


def _connect(settings: SmtpSettings) -> smtplib.SMTP:
    if settings.ssl:
        client: smtplib.SMTP = smtplib.SMTP_SSL(settings.host, settings.port, timeout=TIMEOUT_SECONDS,
                                                context=ssl.create_default_context())
    else:
        client = smtplib.SMTP(settings.host, settings.port, timeout=TIMEOUT_SECONDS)
        if settings.starttls:
            client.starttls(context=ssl.create_default_context())
    if settings.username:
        client.login(settings.username, settings.password or "")
    return client


def send_batch(items: list[Outgoing], *, smtp_url: str, sender: str) -> list[Outcome]:
    """Send ``items`` over one connection; each gets an outcome (a server that cannot be reached fails them
    all, temporarily)."""
    if not items:
        return []
    try:
        client = _connect(parse_smtp_url(smtp_url))
    except (OSError, smtplib.SMTPException) as exc:
        return [Outcome(item.notice_id, False, error=_describe(exc)) for item in items]
    outcomes = []
    try:
        for item in items:
            try:
                client.send_message(build_message(item, sender))
                outcomes.append(Outcome(item.notice_id, True))
            except smtplib.SMTPRecipientsRefused as exc:
                outcomes.append(Outcome(item.notice_id, False, permanent=True, error=_describe(exc)))
            except smtplib.SMTPResponseException as exc:
                outcomes.append(Outcome(item.notice_id, False, permanent=500 <= exc.smtp_code < 600,
                                        error=_describe(exc)))
            except (OSError, smtplib.SMTPException) as exc:
                outcomes.append(Outcome(item.notice_id, False, error=_describe(exc)))
    finally:
        try:
            client.quit()
        except (OSError, smtplib.SMTPException):
            pass
    done = {o.notice_id for o in outcomes}
    return outcomes + [Outcome(i.notice_id, False, error="conexión interrumpida") for i in items
                       if i.notice_id not in done]


def _describe(exc: Exception) -> str:
    return f"{exc.__class__.__name__}: {exc}"[:300]
