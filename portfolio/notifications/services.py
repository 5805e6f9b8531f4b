"""Notices: create what is due (``notify run``), claim and record e-mail deliveries, a user's inbox, channel
choices and calendar feed token.

Idempotence: a notice is inserted with ``ON CONFLICT DO NOTHING`` on its unique key (obligation, step,
recipient), so a rerun, or several hosts running at once, record it once; only the run whose insert created the
row goes on to e-mail it, and a claimed e-mail is leased (``email_next_at``) so no other host sends it meanwhile.
"""
from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite

from portfolio import audit, clock, db
from portfolio.auth.policy import service
from portfolio.domain_errors import DomainError, NotFound
from portfolio.notifications import messages
from portfolio.notifications.mail import Outcome
from portfolio.notifications.models import CalendarFeed, Notice, NotificationPreference, feed_token_hash
from portfolio.notifications.obligations import Obligation, open_obligations
from portfolio.notifications.queries import is_company_contact
from portfolio.notifications.schedule import Directory, due_steps, schedules
from portfolio.notifications.vocab import LEGAL_KINDS, Channel, EmailStatus, ObligationKind
from portfolio.rule_book import RuleBook

CHUNK = 1000
LEASE = dt.timedelta(minutes=10)          # a claimed e-mail is another host's for this long
MAX_ATTEMPTS = 8
FIRST_RETRY = dt.timedelta(minutes=5)     # then doubling, up to MAX_RETRY
MAX_RETRY = dt.timedelta(hours=6)


def _insert(rows: list[dict]) -> int:
    """Insert notices (one executemany per ``CHUNK`` rows of one compiled statement), skipping those already
    recorded; how many were new (the driver's row count, kept with ``preserve_rowcount``)."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (insert(Notice.__table__).on_conflict_do_nothing(index_elements=["obligation_key", "step", "recipient"])
                 .execution_options(preserve_rowcount=True))
    connection = db.session.connection()
    return sum(connection.execute(statement, rows[start:start + CHUNK]).rowcount
               for start in range(0, len(rows), CHUNK))


@service("notifications.run")
def create_due_notices(*, actor, link_for: Callable[[Obligation], str], smtp_configured: bool,
                       today: dt.date | None = None) -> dict[str, int]:
    """Record every notice due today (each once: unique per obligation, step and recipient); returns counts."""
    today = today or clock.today()
    rules = RuleBook()
    obligations = open_obligations(today, rules=rules)
    steps_by_kind, catch_up, escalation = schedules(today, rules)
    directory: Directory | None = None
    now = clock.utcnow()
    rows = []
    for ob in obligations:
        steps = due_steps(ob, steps_by_kind[ob.kind], today, catch_up, escalation)
        if not steps:
            continue
        directory = directory or Directory()
        link = link_for(ob)
        for step in steps:
            subject, body = messages.compose(ob, step, today)
            for person in directory.for_step(ob, step):
                mail = person.email_wanted and bool(person.email)
                status = (EmailStatus.NO_APLICA if not mail else
                          EmailStatus.POR_ENVIAR if smtp_configured else EmailStatus.SIN_SMTP)
                rows.append({"obligation_key": ob.key, "step": step, "recipient": person.key, "user_id": person.user_id,
                             "company_id": person.company_id or ob.company_id, "kind": ob.kind, "subject": subject[:200],
                             "body": body, "link": link, "due_on": ob.due_on, "amount": ob.amount, "created_at": now,
                             "email_to": person.email if mail else None, "email_status": status,
                             "email_attempts": 0, "email_next_at": now if status == EmailStatus.POR_ENVIAR else None})
    created = _insert(rows) if rows else 0
    summary = {"obligations": len(obligations), "due": len(rows), "created": created}
    if created:
        audit.record("notify.run", actor=actor, object_type="notices",
                     after={"obligaciones": len(obligations), "avisos_nuevos": created, "fecha": today})
    return summary


@service("notifications.run")
def claim_emails(*, actor, limit: int = 200, now: dt.datetime | None = None) -> list[Notice]:
    """Lease up to ``limit`` e-mails due to be sent (skipping those another host holds) for ``LEASE``."""
    now = now or clock.utcnow()
    query = (select(Notice).where(Notice.email_status == EmailStatus.POR_ENVIAR, Notice.email_next_at <= now)
             .order_by(Notice.id).limit(limit).with_for_update(skip_locked=True))
    rows = list(db.session.scalars(query))
    for row in rows:
        row.email_next_at = now + LEASE
    db.session.flush()
    return rows


@service("notifications.run")
def record_deliveries(*, actor, outcomes: list[Outcome], now: dt.datetime | None = None) -> dict[str, int]:
    """Record what the mail server answered: sent; refused (never retried); failed (retried later, with a
    growing delay, until ``MAX_ATTEMPTS``)."""
    now = now or clock.utcnow()
    counts = {"enviados": 0, "reintentos": 0, "fallidos": 0}
    rows = {n.id: n for n in db.session.scalars(select(Notice).where(Notice.id.in_([o.notice_id for o in outcomes])))}
    for outcome in outcomes:
        row = rows[outcome.notice_id]
        row.email_attempts += 1
        if outcome.sent:
            row.email_status, row.email_sent_at, row.email_next_at, row.email_error = EmailStatus.ENVIADO, now, None, None
            counts["enviados"] += 1
        elif outcome.permanent or row.email_attempts >= MAX_ATTEMPTS:
            row.email_status, row.email_next_at, row.email_error = EmailStatus.FALLIDO, None, outcome.error
            counts["fallidos"] += 1
        else:
            row.email_next_at = now + min(FIRST_RETRY * 2 ** (row.email_attempts - 1), MAX_RETRY)
            row.email_error = outcome.error
            counts["reintentos"] += 1
    db.session.flush()
    return counts


@service("notifications.own")
def mark_read(*, actor, notice_ids: list[int] | None = None, everything: bool = False) -> int:
    """Mark the actor's own notices as read (those given, or all); another user's ids change nothing.

    Reading one's own inbox is not a business action: it leaves no audit row (the notice keeps ``read_at``)."""
    condition = (Notice.user_id == actor.id) & Notice.read_at.is_(None)
    if not everything:
        ids = [int(i) for i in (notice_ids or [])]
        if not ids:
            raise DomainError("Seleccione al menos un aviso.")
        condition &= Notice.id.in_(ids)
    result = db.session.execute(update(Notice).where(condition).values(read_at=clock.utcnow())
                                .execution_options(synchronize_session=False))
    return result.rowcount or 0


