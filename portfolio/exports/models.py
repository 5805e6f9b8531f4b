"""Background export jobs: one row per requested workbook, so a job and its file survive a page reload."""
from __future__ import annotations

import datetime as dt
import json
import secrets
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portfolio.db_types import Base, UTCDateTime, one_of, utcnow


class ExportStatus(StrEnum):
    """A background export job: queued → running → done or failed."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


QUEUED, RUNNING, DONE, FAILED = ExportStatus.QUEUED, ExportStatus.RUNNING, ExportStatus.DONE, ExportStatus.FAILED
STATUSES = tuple(ExportStatus)
# Still to be picked up or being generated: a stale one is reported failed.
UNFINISHED = frozenset({QUEUED, RUNNING})
STATUS_LABELS = {QUEUED: "En cola", RUNNING: "Generando", DONE: "Lista", FAILED: "Fallida"}


def new_token() -> str:
    return secrets.token_urlsafe(18)


class ExportJob(Base):
    __tablename__ = "export_jobs"
    __table_args__ = (
        CheckConstraint(one_of("status", ExportStatus), name="status_known"),
        CheckConstraint("progress >= 0", name="progress_not_negative"),
        Index("ix_export_jobs_user_created", "user_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The public handle in URLs: not guessable, so a job's address reveals nothing about others.
    token: Mapped[str] = mapped_column(String(32), unique=True, default=new_token)
    export_name: Mapped[str] = mapped_column(String(60))
    label: Mapped[str] = mapped_column(String(200))
    params: Mapped[str] = mapped_column(Text, default="{}")
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(12), default=QUEUED)
    progress: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int | None] = mapped_column(Integer)
    filename: Mapped[str | None] = mapped_column(String(200))
    stored_name: Mapped[str | None] = mapped_column(String(80))
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    user = relationship("User")

    @property
    def params_data(self) -> dict[str, Any]:
        return json.loads(self.params or "{}")

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)
