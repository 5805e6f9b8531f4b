"""Ledger tables: accounts, commands (idempotency keys), closed periods, two-phase transfers, entries and
postings (append-only), and the ORM guard that refuses changes to entries and postings."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from portfolio.db_types import Base, Money, UTCDateTime, one_of, utcnow
from portfolio.domain_errors import DomainError
from portfolio.money import money_sum  # noqa: F401  (the ledger's modules import it from here)

ZERO = Decimal("0.00")
ACCOUNT_TYPES = {
    "asset": "Activo", "liability": "Pasivo", "equity": "Patrimonio", "income": "Ingreso", "expense": "Gasto",
}
DEBIT_NORMAL = {"asset", "expense"}


class TransferStatus(StrEnum):
    """A two-phase transfer: ``pending`` (funds reserved) until it is fully ``posted`` or ``voided``."""

    PENDING = "pending"
    POSTED = "posted"
    VOIDED = "voided"


CLOSED_TRANSFERS = frozenset({TransferStatus.POSTED, TransferStatus.VOIDED})


class LedgerError(DomainError):
    """A ledger rule refused the command (Spanish message)."""


class InsufficientFunds(LedgerError):
    pass


class ImmutableLedger(RuntimeError):
    """Code tried to change or delete an entry or posting."""


class Account(Base):
    __tablename__ = "ledger_accounts"
    __table_args__ = (
        CheckConstraint("type IN ('asset', 'liability', 'equity', 'income', 'expense')", name="type_known"),
        CheckConstraint("NOT no_negative OR balance >= 0", name="floor"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(20))
    owner_type: Mapped[str | None] = mapped_column(String(30))
    owner_id: Mapped[int | None] = mapped_column()
    no_negative: Mapped[bool] = mapped_column(Boolean, default=True)
    balance: Mapped[Decimal] = mapped_column(Money, default=ZERO)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def type_label(self) -> str:
        return ACCOUNT_TYPES[self.type]

    def signed(self, debit: Decimal, credit: Decimal) -> Decimal:
        """The change a posting makes to this account's normal-side balance."""
        return debit - credit if self.type in DEBIT_NORMAL else credit - debit


class Command(Base):
    """One row per money command: its idempotency key, what it was, a hash of its payload, its result."""

    __tablename__ = "ledger_commands"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)
    command: Mapped[str] = mapped_column(String(60))
    payload_hash: Mapped[str] = mapped_column(String(64))
    result_type: Mapped[str | None] = mapped_column(String(40))
    result_id: Mapped[int | None] = mapped_column()
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Period(Base):
    """A closed month (rows exist only for closed periods), with what the month held when it closed:
    the number of entries dated in it, their total and the highest of their ids.
    ``verify`` compares these frozen figures with the entries (the database checks them on insert)."""

    __tablename__ = "ledger_periods"

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[dt.date] = mapped_column(Date, unique=True)
    closed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    entry_count: Mapped[int] = mapped_column(Integer)
    entry_total: Mapped[Decimal] = mapped_column(Money)
    last_entry_id: Mapped[int | None] = mapped_column(Integer)


class PeriodBalance(Base):
    """Per account and month: the debits and credits of every posting effective in that month, kept by
    ``post_entry`` in the same transaction as the postings (under the account's row lock). A balance at a
    date is the sum of the whole months before it plus the postings of its own month, so statements cost
    the same whatever the size of the ledger; ``verify`` recomputes every row from the postings."""

    __tablename__ = "ledger_period_balances"
    __table_args__ = (CheckConstraint("debit >= 0 AND credit >= 0", name="not_negative"),
                      UniqueConstraint("account_id", "month"))

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("ledger_accounts.id"))
    month: Mapped[dt.date] = mapped_column(Date)
    debit: Mapped[Decimal] = mapped_column(Money, default=ZERO)
    credit: Mapped[Decimal] = mapped_column(Money, default=ZERO)


