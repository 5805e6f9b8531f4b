"""Ledger commands: accounts, idempotency claims, periods, balanced postings under row locks, reversals,
two-phase transfers, balances from postings."""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Integer, bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, object_session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from portfolio.db import insert_ignoring_conflict, insert_row
from portfolio.domain_errors import Conflict
from portfolio.formatting import month_label
from portfolio.money import CENT, MAX_AMOUNT, format_money
from portfolio.trust.ledger.balances import (
    add_to_period_balances,
    insufficient,
    month_of,
    next_month,
    pending_changes,
)
from portfolio.trust.ledger.models import (
    STATUS_LABELS,
    TRANSITIONS,
    ZERO,
    Account,
    Command,
    Entry,
    LedgerError,
    Period,
    Transfer,
    TransferStatus,
    money_sum,
)
from portfolio.trust.ledger.writes import is_closed, opens, write, write_if_open

# --- accounts --------------------------------------------------------------------------------------

def get_or_create_account(session: Session, code: str, name: str, type: str, *, no_negative: bool = True,
                          owner_type: str | None = None, owner_id: int | None = None) -> Account:
    account = session.scalar(select(Account).where(Account.code == code))
    if account is None:
        account = Account(code=code, name=name, type=type, no_negative=no_negative, owner_type=owner_type,
                          owner_id=owner_id, balance=ZERO)
        try:
            with session.begin_nested():  # a concurrent first use may create it too: then use theirs
                session.add(account)
                session.flush()
        except IntegrityError:
            account = session.scalar(select(Account).where(Account.code == code))
            if account is None:  # pragma: no cover - the violation was something else
                raise
    return account


def account(session: Session, code: str) -> Account:
    found = session.scalar(select(Account).where(Account.code == code))
    if found is None:
        raise LedgerError(f"La cuenta contable {code} no existe.")
    return found


def lock_accounts(session: Session, ids: set[int]) -> dict[int, Account]:
    """Lock the rows in id order (no deadlocks) and refresh their cached balances. ``FOR NO KEY UPDATE``:
    it excludes every other balance change, but not the key-share locks that inserting a posting, a
    transfer or a period balance row referencing the account takes (``FOR UPDATE`` would wait for them)."""
    rows = session.scalars(
        select(Account).where(Account.id.in_(sorted(ids))).order_by(Account.id)
        .with_for_update(key_share=True).execution_options(populate_existing=True)
    ).all()
    return {a.id: a for a in rows}


# --- idempotency -----------------------------------------------------------------------------------

def payload_hash(command: str, payload: dict[str, Any]) -> str:
    def default(value):
        if isinstance(value, Decimal):
            # abs() first: quantize() raises on values wider than the context (a 30-digit amount)
            return f"{value:.2f}" if abs(value) <= MAX_AMOUNT and value == value.quantize(CENT) else str(value)
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
    """Claim ``key`` for this command, in one statement. A concurrent claim of the same key waits for ours
    (unique index) and then sees it as a replay."""
    key = (key or "").strip()
    if not key or len(key) > 120:
        raise LedgerError("Falta la clave de la operación (recargue el formulario e intente de nuevo).")
    digest = payload_hash(command, payload)
    row = insert_ignoring_conflict(session, Command, {"key": key, "command": command, "payload_hash": digest})
    if row is not None:
        return Claim(row, False)
    existing = session.scalar(select(Command).where(Command.key == key).execution_options(populate_existing=True))
    if existing is None:  # pragma: no cover - the conflict was on another unique column
        raise LedgerError("No se pudo registrar la operación; intente de nuevo.")
    if existing.command != command or existing.payload_hash != digest:
        raise Conflict("Esta operación ya fue enviada con otros datos (clave repetida); recargue el formulario.")
    if existing.result_id is None:  # pragma: no cover - only when the first attempt is still running
        raise Conflict("La misma operación se está procesando; espere y vuelva a cargar la página.")
    return Claim(existing, True)


