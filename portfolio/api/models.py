"""API tokens and the responses remembered for idempotent POSTs."""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from enum import StrEnum

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portfolio.db_types import Base, UTCDateTime, utcnow

TOKEN_PREFIX = "pf_"


class Scope(StrEnum):
    READ = "read"
    DECLARE = "declare"
    PAY = "pay"
    PROGRESS = "progress"


SCOPES = tuple(Scope)
SCOPE_LABELS = {
    Scope.READ: "Lectura",
    Scope.DECLARE: "Declarar y rectificar planillas",
    Scope.PAY: "Registrar pagos",
    Scope.PROGRESS: "Registrar avance de hitos",
}


def new_secret() -> str:
    """A random token (256 bits); only its hash is stored."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def secret_hash(secret: str) -> str:
    """SHA-256 is enough for a 256-bit random secret (no dictionary to guess from), and constant-time lookup
    by hash keeps authentication one indexed query."""
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    prefix: Mapped[str] = mapped_column(String(12))  # the first characters, shown in lists
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[str] = mapped_column(String(80))  # comma-separated Scope values
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_used_address: Mapped[str | None] = mapped_column(String(64))

    user = relationship("User", foreign_keys=[user_id], lazy="joined")

    @property
    def scope_set(self) -> frozenset[str]:
        return frozenset(s for s in self.scopes.split(",") if s)

    @property
    def scope_labels(self) -> list[str]:
        return [SCOPE_LABELS[s] for s in SCOPES if s in self.scope_set]

    def usable(self, now: dt.datetime) -> bool:
        return self.revoked_at is None and self.expires_at > now and self.user.active

    @property
    def label(self) -> str:
        """How the audit trail names the token."""
        return f"clave de API «{self.name}» (#{self.id})"


class IdempotentRequest(Base):
    """A POST's first answer, kept under the user's Idempotency-Key (same key + same request → same answer)."""

    __tablename__ = "api_idempotency"
    __table_args__ = (UniqueConstraint("user_id", "key", name="uq_api_idempotency_user_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    key: Mapped[str] = mapped_column(String(100))
    fingerprint: Mapped[str] = mapped_column(String(64))  # SHA-256 of method, path and canonical body
    status: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
