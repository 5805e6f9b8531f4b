"""A pending or applied spreadsheet import, kept server-side between the preview and the confirmation."""
from __future__ import annotations

import datetime as dt
import json
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portfolio.db_types import Base, UTCDateTime, one_of, utcnow


class ImportStatus(StrEnum):
    """A staged import: ``pendiente`` until it is applied once or discarded."""

    PENDIENTE = "pendiente"
    APLICADO = "aplicado"
    DESCARTADO = "descartado"


STATUSES = {ImportStatus.PENDIENTE: "Pendiente de confirmación", ImportStatus.APLICADO: "Aplicado",
            ImportStatus.DESCARTADO: "Descartado"}


class ImportBatch(Base):
    """One uploaded file that passed validation: its parsed rows wait here for the user's confirmation.

    ``sha256`` + ``kind`` + ``scope`` identify "the same file for the same target": once such a batch is
    ``aplicado`` the file is recognised and nothing is applied again.
    """

    __tablename__ = "import_batches"
    __table_args__ = (
        CheckConstraint(one_of("status", ImportStatus), name="status_known"),
        Index("ix_import_batches_identity", "sha256", "kind", "scope"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    scope: Mapped[str] = mapped_column(String(40))
    sha256: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(200))
    file_type: Mapped[str] = mapped_column(String(10))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default=ImportStatus.PENDIENTE)
    row_count: Mapped[int] = mapped_column(Integer, default=0)
    rows_json: Mapped[str] = mapped_column(Text)
    summary_json: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    applied_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    @property
    def rows(self) -> list[dict[str, Any]]:
        return json.loads(self.rows_json)

    @property
    def summary(self) -> dict[str, Any]:
        return json.loads(self.summary_json) if self.summary_json else {}

    @property
    def status_label(self) -> str:
        return STATUSES.get(self.status, self.status)
