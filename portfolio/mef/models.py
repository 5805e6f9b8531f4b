"""MEF's execution figures of a project, one versioned row per project and year (append-only history).

Each import that changes a project's figures for a year adds version n+1; nothing is updated or deleted
(triggers, ``portfolio/immutability.py``). The current figures are the highest version. Every row keeps its
provenance: the import batch, the file's name and SHA-256, the file rows it sums and when it was recorded.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portfolio.db_types import Base, Money, UTCDateTime, utcnow

FIGURES = ("pia", "pim", "certificado", "comprometido", "devengado", "girado")
FIGURE_LABELS = {"pia": "PIA", "pim": "PIM", "certificado": "Certificado", "comprometido": "Compromiso anual",
                 "devengado": "Devengado", "girado": "Girado"}


class MefExecution(Base):
    __tablename__ = "mef_executions"
    __table_args__ = (
        UniqueConstraint("project_id", "year", "version", name="uq_mef_executions_version"),
        CheckConstraint("version >= 1", name="version_positive"),
        CheckConstraint("through_month BETWEEN 0 AND 12", name="month_range"),
        CheckConstraint("first_row <= last_row AND row_count >= 1", name="rows_sane"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    cui: Mapped[str] = mapped_column(String(7))
    year: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)
    pia: Mapped[Decimal] = mapped_column(Money)
    pim: Mapped[Decimal] = mapped_column(Money)
    certificado: Mapped[Decimal] = mapped_column(Money)
    comprometido: Mapped[Decimal] = mapped_column(Money)
    devengado: Mapped[Decimal] = mapped_column(Money)
    girado: Mapped[Decimal] = mapped_column(Money)
    through_month: Mapped[int] = mapped_column(Integer)  # the latest MES_EJE in the file (0 = annual file)
    executor: Mapped[str | None] = mapped_column(String(200))
    sec_ejec: Mapped[str | None] = mapped_column(String(20))
    level: Mapped[str | None] = mapped_column(String(60))
    batch_id: Mapped[int] = mapped_column(ForeignKey("import_batches.id"), index=True)
    source_file: Mapped[str] = mapped_column(String(200))
    source_sha256: Mapped[str] = mapped_column(String(64))
    first_row: Mapped[int] = mapped_column(Integer)
    last_row: Mapped[int] = mapped_column(Integer)
    row_count: Mapped[int] = mapped_column(Integer)
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    def figures(self) -> dict[str, Decimal]:
        return {name: getattr(self, name) for name in FIGURES}
