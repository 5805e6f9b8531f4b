"""Users and login attempts."""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portfolio.auth.roles import COMPANY, ROLE_LABELS, ROLES
from portfolio.db_types import Base, UTCDateTime, utcnow


def new_session_token() -> str:
    return secrets.token_urlsafe(24)


def session_key_hash(key: str) -> str:
    """What the database keeps of a browser session's key (the key itself lives only in the signed cookie)."""
    return hashlib.sha256(key.encode()).hexdigest()


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role IN ({})".format(", ".join(f"'{r}'" for r in ROLES)), name="role_known"),
        CheckConstraint(
            f"(role = '{COMPANY}' AND company_id IS NOT NULL) OR (role <> '{COMPANY}' AND company_id IS NULL)",
            name="company_iff_company_role",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    # Rotated on password change and deactivation: every cookie carrying the old token stops working.
    session_token: Mapped[str] = mapped_column(String(64), default=new_session_token)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    company = relationship("Company", lazy="joined")

    # Flask-Login protocol
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    @property
    def role_label(self) -> str:
        return ROLE_LABELS.get(self.role, self.role)

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"


class LoginAttempt(Base):
    """Every login attempt, successful or not; failures drive the throttling."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_email_at", "email", "at"),
        Index("ix_login_attempts_address_at", "address", "at"),
        Index("ix_login_attempts_email_address_at", "email", "address", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    address: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    success: Mapped[bool] = mapped_column(Boolean)


class UserSession(Base):
    """One logged-in browser. The signed cookie names it; logout ends it on the server, so a copy of the
    cookie stops working at once (the cookie alone is not proof of a session)."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    address: Mapped[str | None] = mapped_column(String(64))
