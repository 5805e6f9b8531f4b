"""Issued PDFs: one append-only row per document handed out, with its verification code and hashes."""
from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portfolio.clock import utcnow
from portfolio.db_types import Base, UTCDateTime, one_of
from portfolio.pdfs.vocab import KIND_LABELS, DocumentKind


class IssuedDocument(Base):
    """A PDF as issued. ``figures`` is what it certified (JSON, amounts as strings to the cent), so the public
    verification page can say what the document stated and compare it with what the books say now;
    ``pdf_sha256`` is the hash of the exact bytes handed out. Never updated, never deleted."""

    __tablename__ = "issued_documents"
    __table_args__ = (
        CheckConstraint(one_of("kind", DocumentKind), name="kind_known"),
        CheckConstraint("length(pdf_sha256) = 64", name="sha256_length"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(14), unique=True)
    kind: Mapped[str] = mapped_column(String(30))
    title: Mapped[str] = mapped_column(String(300))
    subject: Mapped[str] = mapped_column(String(300))
    params_json: Mapped[str] = mapped_column(Text)
    figures_json: Mapped[str] = mapped_column(Text)
    figures_sha256: Mapped[str] = mapped_column(String(64))
    pdf_sha256: Mapped[str] = mapped_column(String(64), index=True)
    pdf_size: Mapped[int] = mapped_column(Integer)
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"), index=True)
    issued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    issued_by = relationship("User")

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)

    @property
    def params(self) -> dict[str, Any]:
        return json.loads(self.params_json)

    @property
    def figures(self) -> list[dict[str, str]]:
        return json.loads(self.figures_json)
