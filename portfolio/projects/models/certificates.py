"""Certificates (CIPRL/CIPGN) split among the consortium's members, and the company's prior-year tax
declarations (the advisory tax share)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portfolio.db_types import Base, Money, UTCDateTime, utcnow
from portfolio.orgs.models import Company
from portfolio.projects.models.execution import Milestone
from portfolio.projects.models.projects import CERTIFICATE_STATUSES, Project, hundredths_to_pct
from portfolio.projects.vocab import CertificateStatus


class Certificate(Base):
    __tablename__ = "project_certificates"
    __table_args__ = (
        UniqueConstraint("cert_type", "number", name="uq_project_certificates_type_number"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("cert_type IN ('CIPRL', 'CIPGN')", name="type_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    milestone_id: Mapped[int | None] = mapped_column(ForeignKey("project_milestones.id"))
    cert_type: Mapped[str] = mapped_column(String(5))
    number: Mapped[str] = mapped_column(String(40))
    amount: Mapped[Decimal] = mapped_column(Money)
    issue_date: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12), default=CertificateStatus.SOLICITADO)
    negotiable: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}

    milestone: Mapped[Milestone | None] = relationship()
    holdings: Mapped[list[CertificateHolding]] = relationship(
        back_populates="certificate", order_by="CertificateHolding.position", cascade="all, delete-orphan"
    )
    project: Mapped[Project] = relationship()

    @property
    def status_label(self) -> str:
        return CERTIFICATE_STATUSES.get(self.status, self.status)


class CertificateHolding(Base):
    """A consortium member's part of a certificate (cents exact; the last member takes the remainder)."""

    __tablename__ = "certificate_holdings"
    __table_args__ = (CheckConstraint("amount >= 0", name="amount_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    certificate_id: Mapped[int] = mapped_column(ForeignKey("project_certificates.id"), index=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    share_hundredths: Mapped[int] = mapped_column(Integer)
    amount: Mapped[Decimal] = mapped_column(Money)
    position: Mapped[int] = mapped_column(Integer, default=0)

    certificate: Mapped[Certificate] = relationship(back_populates="holdings")
    company: Mapped[Company] = relationship(lazy="joined", innerjoin=True)

    @property
    def share(self) -> Decimal:
        return hundredths_to_pct(self.share_hundredths)


class TaxDeclaration(Base):
    """The company's prior-year income tax, entered by the company to see how much it may pay with certificates."""

    __tablename__ = "company_tax_declarations"
    __table_args__ = (
        UniqueConstraint("company_id", "year", name="uq_company_tax_declarations_company_year"),
        CheckConstraint("amount >= 0", name="amount_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)  # the tax year (the prior year)
    amount: Mapped[Decimal] = mapped_column(Money)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
