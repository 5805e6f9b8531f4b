"""Reads of the notification centre, shared by the pages, the navbar's bell, the home pages and the calendar."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy import func, select

from portfolio import clock, db
from portfolio.auth.models import User
from portfolio.notifications.models import CalendarFeed, Notice, NotificationPreference, feed_token_hash
from portfolio.notifications.obligations import Obligation, obligations_for, split_upcoming
from portfolio.notifications.vocab import KIND_LABELS, EmailStatus, ObligationState

LIST_LIMIT = 8


def unread_count_column(user_id: int):
    """SQL: the bell's number, one indexed count, as a scalar subquery (a page reads it with the user)."""
    return select(func.count(Notice.id)).where(Notice.user_id == user_id, Notice.read_at.is_(None)).scalar_subquery()


def unread_count(user_id: int) -> int:
    """The bell's number."""
    return db.session.scalar(select(unread_count_column(user_id))) or 0


def inbox(user_id: int, *, page: int = 1, unread_only: bool = False, per_page: int = 25) -> tuple[int, list[Notice]]:
    """(how many, one page of) the user's notices, newest first."""
    condition = Notice.user_id == user_id
    if unread_only:
        condition &= Notice.read_at.is_(None)
    total = db.session.scalar(select(func.count(Notice.id)).where(condition)) or 0
    rows = db.session.scalars(select(Notice).where(condition).order_by(Notice.created_at.desc(), Notice.id.desc())
                              .limit(per_page).offset((max(page, 1) - 1) * per_page))
    return total, list(rows)


def pending_email_count() -> int:
    return db.session.scalar(select(func.count(Notice.id)).where(Notice.email_status == EmailStatus.POR_ENVIAR)) or 0


def is_company_contact(user) -> bool:
    """Does ``user`` hold the e-mail its company gives as contact (whose legal reminders cannot be switched off)?"""
    company = getattr(user, "company", None)
    contact = (getattr(company, "contact_email", None) or "").strip().lower()
    return bool(contact) and user.email.strip().lower() == contact


def preferences(user_id: int) -> dict[str, str]:
    """The user's channel per kind (kinds never chosen: e-mail and in-app)."""
    return {kind: channel for kind, channel in db.session.execute(
        select(NotificationPreference.kind, NotificationPreference.channel)
        .where(NotificationPreference.user_id == user_id))}


def calendar_feed(user_id: int) -> CalendarFeed | None:
    return db.session.scalar(select(CalendarFeed).where(CalendarFeed.user_id == user_id))


def user_for_feed_token(token: str) -> User | None:
    """The active user whose live calendar token this is, else None (revoked, replaced, unknown)."""
    if not token or len(token) > 100:
        return None
    return db.session.scalar(select(User).join(CalendarFeed, CalendarFeed.user_id == User.id)
                             .where(CalendarFeed.token_hash == feed_token_hash(token), User.active.is_(True)))


def deadlines(user, today: dt.date | None = None, *, href: Callable[[Obligation], str | None] = lambda ob: None,
              days: int = 30) -> dict[str, object]:
    """«Próximos vencimientos (30 días)» and «Vencidos» of ``user``'s home page, from the one obligations
    function (lists cut at ``LIST_LIMIT``, oldest first, with their full counts). ``href(ob)`` is the link of
    each row (None when the user may not open that page)."""
    today = today or clock.today()
    upcoming, overdue = split_upcoming(obligations_for(user, today), today, days)

    def rows(items):
        return [{"ob": ob, "href": href(ob), "kind_label": KIND_LABELS[ob.kind], "late": ob.days_late(today),
                 "escalated": ob.state == ObligationState.ESCALADO} for ob in items[:LIST_LIMIT]]

    return {"upcoming": rows(upcoming), "upcoming_count": len(upcoming), "overdue": rows(overdue),
            "overdue_count": len(overdue), "days": days, "today": today}