class Transfer(Base):
    """A two-phase transfer: ``amount`` moved from ``source`` into ``holding`` (pending), then posted to
    ``target`` (in tranches) or voided back to ``source``."""

    __tablename__ = "ledger_transfers"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("posted_amount >= 0 AND voided_amount >= 0", name="parts_not_negative"),
        CheckConstraint("posted_amount + voided_amount <= amount", name="parts_within_amount"),
        CheckConstraint(one_of("status", TransferStatus), name="status_known"),
        CheckConstraint(f"status = '{TransferStatus.PENDING}' OR posted_amount + voided_amount = amount",
                        name="closed_is_complete"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("ledger_accounts.id"))
    holding_id: Mapped[int] = mapped_column(ForeignKey("ledger_accounts.id"))
    target_id: Mapped[int] = mapped_column(ForeignKey("ledger_accounts.id"))
    amount: Mapped[Decimal] = mapped_column(Money)
    posted_amount: Mapped[Decimal] = mapped_column(Money, default=ZERO)
    voided_amount: Mapped[Decimal] = mapped_column(Money, default=ZERO)
    status: Mapped[str] = mapped_column(String(10), default=TransferStatus.PENDING)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def remaining(self) -> Decimal:
        return self.amount - self.posted_amount - self.voided_amount


STATUS_LABELS = {TransferStatus.PENDING: "pendiente", TransferStatus.POSTED: "ejecutada",
                 TransferStatus.VOIDED: "anulada"}
# status → action → next status. Anything not listed is refused.
TRANSITIONS: dict[TransferStatus, dict[str, TransferStatus]] = {
    TransferStatus.PENDING: {"post_partial": TransferStatus.PENDING, "post_final": TransferStatus.POSTED,
                             "void": TransferStatus.VOIDED},
    TransferStatus.POSTED: {},
    TransferStatus.VOIDED: {},
}


class Entry(Base):
    __tablename__ = "ledger_entries"
    __table_args__ = (CheckConstraint("total > 0", name="total_positive"), Index("ix_ledger_entries_date", "effective_date"))

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    memo: Mapped[str] = mapped_column(String(300))
    effective_date: Mapped[dt.date] = mapped_column(Date)
    total: Mapped[Decimal] = mapped_column(Money)
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.id"), unique=True)
    transfer_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_transfers.id"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    postings: Mapped[list[Posting]] = relationship(back_populates="entry", order_by="Posting.id")
    # the two-phase transfer the entry opens, executes or voids (a reservation's is set as it is written)
    transfer: Mapped[Transfer | None] = relationship(viewonly=True)


class Posting(Base):
    __tablename__ = "ledger_postings"
    __table_args__ = (
        CheckConstraint("debit >= 0 AND credit >= 0", name="not_negative"),
        CheckConstraint("(debit > 0 AND credit = 0) OR (credit > 0 AND debit = 0)", name="one_side"),
        Index("ix_ledger_postings_account_date", "account_id", "effective_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("ledger_entries.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("ledger_accounts.id"), index=True)
    debit: Mapped[Decimal] = mapped_column(Money, default=ZERO)
    credit: Mapped[Decimal] = mapped_column(Money, default=ZERO)
    # The entry's effective date, copied by the ledger core so an account's postings of a period come from one
    # index range (account, date). A database trigger refuses a posting without it or with another date
    # (migration 0021); the column stays nullable only because SQLite cannot add a NOT NULL column.
    effective_date: Mapped[dt.date | None] = mapped_column(Date)

    entry: Mapped[Entry] = relationship(back_populates="postings")
    account: Mapped[Account] = relationship()


@event.listens_for(Session, "before_flush")
def _immutable_guard(session: Session, _ctx, _instances) -> None:
    for obj in session.deleted:
        if isinstance(obj, Entry | Posting):
            raise ImmutableLedger("ledger entries and postings are append-only; post a reversing entry")
    for obj in session.dirty:
        if isinstance(obj, Entry | Posting) and session.is_modified(obj, include_collections=False):
            raise ImmutableLedger("ledger entries and postings are append-only; post a reversing entry")
