"""Database models of the trust: contributions, payments, programs, beneficiaries, disbursements, votes.

The ledger's own tables (accounts, entries, postings, transfers, commands, periods) live in ledger.py.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portfolio import clock
from portfolio.db_types import TALLY_ID, Base, Money, UTCDateTime, one_of, utcnow
from portfolio.trust import ledger  # noqa: F401  (registers the ledger tables)
from portfolio.trust.ledger import ZERO
from portfolio.trust.vocab import (
    RESERVED_DISBURSEMENTS,
    ContributionStatus,
    DisbursementStatus,
    LegalStatus,
    PaymentStatus,
    VoteDecision,
)

BANKS = {
    "BCP": "Banco de Crédito del Perú",
    "BBVA": "BBVA Perú",
    "INTERBANK": "Interbank",
    "SCOTIABANK": "Scotiabank Perú",
    "NACION": "Banco de la Nación",
    "BANBIF": "BanBif",
    "PICHINCHA": "Banco Pichincha",
}

PAYMENT_STATUS = {PaymentStatus.REGISTRADO: "Registrado (por confirmar)", PaymentStatus.CONFIRMADO: "Confirmado",
                  PaymentStatus.RECHAZADO: "Rechazado", PaymentStatus.REVERTIDO: "Revertido"}
CONTRIBUTION_STATUS = {ContributionStatus.PENDIENTE: "Pendiente", ContributionStatus.PARCIAL: "Pago parcial",
                       ContributionStatus.PAGADO: "Pagado", ContributionStatus.VENCIDO: "Vencido"}
DISBURSEMENT_STATUS = {
    DisbursementStatus.SOLICITADO: "En votación", DisbursementStatus.APROBADO: "Aprobado (fondos reservados)",
    DisbursementStatus.EN_EJECUCION: "En ejecución", DisbursementStatus.PAGADO: "Pagado",
    DisbursementStatus.RECHAZADO: "Rechazado", DisbursementStatus.CANCELADO: "Cancelado",
}
LEGAL_STATUS = {LegalStatus.CONSTITUIDA: "Constituida (inscrita en SUNARP)",
                LegalStatus.EN_FORMACION: "En formación (no inscrita)"}


class Contribution(Base):
    """A company's obligation for one month: the current amount due and what has been confirmed paid."""

    __tablename__ = "trust_contributions"
    __table_args__ = (
        Index("ix_trust_contributions_month", "month"),  # the list's default order (newest month first)
        UniqueConstraint("company_id", "month", name="uq_trust_contributions_company_month"),
        CheckConstraint("amount_due >= 0 AND amount_paid >= 0", name="not_negative"),
        CheckConstraint("amount_paid <= amount_due", name="not_overpaid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    month: Mapped[dt.date] = mapped_column(Date)
    due_date: Mapped[dt.date] = mapped_column(Date)
    amount_due: Mapped[Decimal] = mapped_column(Money, default=ZERO)
    amount_paid: Mapped[Decimal] = mapped_column(Money, default=ZERO)
    current_version: Mapped[int] = mapped_column(Integer, default=1)

    company = relationship("Company")
    versions: Mapped[list[ContributionVersion]] = relationship(back_populates="contribution",
                                                               order_by="ContributionVersion.version")
    payments: Mapped[list[Payment]] = relationship(back_populates="contribution", order_by="Payment.id")

    @property
    def outstanding(self) -> Decimal:
        return self.amount_due - self.amount_paid

    def status(self, today: dt.date) -> ContributionStatus:
        if self.amount_paid >= self.amount_due:
            return ContributionStatus.PAGADO
        if today > self.due_date:
            return ContributionStatus.VENCIDO
        return ContributionStatus.PARCIAL if self.amount_paid > 0 else ContributionStatus.PENDIENTE


class ContributionVersion(Base):
    """One declaration (version 1) or rectification (version n) of a month's payroll."""

    __tablename__ = "trust_contribution_versions"
    __table_args__ = (
        UniqueConstraint("contribution_id", "version", name="uq_trust_contribution_versions_version"),
        CheckConstraint("payroll > 0", name="payroll_positive"),
        CheckConstraint("headcount > 0", name="headcount_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contribution_id: Mapped[int] = mapped_column(ForeignKey("trust_contributions.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    payroll: Mapped[Decimal] = mapped_column(Money)
    headcount: Mapped[int] = mapped_column(Integer)
    rate_pct: Mapped[str] = mapped_column(String(20))
    amount_due: Mapped[Decimal] = mapped_column(Money)
    difference: Mapped[Decimal] = mapped_column(Money)
    reason: Mapped[str | None] = mapped_column(String(300))
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.id"))
    declared_on: Mapped[dt.date] = mapped_column(Date)
    declared_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    declared_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    contribution: Mapped[Contribution] = relationship(back_populates="versions")


# Among confirmed payments one bank + operation number is one payment: the trust never counts one bank transfer
# twice, whoever registered it and whatever a service checked first. The number is stored normalised (upper
# case, no spaces: a CHECK), so the index on the column is an index on the normalised number.
CONFIRMED_PAYMENT = text(f"status = '{PaymentStatus.CONFIRMADO}'")


class Payment(Base):
    """A company's payment of a declared month. Registration is unique per company (bank + operation number);
    the confirmed payments are unique per bank + operation number whatever the company."""

    __tablename__ = "trust_payments"
    __table_args__ = (
        UniqueConstraint("company_id", "bank", "operation_number", name="uq_trust_payments_company_bank_operation"),
        Index("uq_trust_payments_confirmed_operation", "bank", "operation_number", unique=True,
              postgresql_where=CONFIRMED_PAYMENT, sqlite_where=CONFIRMED_PAYMENT),
        CheckConstraint("operation_number = upper(replace(operation_number, ' ', ''))", name="operation_normalised"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint(one_of("status", PaymentStatus), name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contribution_id: Mapped[int] = mapped_column(ForeignKey("trust_contributions.id"), index=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    paid_on: Mapped[dt.date] = mapped_column(Date)
    bank: Mapped[str] = mapped_column(String(20))
    operation_number: Mapped[str] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(12), default=PaymentStatus.REGISTRADO)
    registered_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    registered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decision_note: Mapped[str | None] = mapped_column(String(300))
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.id"))
    reversal_entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.id"))

    contribution: Mapped[Contribution] = relationship(back_populates="payments")
    company = relationship("Company")

    @property
    def bank_label(self) -> str:
        return BANKS.get(self.bank, self.bank)

    @property
    def status_label(self) -> str:
        return PAYMENT_STATUS[self.status]


class Program(Base):
    __tablename__ = "trust_programs"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    allocations: Mapped[list[ProgramAllocation]] = relationship(back_populates="program",
                                                               order_by="ProgramAllocation.year.desc()")


class ProgramAllocation(Base):
    """A program's annual plan: the allocation for a year, with its goals and indicators.

    ``committed`` is what the year's disbursements hold of it (``disbursements.committed_for``: approved
    amounts, and what was paid of cancelled ones), kept by the database (migration 0027: a trigger on every
    change of a disbursement) and never above the allocation (a CHECK), so no approval, however it reaches
    the database, commits more than the program was allotted; ``ledger verify`` recomputes it."""

    __tablename__ = "trust_program_allocations"
    __table_args__ = (
        UniqueConstraint("program_id", "year", name="uq_trust_program_allocations_program_year"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("committed >= 0 AND committed <= amount", name="committed_within_amount"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("trust_programs.id"))
    year: Mapped[int] = mapped_column(Integer)
    amount: Mapped[Decimal] = mapped_column(Money)
    committed: Mapped[Decimal] = mapped_column(Money, default=ZERO, server_default="0")
    goals: Mapped[str | None] = mapped_column(Text)

    @property
    def room(self) -> Decimal:
        """What is left to commit: the allocation less what the year's disbursements hold."""
        return self.amount - self.committed

    program: Mapped[Program] = relationship(back_populates="allocations")


class Organization(Base):
    """A beneficiary organization. Only a legally constituted one can receive money."""

    __tablename__ = "trust_organizations"
    __table_args__ = (
        CheckConstraint("length(ruc) = 11", name="ruc_length"),
        CheckConstraint(one_of("legal_status", LegalStatus), name="legal_status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ruc: Mapped[str] = mapped_column(String(11), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    legal_status: Mapped[str] = mapped_column(String(20))
    registry_entry: Mapped[str | None] = mapped_column(String(40))
    constituted_on: Mapped[dt.date | None] = mapped_column(Date)

    @property
    def can_receive(self) -> bool:
        return self.legal_status == LegalStatus.CONSTITUIDA

    @property
    def legal_status_label(self) -> str:
        return LEGAL_STATUS[self.legal_status]


class ConflictOfInterest(Base):
    __tablename__ = "trust_conflicts"
    __table_args__ = (UniqueConstraint("user_id", "organization_id", name="uq_trust_conflicts_user_org"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("trust_organizations.id"), index=True)
    description: Mapped[str] = mapped_column(String(300))
    declared_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    user = relationship("User")
    organization: Mapped[Organization] = relationship()


class Disbursement(Base):
    __tablename__ = "trust_disbursements"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("paid_amount >= 0 AND paid_amount <= amount", name="paid_within_amount"),
        CheckConstraint(one_of("status", DisbursementStatus), name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("trust_programs.id"), index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("trust_organizations.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    amount: Mapped[Decimal] = mapped_column(Money)
    paid_amount: Mapped[Decimal] = mapped_column(Money, default=ZERO)
    purpose: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(15), default=DisbursementStatus.SOLICITADO)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    requested_on: Mapped[dt.date] = mapped_column(Date)
    requested_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    transfer_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_transfers.id"), unique=True)
    cancel_reason: Mapped[str | None] = mapped_column(String(300))

    program: Mapped[Program] = relationship()
    organization: Mapped[Organization] = relationship()
    # the program's allocation for the disbursement's year (read with a command's lock of the request)
    allocation: Mapped[ProgramAllocation | None] = relationship(
        primaryjoin="and_(Disbursement.program_id == foreign(ProgramAllocation.program_id), "
                    "Disbursement.year == foreign(ProgramAllocation.year))", viewonly=True, uselist=False)
    requested_by = relationship("User", foreign_keys=[requested_by_id])
    invoices: Mapped[list[DisbursementInvoice]] = relationship(back_populates="disbursement",
                                                               order_by="DisbursementInvoice.id")
    votes: Mapped[list[Vote]] = relationship(back_populates="disbursement", order_by="Vote.id")
    tranches: Mapped[list[Tranche]] = relationship(back_populates="disbursement", order_by="Tranche.id")

    @property
    def status_label(self) -> str:
        return DISBURSEMENT_STATUS[self.status]

    @property
    def to_execute(self) -> Decimal:
        return self.amount - self.paid_amount if self.status in RESERVED_DISBURSEMENTS else ZERO


class DisbursementInvoice(Base):
    """A supporting invoice (comprobante). The same RUC + serie + número can back only one disbursement."""

    __tablename__ = "trust_invoices"
    __table_args__ = (UniqueConstraint("ruc", "serie", "numero", name="uq_trust_invoices_ruc_serie_numero"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    disbursement_id: Mapped[int] = mapped_column(ForeignKey("trust_disbursements.id"), index=True)
    ruc: Mapped[str] = mapped_column(String(11))
    serie: Mapped[str] = mapped_column(String(4))
    numero: Mapped[str] = mapped_column(String(8))

    disbursement: Mapped[Disbursement] = relationship(back_populates="invoices")

    @property
    def label(self) -> str:
        return f"{self.ruc} {self.serie}-{self.numero}"


class Vote(Base):
    __tablename__ = "trust_votes"
    __table_args__ = (
        UniqueConstraint("disbursement_id", "user_id", name="uq_trust_votes_disbursement_user"),
        CheckConstraint(one_of("decision", VoteDecision), name="decision_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    disbursement_id: Mapped[int] = mapped_column(ForeignKey("trust_disbursements.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    decision: Mapped[str] = mapped_column(String(10))
    comment: Mapped[str] = mapped_column(String(500))
    cast_on: Mapped[dt.date] = mapped_column(Date, default=clock.today)  # the business date of the vote
    cast_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    disbursement: Mapped[Disbursement] = relationship(back_populates="votes")
    user = relationship("User")


class Tranche(Base):
    __tablename__ = "trust_tranches"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    disbursement_id: Mapped[int] = mapped_column(ForeignKey("trust_disbursements.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    executed_on: Mapped[dt.date] = mapped_column(Date)
    reference: Mapped[str] = mapped_column(String(60))
    entry_id: Mapped[int] = mapped_column(ForeignKey("ledger_entries.id"))
    executed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    executed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    disbursement: Mapped[Disbursement] = relationship(back_populates="tranches")


class BankBalance(Base):
    """A balance read from the trust's bank statement on a date, compared with the ledger."""

    __tablename__ = "trust_bank_balances"

    id: Mapped[int] = mapped_column(primary_key=True)
    on: Mapped[dt.date] = mapped_column(Date, unique=True)
    balance: Mapped[Decimal] = mapped_column(Money)
    note: Mapped[str | None] = mapped_column(String(300))
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


# The contributions and disbursements lists' totals, kept by database triggers (migration 0025): every insert,
# change or delete of a row appends a signed tally row (−1 for the old values, +1 for the new); reads add the
# tallies up instead of scanning every row, and ``trust.tallies.compact`` folds them into one row per key from
# time to time. Appending never waits for another command (no row is shared), so the money commands that change
# these rows do not queue behind a totals row. The application never writes a tally except when compacting.
PAID, PART_PAID, NOTHING_PAID = 2, 1, 0  # paid_state: paid in full, part paid, nothing paid yet


class ContributionTally(Base):
    __tablename__ = "trust_contribution_tallies"

    id: Mapped[int] = mapped_column(TALLY_ID, primary_key=True)
    month: Mapped[dt.date] = mapped_column(Date)
    due_date: Mapped[dt.date] = mapped_column(Date)
    paid_state: Mapped[int] = mapped_column(Integer)
    row_count: Mapped[int] = mapped_column(Integer)
    amount_due: Mapped[Decimal] = mapped_column(Money)
    amount_paid: Mapped[Decimal] = mapped_column(Money)
    compacted: Mapped[bool] = mapped_column(Boolean, default=False)


class DisbursementTally(Base):
    __tablename__ = "trust_disbursement_tallies"

    id: Mapped[int] = mapped_column(TALLY_ID, primary_key=True)
    status: Mapped[str] = mapped_column(String(15))
    row_count: Mapped[int] = mapped_column(Integer)
    amount: Mapped[Decimal] = mapped_column(Money)
    paid_amount: Mapped[Decimal] = mapped_column(Money)
    compacted: Mapped[bool] = mapped_column(Boolean, default=False)
