"""Notices (one per obligation, step and recipient), each user's channel per kind, and calendar feed tokens."""
from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portfolio.db_types import Base, Money, UTCDateTime, one_of, utcnow
from portfolio.notifications.vocab import Channel, EmailStatus, ObligationKind


class Notice(Base):
    """One reminder of one obligation's step to one recipient. The unique key (obligation, step, recipient)
    makes ``notify run`` idempotent: a rerun, or two hosts racing, insert it once and so send it once."""

    __tablename__ = "notices"
    __table_args__ = (
        UniqueConstraint("obligation_key", "step", "recipient", name="uq_notices_obligation_step_recipient"),
        CheckConstraint(one_of("kind", ObligationKind), name="kind_known"),
        CheckConstraint(one_of("email_status", EmailStatus), name="email_status_known"),
        CheckConstraint("user_id IS NOT NULL OR email_to IS NOT NULL", name="has_recipient"),
        Index("ix_notices_user_read", "user_id", "read_at"),
        Index("ix_notices_email_queue", "email_status", "email_next_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    obligation_key: Mapped[str] = mapped_column(String(80))
    step: Mapped[str] = mapped_column(String(20))
    recipient: Mapped[str] = mapped_column(String(270))  # "user:<id>" or "mail:<address>" (a company's contact)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"))
    kind: Mapped[str] = mapped_column(String(20))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    link: Mapped[str] = mapped_column(String(300))  # the path of the exact page
    due_on: Mapped[dt.date] = mapped_column(Date)
    amount: Mapped[Decimal | None] = mapped_column(Money)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    email_to: Mapped[str | None] = mapped_column(String(254))
    email_status: Mapped[str] = mapped_column(String(12), default=EmailStatus.NO_APLICA)
    email_attempts: Mapped[int] = mapped_column(Integer, default=0)
    email_next_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)  # next attempt (also the claim's end)
    email_sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    email_error: Mapped[str | None] = mapped_column(String(300))


class NotificationPreference(Base):
    """A user's channel for one kind of obligation (absent: e-mail and in-app)."""

    __tablename__ = "notification_preferences"
    __table_args__ = (
        UniqueConstraint("user_id", "kind", name="uq_notification_preferences_user_kind"),
        CheckConstraint(one_of("kind", ObligationKind), name="kind_known"),
        CheckConstraint(one_of("channel", Channel), name="channel_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(12))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class CalendarFeed(Base):
    """A user's private iCalendar feed: the database keeps only the SHA-256 of the token in the URL; revoking
    clears it (the old URL answers 404), a new token replaces it."""

    __tablename__ = "calendar_feeds"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


def feed_token_hash(token: str) -> str:
    """What the database keeps of a calendar feed token: its SHA-256."""
    return hashlib.sha256(token.encode()).hexdigest()
