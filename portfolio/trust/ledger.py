"""The trust's double-entry ledger: the pure core, no web framework (every function takes a Session).

Guarantees (modelled on TigerBeetle's):
- accounts carry a type and a ``no_negative`` flag; the cached ``balance`` (normal side, céntimos) is
  updated in the same transaction as the postings, under a row lock (``SELECT … FOR UPDATE`` on
  PostgreSQL; SQLite serialises writers);
- a journal entry has ≥ 2 postings whose debits equal credits (checked here, by CHECK constraints per
  posting and, on PostgreSQL, by a deferred constraint trigger per entry);
- every money command carries an idempotency key stored with a hash of its payload: the same key and
  payload return the first result, the same key with another payload is refused;
- entries and postings are append-only (database triggers + a ``before_flush`` guard); a correction is
  a reversing entry that points at the original, and an entry can be reversed at most once;
- two-phase transfers: ``reserve`` (pending) → ``post`` (in one or several tranches) or ``void``;
  the status only moves along ``TRANSITIONS``;
- closed periods (months) accept no postings.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    String,
    event,
    func,
    select,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship
from sqlalchemy.sql import type_coerce

from portfolio.db import Base, Money, UTCDateTime, utcnow
from portfolio.errors import Conflict, DomainError
from portfolio.money import CENT

ZERO = Decimal("0.00")
ACCOUNT_TYPES = {
    "asset": "Activo", "liability": "Pasivo", "equity": "Patrimonio", "income": "Ingreso", "expense": "Gasto",
}
DEBIT_NORMAL = {"asset", "expense"}


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
    """A closed month (rows exist only for closed periods)."""

    __tablename__ = "ledger_periods"

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[dt.date] = mapped_column(Date, unique=True)
    closed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class Transfer(Base):
    """A two-phase transfer: ``amount`` moved from ``source`` into ``holding`` (pending), then posted to
    ``target`` (in tranches) or voided back to ``source``."""

    __tablename__ = "ledger_transfers"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("posted_amount >= 0 AND voided_amount >= 0", name="parts_not_negative"),
        CheckConstraint("posted_amount + voided_amount <= amount", name="parts_within_amount"),
        CheckConstraint("status IN ('pending', 'posted', 'voided')", name="status_known"),
        CheckConstraint("status = 'pending' OR posted_amount + voided_amount = amount", name="closed_is_complete"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("ledger_accounts.id"))
    holding_id: Mapped[int] = mapped_column(ForeignKey("ledger_accounts.id"))
    target_id: Mapped[int] = mapped_column(ForeignKey("ledger_accounts.id"))
    amount: Mapped[Decimal] = mapped_column(Money)
    posted_amount: Mapped[Decimal] = mapped_column(Money, default=ZERO)
    voided_amount: Mapped[Decimal] = mapped_column(Money, default=ZERO)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def remaining(self) -> Decimal:
        return self.amount - self.posted_amount - self.voided_amount


# status → action → next status. Anything not listed is refused.
TRANSITIONS: dict[str, dict[str, str]] = {
    "pending": {"post_partial": "pending", "post_final": "posted", "void": "voided"},
    "posted": {},
    "voided": {},
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


class Posting(Base):
    __tablename__ = "ledger_postings"
    __table_args__ = (
        CheckConstraint("debit >= 0 AND credit >= 0", name="not_negative"),
        CheckConstraint("(debit > 0 AND credit = 0) OR (credit > 0 AND debit = 0)", name="one_side"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("ledger_entries.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("ledger_accounts.id"), index=True)
    debit: Mapped[Decimal] = mapped_column(Money, default=ZERO)
    credit: Mapped[Decimal] = mapped_column(Money, default=ZERO)

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


def money_sum(expr):
    """SUM of a céntimos expression (0 when empty), handed out as Decimal soles on every database."""
    return type_coerce(func.coalesce(func.sum(expr), 0), Money)


# --- accounts --------------------------------------------------------------------------------------

def get_or_create_account(session: Session, code: str, name: str, type: str, *, no_negative: bool = True,
                          owner_type: str | None = None, owner_id: int | None = None) -> Account:
    account = session.scalar(select(Account).where(Account.code == code))
    if account is None:
        account = Account(code=code, name=name, type=type, no_negative=no_negative, owner_type=owner_type,
                          owner_id=owner_id, balance=ZERO)
        session.add(account)
        session.flush()
    return account


def account(session: Session, code: str) -> Account:
    found = session.scalar(select(Account).where(Account.code == code))
    if found is None:
        raise LedgerError(f"La cuenta contable {code} no existe.")
    return found


def lock_accounts(session: Session, ids: set[int]) -> dict[int, Account]:
    """Lock the rows in id order (no deadlocks) and refresh their cached balances."""
    rows = session.scalars(
        select(Account).where(Account.id.in_(sorted(ids))).order_by(Account.id)
        .with_for_update().execution_options(populate_existing=True)
    ).all()
    return {a.id: a for a in rows}


# --- idempotency -----------------------------------------------------------------------------------

def payload_hash(command: str, payload: dict[str, Any]) -> str:
    def default(value):
        if isinstance(value, Decimal):
            return f"{value:.2f}" if value == value.quantize(CENT) else str(value)
        if isinstance(value, dt.date):
            return value.isoformat()
        return str(value)

    text = json.dumps({"command": command, "payload": payload}, sort_keys=True, default=default, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class Claim:
    """The outcome of claiming an idempotency key: ``command`` to fill in, or ``replay`` of an earlier one."""

    command: Command
    replay: bool


def claim(session: Session, key: str, command: str, payload: dict[str, Any]) -> Claim:
    """Claim ``key`` for this command. A concurrent claim of the same key waits for ours (unique index)
    and then sees it as a replay."""
    key = (key or "").strip()
    if not key or len(key) > 120:
        raise LedgerError("Falta la clave de la operación (recargue el formulario e intente de nuevo).")
    digest = payload_hash(command, payload)
    existing = session.scalar(select(Command).where(Command.key == key))
    if existing is None:
        row = Command(key=key, command=command, payload_hash=digest)
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()
            return Claim(row, False)
        except IntegrityError:
            existing = session.scalar(select(Command).where(Command.key == key).execution_options(populate_existing=True))
            if existing is None:  # pragma: no cover - the unique violation came from elsewhere
                raise
    if existing.command != command or existing.payload_hash != digest:
        raise Conflict("Esta operación ya fue enviada con otros datos (clave repetida); recargue el formulario.")
    if existing.result_id is None:  # pragma: no cover - only when the first attempt is still running
        raise Conflict("La misma operación se está procesando; espere y vuelva a cargar la página.")
    return Claim(existing, True)


def finish(claim_: Claim, result: Any) -> None:
    claim_.command.result_type = type(result).__name__
    claim_.command.result_id = result.id


# --- periods ---------------------------------------------------------------------------------------

def month_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


def is_closed(session: Session, day: dt.date) -> bool:
    return session.scalar(select(Period.id).where(Period.month == month_of(day))) is not None


def close_period(session: Session, month: dt.date, *, today: dt.date, actor_id: int | None = None) -> Period:
    month = month_of(month)
    if month >= month_of(today):
        raise LedgerError("Solo se puede cerrar un mes ya terminado.", field="month")
    if is_closed(session, month):
        raise LedgerError(f"El periodo {month:%m/%Y} ya está cerrado.", field="month")
    period = Period(month=month, closed_by_id=actor_id)
    session.add(period)
    session.flush()
    return period


# --- posting ---------------------------------------------------------------------------------------

def post_entry(session: Session, *, key: str, kind: str, memo: str, effective_date: dt.date,
               lines: list[tuple[Account | int, Decimal, Decimal]], actor_id: int | None = None,
               reverses_id: int | None = None, transfer_id: int | None = None) -> Entry:
    """Write one balanced entry; ``lines`` are (account, debit, credit). Updates cached balances under lock."""
    if len(lines) < 2:
        raise LedgerError("Un asiento necesita al menos dos movimientos.")
    debits = credits = ZERO
    for _acc, debit, credit in lines:
        for value in (debit, credit):
            if not isinstance(value, Decimal) or value != value.quantize(CENT) or value < 0:
                raise LedgerError("Los montos del asiento deben ser positivos y con hasta dos decimales.")
        if (debit > 0) == (credit > 0):
            raise LedgerError("Cada movimiento va al debe o al haber, no a ambos ni a ninguno.")
        debits += debit
        credits += credit
    if debits != credits:
        raise LedgerError(f"El asiento no cuadra: debe {debits} ≠ haber {credits}.")
    if is_closed(session, effective_date):
        raise LedgerError(f"El periodo {effective_date:%m/%Y} está cerrado: no se puede registrar en él.")
    ids = {a if isinstance(a, int) else a.id for a, _d, _c in lines}
    locked = lock_accounts(session, ids)
    deltas: dict[int, Decimal] = {}
    for acc, debit, credit in lines:
        acc_id = acc if isinstance(acc, int) else acc.id
        deltas[acc_id] = deltas.get(acc_id, ZERO) + locked[acc_id].signed(debit, credit)
    for acc_id, delta in deltas.items():
        row = locked[acc_id]
        new_balance = row.balance + delta
        if row.no_negative and new_balance < 0:
            raise InsufficientFunds(
                f"Saldo insuficiente en «{row.name}»: disponible S/ {row.balance:,.2f}, se requieren S/ {-delta:,.2f}."
            )
    entry = Entry(key=key, kind=kind, memo=memo[:300], effective_date=effective_date, total=debits,
                  reverses_id=reverses_id, transfer_id=transfer_id, actor_id=actor_id)
    session.add(entry)
    session.flush()
    for acc, debit, credit in lines:
        acc_id = acc if isinstance(acc, int) else acc.id
        session.add(Posting(entry_id=entry.id, account_id=acc_id, debit=debit, credit=credit))
    for acc_id, delta in deltas.items():
        locked[acc_id].balance = locked[acc_id].balance + delta
    session.flush()
    return entry


def transfer_lines(debit_account: Account | int, credit_account: Account | int, amount: Decimal):
    return [(debit_account, amount, ZERO), (credit_account, ZERO, amount)]


def reverse(session: Session, entry_id: int, *, key: str, effective_date: dt.date, memo: str,
            actor_id: int | None = None) -> Entry:
    """Post the mirror image of an entry, linked to it. Each entry can be reversed once; reversals and
    two-phase entries cannot (use void)."""
    original = session.get(Entry, entry_id)
    if original is None:
        raise LedgerError("El asiento no existe.")
    if original.reverses_id is not None:
        raise LedgerError("Un asiento de reversión no se revierte; registre un asiento nuevo.")
    if original.transfer_id is not None:
        raise LedgerError("Los asientos de reservas se anulan con la anulación de la reserva, no se revierten.")
    if session.scalar(select(Entry.id).where(Entry.reverses_id == entry_id)) is not None:
        raise LedgerError("Este asiento ya fue revertido.")
    lines = [(p.account_id, p.credit, p.debit) for p in original.postings]
    return post_entry(session, key=key, kind="reversion", memo=memo, effective_date=effective_date, lines=lines,
                      actor_id=actor_id, reverses_id=entry_id)


# --- two-phase transfers ---------------------------------------------------------------------------

def _advance(transfer: Transfer, action: str) -> None:
    nxt = TRANSITIONS[transfer.status].get(action)
    if nxt is None:
        raise LedgerError(f"La reserva está {STATUS_LABELS[transfer.status]}: no admite esta operación.")
    transfer.status = nxt


STATUS_LABELS = {"pending": "pendiente", "posted": "ejecutada", "voided": "anulada"}


def reserve(session: Session, *, key: str, source: Account, holding: Account, target: Account, amount: Decimal,
            effective_date: dt.date, memo: str, actor_id: int | None = None) -> Transfer:
    if amount <= 0:
        raise LedgerError("El monto a reservar debe ser mayor que cero.")
    transfer = Transfer(key=key, source_id=source.id, holding_id=holding.id, target_id=target.id, amount=amount,
                        posted_amount=ZERO, voided_amount=ZERO, status="pending")
    session.add(transfer)
    session.flush()
    post_entry(session, key=f"{key}:reserva", kind="reserva", memo=memo, effective_date=effective_date,
               lines=transfer_lines(holding, source, amount), actor_id=actor_id, transfer_id=transfer.id)
    return transfer


def lock_transfer(session: Session, transfer_id: int) -> Transfer:
    transfer = session.get(Transfer, transfer_id, with_for_update=True, populate_existing=True)
    if transfer is None:
        raise LedgerError("La reserva no existe.")
    return transfer


def post_pending(session: Session, transfer_id: int, amount: Decimal, *, key: str, effective_date: dt.date,
                 memo: str, actor_id: int | None = None) -> Entry:
    transfer = lock_transfer(session, transfer_id)
    if amount <= 0:
        raise LedgerError("El monto a ejecutar debe ser mayor que cero.", field="amount")
    if transfer.status == "pending" and amount > transfer.remaining:
        raise LedgerError(f"El monto excede el saldo reservado por ejecutar (S/ {transfer.remaining:,.2f}).",
                          field="amount")
    _advance(transfer, "post_final" if transfer.status == "pending" and amount == transfer.remaining else "post_partial")
    transfer.posted_amount = transfer.posted_amount + amount
    entry = post_entry(session, key=key, kind="ejecucion", memo=memo, effective_date=effective_date,
                       lines=transfer_lines(transfer.target_id, transfer.holding_id, amount), actor_id=actor_id,
                       transfer_id=transfer.id)
    return entry


def void_pending(session: Session, transfer_id: int, *, key: str, effective_date: dt.date, memo: str,
                 actor_id: int | None = None) -> Entry:
    transfer = lock_transfer(session, transfer_id)
    remaining = transfer.remaining
    _advance(transfer, "void")
    transfer.voided_amount = transfer.voided_amount + remaining
    return post_entry(session, key=key, kind="anulacion", memo=memo, effective_date=effective_date,
                      lines=transfer_lines(transfer.source_id, transfer.holding_id, remaining), actor_id=actor_id,
                      transfer_id=transfer.id)


# --- queries ---------------------------------------------------------------------------------------

def balance_on(session: Session, account_ids: list[int], day: dt.date | None = None) -> Decimal:
    """Normal-side balance of the accounts from postings (effective up to ``day`` inclusive)."""
    total = ZERO
    query = (select(Account.type, money_sum(Posting.debit), money_sum(Posting.credit))
             .join(Posting, Posting.account_id == Account.id).join(Entry, Entry.id == Posting.entry_id)
             .where(Account.id.in_(account_ids)).group_by(Account.id, Account.type))
    if day is not None:
        query = query.where(Entry.effective_date <= day)
    for type_, debit, credit in session.execute(query):
        total += debit - credit if type_ in DEBIT_NORMAL else credit - debit
    return total


def verify(session: Session) -> list[str]:
    """Recompute every balance and invariant from the postings; return the problems found (Spanish)."""
    problems: list[str] = []
    bad_entries = session.execute(
        select(Entry.id, Entry.total, func.count(Posting.id), money_sum(Posting.debit), money_sum(Posting.credit))
        .outerjoin(Posting, Posting.entry_id == Entry.id).group_by(Entry.id, Entry.total)
    ).all()
    for entry_id, total, count, debit, credit in bad_entries:
        if count < 2 or debit != credit or debit != total:
            problems.append(f"Asiento {entry_id}: {count} movimientos, debe {debit} ≠ haber {credit} o total {total}.")
    sums = {
        row[0]: (row[1] or ZERO, row[2] or ZERO) for row in session.execute(
            select(Posting.account_id, money_sum(Posting.debit), money_sum(Posting.credit)).group_by(Posting.account_id)
        )
    }
    for acc in session.scalars(select(Account).order_by(Account.id)).all():
        debit, credit = sums.get(acc.id, (ZERO, ZERO))
        recomputed = debit - credit if acc.type in DEBIT_NORMAL else credit - debit
        if recomputed != acc.balance:
            problems.append(f"Cuenta {acc.code}: saldo en caché {acc.balance} ≠ recalculado {recomputed}.")
        if acc.no_negative and recomputed < 0:
            problems.append(f"Cuenta {acc.code}: saldo negativo {recomputed} en una cuenta que no lo admite.")
    for transfer in session.scalars(select(Transfer)).all():
        moved = {
            kind: total or ZERO for kind, total in session.execute(
                select(Entry.kind, money_sum(Posting.debit)).join(Posting, Posting.entry_id == Entry.id)
                .where(Entry.transfer_id == transfer.id).group_by(Entry.kind)
            )
        }
        reserved, posted, voided = (moved.get(k, ZERO) for k in ("reserva", "ejecucion", "anulacion"))
        if reserved != transfer.amount or posted != transfer.posted_amount or voided != transfer.voided_amount:
            problems.append(f"Reserva {transfer.id}: asientos (reserva {reserved}, ejecutado {posted}, anulado {voided}) "
                            f"no coinciden con su registro ({transfer.amount}, {transfer.posted_amount}, "
                            f"{transfer.voided_amount}).")
        if transfer.status != "pending" and transfer.remaining != 0:
            problems.append(f"Reserva {transfer.id}: cerrada con saldo pendiente {transfer.remaining}.")
    for period in session.scalars(select(Period)).all():
        next_month = (period.month + dt.timedelta(days=32)).replace(day=1)
        late = session.scalars(
            select(Entry.id).where(Entry.effective_date >= period.month, Entry.effective_date < next_month,
                                   Entry.created_at > period.closed_at)
        ).all()
        for entry_id in late:
            problems.append(f"Asiento {entry_id}: registrado después del cierre del periodo {period.month:%m/%Y}.")
    reversed_twice = session.execute(
        select(Entry.reverses_id, func.count()).where(Entry.reverses_id.is_not(None))
        .group_by(Entry.reverses_id).having(func.count() > 1)
    ).all()
    for original, count in reversed_twice:
        problems.append(f"Asiento {original}: revertido {count} veces.")
    return problems
