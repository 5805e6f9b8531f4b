"""The expediente's tables: stored contents (by SHA-256), documents attached to an owner, and the documents
each board vote had on file when it was cast.

- ``document_blobs``: one row per distinct content; append-only. The file itself is in the store.
- ``documents``: a file attached to a project, milestone, certificate request, disbursement, tranche or board
  decision, with its type, date, uploader and public flag. Never overwritten: a new version is a new row
  that ``supersedes`` the previous one (one successor at most); withdrawal sets the status once.
- ``vote_documents``: for each vote, every document of the dossier and its hash at that moment; append-only.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portfolio.db_types import Base, Money, UTCDateTime, one_of, utcnow
from portfolio.documents.vocab import FORMATS, DocumentStatus, FileFormat, OwnerKind, type_label


class DocumentBlob(Base):
    __tablename__ = "document_blobs"
    __table_args__ = (
        CheckConstraint("size > 0", name="size_positive"),
        CheckConstraint(one_of("file_format", FileFormat), name="format_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    size: Mapped[int] = mapped_column(BigInteger)
    file_format: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def content_type(self) -> str:
        return FORMATS[FileFormat(self.file_format)][0]


class Document(Base):
    __tablename__ = "documents"
    __table_args__ = (
        CheckConstraint(one_of("owner_kind", OwnerKind), name="owner_kind_known"),
        CheckConstraint(one_of("status", DocumentStatus), name="status_known"),
        CheckConstraint("version >= 1", name="version_positive"),
        CheckConstraint("invoice_amount IS NULL OR invoice_amount > 0", name="invoice_amount_positive"),
        UniqueConstraint("supersedes_id", name="uq_documents_supersedes_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_kind: Mapped[str] = mapped_column(String(15))
    owner_id: Mapped[int] = mapped_column(Integer)
    # The project or disbursement the owner belongs to: the scope of who may read it.
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id"), index=True)
    disbursement_id: Mapped[int | None] = mapped_column(ForeignKey("trust_disbursements.id"), index=True)
    doc_type: Mapped[str] = mapped_column(String(30))
    title: Mapped[str | None] = mapped_column(String(200))
    filename: Mapped[str] = mapped_column(String(150))
    doc_date: Mapped[dt.date] = mapped_column(Date)
    sha256: Mapped[str] = mapped_column(ForeignKey("document_blobs.sha256"), index=True)
    is_public: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(10), default=DocumentStatus.VIGENTE)
    version: Mapped[int] = mapped_column(Integer, default=1)
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("trust_invoices.id"), index=True)
    invoice_amount: Mapped[Decimal | None] = mapped_column(Money)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    withdraw_reason: Mapped[str | None] = mapped_column(String(300))

    blob: Mapped[DocumentBlob] = relationship(lazy="joined", innerjoin=True)
    uploaded_by = relationship("User", foreign_keys=[uploaded_by_id])
    invoice = relationship("DisbursementInvoice")

    @property
    def type_label(self) -> str:
        return type_label(self.doc_type)

    @property
    def size(self) -> int:
        return self.blob.size

    @property
    def format_label(self) -> str:
        return FORMATS[FileFormat(self.blob.file_format)][1]


class VoteDocument(Base):
    __tablename__ = "vote_documents"
    __table_args__ = (UniqueConstraint("vote_id", "document_id", name="uq_vote_documents_vote_document"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    vote_id: Mapped[int] = mapped_column(ForeignKey("trust_votes.id"), index=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64))
