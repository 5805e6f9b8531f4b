"""The append-only audit trail: who did what to which object, when (UTC), with before/after values.

Rows are written in the same transaction as the change they describe, so a rolled-back action leaves
no audit row and a committed one always has one. The database refuses UPDATE and DELETE on the table
(triggers on SQLite and PostgreSQL, installed by the migration).
"""
from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portfolio import db
from portfolio.audit_labels import ACTION_LABELS, OBJECT_LABELS
from portfolio.db_types import Base, UTCDateTime, utcnow


class AuditEntry(Base):
    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_object", "object_type", "object_id"),
        Index("ix_audit_log_at", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    actor_email: Mapped[str | None] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(60), index=True)
    object_type: Mapped[str] = mapped_column(String(60))
    object_id: Mapped[str | None] = mapped_column(String(40))
    before: Mapped[str | None] = mapped_column(Text)
    after: Mapped[str | None] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(String(64))

    @property
    def before_data(self) -> dict[str, Any] | None:
        return json.loads(self.before) if self.before else None

    @property
    def after_data(self) -> dict[str, Any] | None:
        return json.loads(self.after) if self.after else None

    @property
    def action_label(self) -> str:
        return ACTION_LABELS.get(self.action, self.action)

    @property
    def object_label(self) -> str:
        return OBJECT_LABELS.get(self.object_type, self.object_type)

    @property
    def before_fields(self) -> list[tuple[str, str]]:
        from portfolio.audit_labels import fields

        return fields(self.before_data)

    @property
    def after_fields(self) -> list[tuple[str, str]]:
        from portfolio.audit_labels import fields

        return fields(self.after_data)


# Spanish labels for the viewer live in one registry (portfolio/audit_labels.py).


def describe_actions(labels: dict[str, str]) -> None:
    ACTION_LABELS.update(labels)


def describe_objects(labels: dict[str, str]) -> None:
    OBJECT_LABELS.update(labels)


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return f"{value:.2f}" if value == value.quantize(Decimal("0.01")) else str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return sorted(value)
    return str(value)


def _dump(data: dict[str, Any] | None) -> str | None:
    if data is None:
        return None
    return json.dumps(data, default=_default, ensure_ascii=False, sort_keys=True)


def snapshot(obj: Any, fields: list[str]) -> dict[str, Any]:
    """The named attributes of ``obj`` as a dict, for before/after values."""
    return {name: getattr(obj, name) for name in fields}


def client_address() -> str | None:
    from flask import has_request_context, request  # only when called: the module loads without Flask

    if not has_request_context():
        return None
    return (request.remote_addr or "")[:64] or None


def record(
    action: str,
    obj: Any = None,
    *,
    actor: Any,
    object_type: str | None = None,
    object_id: Any = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add an audit row to the current transaction. ``obj`` (a mapped object) gives type and id.

    ``actor`` is the user the service acted for, or ``SYSTEM`` (the command line and the seeds); the trail
    never guesses it from the web request, so a row without an actor is a programming error.
    """
    if actor is None:
        raise ValueError(f"audit row {action!r} without an actor (pass the user, or SYSTEM for the command line)")
    if obj is not None:
        object_type = object_type or getattr(obj, "__tablename__", type(obj).__name__)
        object_id = object_id if object_id is not None else getattr(obj, "id", None)
    entry = AuditEntry(
        actor_id=getattr(actor, "id", None),
        # an API request's actor also names the token it used (portfolio.api.core sets ``audit_name``)
        actor_email=getattr(actor, "audit_name", None) or getattr(actor, "email", None),
        action=action,
        object_type=object_type or "-",
        object_id=None if object_id is None else str(object_id),
        before=_dump(before),
        after=_dump(after),
        address=client_address(),
    )
    db.session.add(entry)
    return entry


def changes(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Only the fields that changed, as (before, after)."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}