def finish(claim_: Claim, result: Any) -> None:
    """Record the command's result. Inside ``deferred_balances`` it is written with the balance changes at
    the end of the block (one statement fewer on PostgreSQL); otherwise at the next flush."""
    command, kind = claim_.command, type(result).__name__
    waiting = pending_changes(object_session(command))
    if waiting is None:
        command.result_type, command.result_id = kind, result.id
        return
    waiting.result = (command.id, kind, result.id)
    set_committed_value(command, "result_type", kind)  # as it will be once the block ends
    set_committed_value(command, "result_id", result.id)


# --- periods ---------------------------------------------------------------------------------------

PERIOD_LOCK_NAMESPACE = 730_000_000


def _period_lock(session: Session, day: dt.date, *, exclusive: bool) -> None:
    """PostgreSQL: postings hold a shared lock on their month, closing takes it exclusively, so a close
    waits for postings in flight and a posting that waited sees the close (SQLite serialises writers)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    session.execute(_period_lock_query(exclusive), {"lock": PERIOD_LOCK_NAMESPACE + day.year * 100 + day.month})


@functools.cache
def _period_lock_query(exclusive: bool):
    function = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
    return select(getattr(func, function)(bindparam("lock", type_=Integer)))


def next_period_to_close(session: Session) -> dt.date | None:
    """Periods close in order: the month after the last closed one; the first is the month of the ledger's
    first entry. None while the ledger has no entries."""
    last_closed = session.scalar(select(func.max(Period.month)))
    if last_closed is not None:
        return next_month(last_closed)
    first = session.scalar(select(func.min(Entry.effective_date)))
    return month_of(first) if first is not None else None


def month_figures(session: Session, month: dt.date) -> tuple[int, Decimal, int | None]:
    """(entries dated in the month, their total, the highest of their ids)."""
    count, total, last = session.execute(
        select(func.count(Entry.id), money_sum(Entry.total), func.max(Entry.id))
        .where(Entry.effective_date >= month_of(month), Entry.effective_date < next_month(month))).one()
    return count, total, last


def close_period(session: Session, month: dt.date, *, today: dt.date, actor_id: int | None = None,
                 before_close: Callable[[dt.date], None] | None = None) -> Period:
    """Close ``month`` (the next one in order, once it has ended); ``before_close(month)`` may refuse it.
    The period row freezes the month's entry count, total and last entry id (what ``verify`` checks)."""
    month = month_of(month)
    if month >= month_of(today):
        raise LedgerError("Solo se puede cerrar un mes ya terminado.", field="month")
    _period_lock(session, month, exclusive=True)
    if is_closed(session, month):
        raise LedgerError(f"El periodo {month_label(month)} ya está cerrado.", field="month")
    expected = next_period_to_close(session)
    if expected is None:
        raise LedgerError("El libro mayor aún no tiene asientos: no hay periodos que cerrar.", field="month")
    if month != expected:
        raise LedgerError(f"Los periodos se cierran en orden: el próximo a cerrar es {month_label(expected)}.",
                          field="month")
    if before_close is not None:
        before_close(month)
    count, total, last = month_figures(session, month)
    period = Period(month=month, closed_by_id=actor_id, entry_count=count, entry_total=total, last_entry_id=last)
    session.add(period)
    session.flush()
    return period


# --- posting ---------------------------------------------------------------------------------------