@service("notifications.own")
def set_preferences(*, actor, choices: dict[str, str]) -> dict[str, str]:
    """Set the actor's channel per kind (e-mail, in-app only, off); the company contact's legal reminders stay
    on e-mail."""
    clean: dict[str, str] = {}
    for kind, channel in (choices or {}).items():
        if kind not in set(ObligationKind) or channel not in set(Channel):
            raise DomainError("Elija una opción válida para cada tipo de aviso.")
        if kind in LEGAL_KINDS and channel != Channel.CORREO and is_company_contact(actor):
            raise DomainError("Usted es el contacto de su empresa: los recordatorios de vencimiento del aporte y de "
                              "la declaración se le envían siempre por correo.", field=f"kind_{kind}")
        clean[kind] = channel
    existing = {p.kind: p for p in db.session.scalars(
        select(NotificationPreference).where(NotificationPreference.user_id == actor.id))}
    before, after = {}, {}
    for kind, channel in clean.items():
        row = existing.get(kind)
        old = row.channel if row else Channel.CORREO
        if old == channel:
            continue
        before[kind], after[kind] = old, channel
        if row is None:
            db.session.add(NotificationPreference(user_id=actor.id, kind=kind, channel=channel))
        else:
            row.channel = channel
    db.session.flush()
    if after:
        audit.record("notify.preferences", actor=actor, object_type="notification_preferences", object_id=actor.id,
                     before={f"avisos_{k}": v for k, v in before.items()},
                     after={f"avisos_{k}": v for k, v in after.items()})
    return after


@service("notifications.own")
def issue_calendar_token(*, actor) -> str:
    """Give the actor a new private calendar feed token (the previous URL stops working); returns the token,
    which is shown once and never stored."""
    token = secrets.token_urlsafe(32)
    feed = db.session.scalar(select(CalendarFeed).where(CalendarFeed.user_id == actor.id))
    renewed = feed is not None and feed.token_hash is not None
    if feed is None:
        feed = CalendarFeed(user_id=actor.id)
        db.session.add(feed)
    feed.token_hash, feed.created_at, feed.revoked_at = feed_token_hash(token), clock.utcnow(), None
    db.session.flush()
    audit.record("calendar.issue", feed, actor=actor, after={"renovado": renewed})
    return token


@service("notifications.own")
def revoke_calendar_token(*, actor) -> None:
    """Revoke the actor's calendar feed: its URL answers «not found» from now on."""
    feed = db.session.scalar(select(CalendarFeed).where(CalendarFeed.user_id == actor.id))
    if feed is None or feed.token_hash is None:
        raise NotFound("No tiene un enlace de calendario activo.")
    feed.token_hash, feed.revoked_at = None, clock.utcnow()
    db.session.flush()
    audit.record("calendar.revoke", feed, actor=actor)