def post_entry(session: Session, *, key: str, kind: str, memo: str, effective_date: dt.date,
               lines: list[tuple[Account | int, Decimal, Decimal]], actor_id: int | None = None,
               reverses_id: int | None = None, transfer_id: int | None = None,
               new_transfer: dict[str, Any] | None = None) -> Entry:
    """Write one balanced entry; ``lines`` are (account, debit, credit). Updates the cached balances and the
    period balances under the accounts' row locks: at once, or inside ``deferred_balances`` at the end of
    the block (where the floor of each account is checked again, atomically). With ``new_transfer`` (a
    transfer's columns), the entry opens that two-phase transfer, written with it (``reserve``)."""
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
    _period_lock(session, effective_date, exclusive=False)
    columns = dict(key=key, kind=kind, memo=memo, effective_date=effective_date, total=debits, reverses_id=reverses_id,
                   transfer_id=transfer_id, actor_id=actor_id)
    ids = {a if isinstance(a, int) else a.id for a, _d, _c in lines}
    waiting = pending_changes(session)
    if waiting is not None:
        # type, floor and name never change (only the balance does): read without a lock; the floors are
        # checked at the end of the block, in the statement that applies the balance changes
        known = _accounts(session, ids)
        deltas = _deltas(lines, known)
        entry = write_if_open(session, columns, lines, new_transfer)
        if entry is None:
            raise _closed(effective_date)
        waiting.add(month_of(effective_date), deltas, lines, known)
        return entry
    if is_closed(session, effective_date):
        raise _closed(effective_date)
    locked = lock_accounts(session, ids)
    deltas = _deltas(lines, locked)
    for acc_id, delta in deltas.items():
        row = locked[acc_id]
        if row.no_negative and row.balance + delta < 0:
            raise insufficient(row.name, row.balance, -delta)
    if new_transfer is None:
        entry = write(session, columns, lines)
    else:
        transfer = insert_row(session, Transfer, new_transfer)
        entry = opens(write(session, columns | {"transfer_id": transfer.id}, lines), transfer)
    for acc_id, delta in deltas.items():
        locked[acc_id].balance = locked[acc_id].balance + delta
    session.flush()
    add_to_period_balances(session, month_of(effective_date), lines)
    return entry


def _accounts(session: Session, ids: set[int]) -> dict[int, Account]:
    """The accounts already in the session, and the others with one SELECT."""
    known = {acc_id: session.identity_map.get(identity_key(Account, acc_id)) for acc_id in ids}
    missing = sorted(acc_id for acc_id, row in known.items() if row is None)
    if missing:
        known |= {row.id: row for row in session.scalars(select(Account).where(Account.id.in_(missing)))}
    return known


def _deltas(lines, accounts: dict[int, Account]) -> dict[int, Decimal]:
    deltas: dict[int, Decimal] = {}
    for acc, debit, credit in lines:
        acc_id = acc if isinstance(acc, int) else acc.id
        deltas[acc_id] = deltas.get(acc_id, ZERO) + accounts[acc_id].signed(debit, credit)
    return deltas


def _closed(day: dt.date) -> LedgerError:
    return LedgerError(f"El periodo {day:%m/%Y} está cerrado: no se puede registrar en él.")


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


def reserve(session: Session, *, key: str, source: Account, holding: Account, target: Account, amount: Decimal,
            effective_date: dt.date, memo: str, actor_id: int | None = None) -> Transfer:
    if amount <= 0:
        raise LedgerError("El monto a reservar debe ser mayor que cero.")
    opened = dict(key=key, source_id=source.id, holding_id=holding.id, target_id=target.id, amount=amount,
                  posted_amount=ZERO, voided_amount=ZERO, status=TransferStatus.PENDING)
    entry = post_entry(session, key=f"{key}:reserva", kind="reserva", memo=memo, effective_date=effective_date,
                       lines=transfer_lines(holding, source, amount), actor_id=actor_id, new_transfer=opened)
    return entry.transfer  # written with the entry, no read


def lock_transfer(session: Session, transfer_id: int) -> Transfer:
    transfer = session.get(Transfer, transfer_id, with_for_update={"key_share": True}, populate_existing=True)
    if transfer is None:
        raise LedgerError("La reserva no existe.")
    return transfer


def post_pending(session: Session, transfer_id: int, amount: Decimal, *, key: str, effective_date: dt.date,
                 memo: str, actor_id: int | None = None) -> Entry:
    transfer = lock_transfer(session, transfer_id)
    if amount <= 0:
        raise LedgerError("El monto a ejecutar debe ser mayor que cero.", field="amount")
    if transfer.status == TransferStatus.PENDING and amount > transfer.remaining:
        raise LedgerError(f"El monto excede el saldo reservado por ejecutar ({format_money(transfer.remaining)}).",
                          field="amount")
    _advance(transfer, "post_final" if transfer.status == TransferStatus.PENDING and amount == transfer.remaining else "post_partial")
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

