"""Balances per account and month (``ledger_period_balances``), kept by ``post_entry`` with the postings;
the balance of accounts at a date read from them; and ``deferred_balances``, which applies a money
command's balance changes at its end (floors checked in the same statement) so the busiest account rows
stay locked only until the commit."""
from __future__ import annotations

import contextlib
import datetime as dt
import functools
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import Date, Integer, and_, bindparam, cast, func, literal_column, or_, select, text, update
from sqlalchemy import insert as sa_insert
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from portfolio.db_types import Money
from portfolio.money import format_money
from portfolio.trust.ledger.models import (
    DEBIT_NORMAL,
    ZERO,
    Account,
    Entry,
    InsufficientFunds,
    LedgerError,
    PeriodBalance,
    Posting,
    money_sum,
)


def month_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


def next_month(month: dt.date) -> dt.date:
    return (month_of(month) + dt.timedelta(days=32)).replace(day=1)


def ends_month(day: dt.date) -> bool:
    """Is ``day`` its month's last day (a balance then needs whole months only)?"""
    return day == next_month(day) - dt.timedelta(days=1)


def _upsert(session: Session):
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(PeriodBalance)


def add_to_period_balances(session: Session, month: dt.date,
                           lines: list[tuple[Account | int, Decimal, Decimal]]) -> None:
    """Add an entry's lines to the month's row of each account (one INSERT … ON CONFLICT DO UPDATE). The
    caller holds the accounts' row locks, so concurrent entries on an account add in turn."""
    sums: dict[int, list[Decimal]] = {}
    for acc, debit, credit in lines:
        pair = sums.setdefault(acc if isinstance(acc, int) else acc.id, [ZERO, ZERO])
        pair[0] += debit
        pair[1] += credit
    _upsert_period_rows(session, [{"account_id": acc_id, "month": month, "debit": d, "credit": c}
                                  for acc_id, (d, c) in sorted(sums.items())])


def _upsert_period_rows(session: Session, rows: list[dict]) -> None:
    if not rows:
        return
    stmt = _upsert(session).values(rows)
    stmt = stmt.on_conflict_do_update(
        index_elements=[PeriodBalance.account_id, PeriodBalance.month],
        set_={"debit": PeriodBalance.debit + stmt.excluded.debit, "credit": PeriodBalance.credit + stmt.excluded.credit})
    session.execute(stmt)


def month_start(session: Session, column):
    """SQL for the first day of the month of a date column (PostgreSQL and SQLite)."""
    # literal arguments: a bound parameter would differ between the SELECT and the GROUP BY on PostgreSQL
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.date_trunc(literal_column("'month'"), column), Date)
    return func.date(column, literal_column("'start of month'"), type_=Date)


def load_period_balances(session: Session) -> int:
    """Fill the (empty) period balances from the postings, in one statement: for postings written in bulk
    without ``post_entry`` (benchmarks, restores). Returns the number of rows written."""
    if session.scalar(select(func.count()).select_from(PeriodBalance)):
        raise LedgerError("Los saldos por periodo ya tienen filas: solo se cargan en una tabla vacía.")
    month = month_start(session, Entry.effective_date)
    rows = (select(Posting.account_id, month, func.sum(Posting.debit), func.sum(Posting.credit))
            .join(Entry, Entry.id == Posting.entry_id).group_by(Posting.account_id, month))
    result = session.execute(sa_insert(PeriodBalance).from_select(["account_id", "month", "debit", "credit"], rows))
    return result.rowcount


def balance_on(session: Session, account_ids: list[int], day: dt.date | None = None) -> Decimal:
    """Normal-side balance of the accounts at the end of ``day`` (or of every posting): the period balances
    of the whole months before ``day``'s month, plus the postings of that month effective up to ``day`` —
    two statements whose cost follows one month's postings, not the ledger's size (``balances_on`` for
    several days at once)."""
    ids = sorted(set(account_ids))
    if not ids:
        return ZERO
    types = _types(session, ids)
    months = (select(PeriodBalance.account_id, money_sum(PeriodBalance.debit), money_sum(PeriodBalance.credit))
              .where(PeriodBalance.account_id.in_(ids)).group_by(PeriodBalance.account_id))
    sums = []
    if day is None:
        sums.append(months)
    elif ends_month(day):  # whole months only
        sums.append(months.where(PeriodBalance.month <= month_of(day)))
    else:
        sums.append(months.where(PeriodBalance.month < month_of(day)))
        sums.append(select(Posting.account_id, money_sum(Posting.debit), money_sum(Posting.credit))
                    .where(Posting.account_id.in_(ids), Posting.effective_date >= month_of(day),
                           Posting.effective_date <= day).group_by(Posting.account_id))
    total = ZERO
    for query in sums:
        for account_id, debit, credit in session.execute(query):
            total += _normal(types[account_id], debit, credit)
    return total


def balances_on(session: Session, account_ids: list[int], days: list[dt.date]) -> dict[dt.date, Decimal]:
    """``balance_on`` at the end of each of ``days`` (the bank reconciliation's dates), in at most three
    statements whatever their number: the accounts' sides, their period balances per month up to the last
    day's month, and the postings per day of the months in which a day is not the last. One day is faster
    with ``balance_on``, which adds up in the database."""
    ids, wanted = sorted(set(account_ids)), sorted(set(days))
    if not ids or not wanted:
        return dict.fromkeys(wanted, ZERO)
    types = _types(session, ids)
    by_month: dict[dt.date, Decimal] = {}
    for account_id, month, debit, credit in session.execute(
            select(PeriodBalance.account_id, PeriodBalance.month, money_sum(PeriodBalance.debit),
                   money_sum(PeriodBalance.credit))
            .where(PeriodBalance.account_id.in_(ids), PeriodBalance.month <= month_of(wanted[-1]))
            .group_by(PeriodBalance.account_id, PeriodBalance.month)):
        by_month[month] = by_month.get(month, ZERO) + _normal(types[account_id], debit, credit)
    # days that end a month need whole months only; the others, their month's postings up to the day
    partial: dict[dt.date, dt.date] = {}  # month → the latest wanted day in it that does not end it
    for day in wanted:
        if not ends_month(day):
            partial[month_of(day)] = max(day, partial.get(month_of(day), day))
    by_day: dict[dt.date, Decimal] = {}
    if partial:
        for account_id, day, debit, credit in session.execute(
                select(Posting.account_id, Posting.effective_date, money_sum(Posting.debit), money_sum(Posting.credit))
                .where(Posting.account_id.in_(ids),
                       or_(*(and_(Posting.effective_date >= month, Posting.effective_date <= last)
                             for month, last in partial.items())))
                .group_by(Posting.account_id, Posting.effective_date)):
            by_day[day] = by_day.get(day, ZERO) + _normal(types[account_id], debit, credit)
    out = {}
    for day in wanted:
        month = month_of(day)
        if month not in partial or ends_month(day):
            out[day] = sum((v for m, v in by_month.items() if m <= month), ZERO)
        else:
            out[day] = (sum((v for m, v in by_month.items() if m < month), ZERO)
                        + sum((v for d, v in by_day.items() if month <= d <= day), ZERO))
    return out


def _types(session: Session, ids: list[int]) -> dict[int, str]:
    return dict(session.execute(select(Account.id, Account.type).where(Account.id.in_(ids))).all())


def _normal(account_type: str, debit: Decimal, credit: Decimal) -> Decimal:
    """A debit and credit total on the account's normal side."""
    return debit - credit if account_type in DEBIT_NORMAL else credit - debit


# --- deferred balance changes ----------------------------------------------------------------------

PENDING = "ledger_pending_balances"


def insufficient(name: str, balance: Decimal, needed: Decimal) -> InsufficientFunds:
    return InsufficientFunds(f"Fondos insuficientes en «{name}»: disponible {format_money(balance)}, "
                             f"se requieren {format_money(needed)}.")


@dataclass
class Pending:
    """The cached-balance and period-balance changes of a block's entries, waiting for its end: per
    account the total change and, for an account that may not go negative, the lowest point its balance
    reaches through the entries in order (the floor check at the end)."""

    balances: dict[int, Decimal] = field(default_factory=dict)
    lowest: dict[int, Decimal] = field(default_factory=dict)
    names: dict[int, str] = field(default_factory=dict)
    periods: dict[tuple[int, dt.date], list[Decimal]] = field(default_factory=dict)
    # the block's idempotency record and its result, (command id, result type, result id), written with the
    # balance changes (PostgreSQL: in the same statement)
    result: tuple[int, str, int] | None = None

    def add(self, month: dt.date, deltas: dict[int, Decimal], lines, accounts: dict[int, Account]) -> None:
        for acc_id, delta in deltas.items():
            total = self.balances.get(acc_id, ZERO) + delta
            self.balances[acc_id] = total
            if accounts[acc_id].no_negative:
                self.lowest[acc_id] = min(self.lowest.get(acc_id, ZERO), total)
                self.names[acc_id] = accounts[acc_id].name
        for acc, debit, credit in lines:
            pair = self.periods.setdefault((acc if isinstance(acc, int) else acc.id, month), [ZERO, ZERO])
            pair[0] += debit
            pair[1] += credit


def pending_changes(session: Session) -> Pending | None:
    return session.info.get(PENDING)


@contextlib.contextmanager
def deferred_balances(session: Session) -> Iterator[None]:
    """Inside the block, ``post_entry`` writes each entry and its postings at once and leaves the cached
    balances and the period balances to the end of the block, where they are applied in one go, accounts
    in id order, each with its floor checked in the same statement. The busiest rows (the bank and
    reserved-funds accounts) are then locked only for the last statements before the commit instead of
    for the whole command. A block applies nothing when it ends with an exception (the caller rolls back);
    blocks do not nest (an inner one leaves the work to the outer)."""
    if pending_changes(session) is not None:
        yield
        return
    session.info[PENDING] = Pending()
    try:
        yield
        apply_pending(session)
    finally:
        session.info.pop(PENDING, None)


def apply_pending(session: Session) -> None:
    """Apply the pending changes: everything else is flushed first, then one ``UPDATE … SET balance =
    balance + Δ … WHERE balance + lowest ≥ 0 RETURNING balance`` per account in id order — the row lock
    and the floor check in one statement (no row back: ``InsufficientFunds``) — and one upsert of the
    period balances; on PostgreSQL all of them as one statement."""
    waiting = pending_changes(session)
    if waiting is None or not (waiting.balances or waiting.result):
        return
    session.flush()
    if session.get_bind().dialect.name == "postgresql" and waiting.balances and len(waiting.periods) <= ONE_STATEMENT_ROWS:
        _apply_in_one_statement(session, waiting)
    else:
        _apply_in_turn(session, waiting)
    waiting.balances.clear()
    waiting.lowest.clear()
    waiting.periods.clear()
    waiting.result = None


# the UPDATE that records the block's command result (its values: ``_result_values``)
RESULT_STEP = "UPDATE ledger_commands SET result_type = :rtype, result_id = :rid WHERE id = :rcommand"


def _result_values(waiting: Pending) -> dict[str, object]:
    return dict(zip(("rcommand", "rtype", "rid"), waiting.result, strict=True))


# A money command touches two to four accounts; a block over more rows than this (a bulk load inside one
# block) sends its changes in turn rather than as one statement with thousands of parameters.
ONE_STATEMENT_ROWS = 200


def _refused(session: Session, waiting: Pending, acc_id: int) -> InsufficientFunds:
    now = session.scalar(select(Account.__table__.c.balance).where(Account.__table__.c.id == acc_id))
    return insufficient(waiting.names[acc_id], now, -waiting.lowest[acc_id])


def _set_loaded_balance(session: Session, acc_id: int, balance: Decimal) -> None:
    loaded = session.identity_map.get(identity_key(Account, acc_id))
    if loaded is not None:
        set_committed_value(loaded, "balance", balance)


def _apply_in_one_statement(session: Session, waiting: Pending) -> None:
    """PostgreSQL: every account's ``UPDATE … WHERE balance + lowest ≥ 0`` and the period balances' upsert
    in one statement, so the busiest rows stay locked for one round trip and the commit (see
    ``_one_statement``); here only the values are bound."""
    accounts = sorted(waiting.balances)
    params: dict[str, object] = {}
    for n, acc_id in enumerate(accounts):
        params |= {f"id{n}": acc_id, f"delta{n}": waiting.balances[acc_id]}
        if acc_id in waiting.lowest:
            params[f"low{n}"] = waiting.lowest[acc_id]
    periods = sorted(waiting.periods.items())
    for n, ((acc_id, month), (debit, credit)) in enumerate(periods):
        params |= {f"pa{n}": acc_id, f"pm{n}": month, f"pd{n}": debit, f"pc{n}": credit}
    if waiting.result is not None:
        params |= _result_values(waiting)
    statement = _one_statement(tuple(acc_id in waiting.lowest for acc_id in accounts), len(periods),
                               waiting.result is not None)
    applied = dict(session.execute(statement, params).all())
    for acc_id in accounts:
        if acc_id not in applied:  # the first refused floor: the accounts after it were not touched
            raise _refused(session, waiting, acc_id)
        _set_loaded_balance(session, acc_id, applied[acc_id])


@functools.lru_cache(maxsize=256)  # a money command has a handful of shapes; a bulk block, its own
def _one_statement(floors: tuple[bool, ...], periods: int, result: bool):
    """The statement for a block's shape (which accounts have a floor, how many period rows, whether the
    command's result goes with it), built once. Each step is a data-modifying CTE that reads the one before
    it (``EXISTS``), which makes PostgreSQL run them in that order: account rows locked in id order (no
    deadlocks), the period rows after them, and nothing after a refused floor (that account returns no
    row). Only step numbers are written into the text (S608 below): every value is a bound parameter."""
    types: list = []
    steps, previous = [], None
    for n, floor in enumerate(floors):
        low = f" AND balance + :low{n} >= 0" if floor else ""
        after = f" AND EXISTS (SELECT 1 FROM a{previous})" if previous is not None else ""  # noqa: S608
        steps.append(f"a{n} AS (UPDATE ledger_accounts SET balance = balance + :delta{n} "  # noqa: S608
                     f"WHERE id = :id{n}{low}{after} RETURNING id, balance)")
        types += [bindparam(f"delta{n}", type_=Money)] + ([bindparam(f"low{n}", type_=Money)] if floor else [])
        previous = n
    rows = []
    for n in range(periods):
        rows.append(f"(:pa{n}, CAST(:pm{n} AS DATE), :pd{n}, :pc{n})")
        types += [bindparam(f"pd{n}", type_=Money), bindparam(f"pc{n}", type_=Money)]
    steps.append("p AS (INSERT INTO ledger_period_balances (account_id, month, debit, credit) "  # noqa: S608
                 f"SELECT v.a, v.m, v.d, v.c FROM (VALUES {', '.join(rows)}) AS v(a, m, d, c) "
                 f"WHERE EXISTS (SELECT 1 FROM a{previous}) ON CONFLICT (account_id, month) DO UPDATE SET "
                 "debit = ledger_period_balances.debit + EXCLUDED.debit, "
                 "credit = ledger_period_balances.credit + EXCLUDED.credit)")
    if result:
        steps.append(f"r AS ({RESULT_STEP} AND EXISTS (SELECT 1 FROM a{previous}))")  # noqa: S608
    reads = " UNION ALL ".join(f"SELECT id, balance FROM a{n}" for n in range(previous + 1))  # noqa: S608
    return text(f"WITH {', '.join(steps)} {reads}").bindparams(*types).columns(id=Integer, balance=Money)


def _apply_in_turn(session: Session, waiting: Pending) -> None:
    """SQLite (one writer at a time), or a block too large for one statement: an UPDATE per account in id
    order, then the period balances' upsert and the command's result."""
    table = Account.__table__
    for acc_id in sorted(waiting.balances):
        statement = update(table).where(table.c.id == acc_id)
        if acc_id in waiting.lowest:
            statement = statement.where(table.c.balance + waiting.lowest[acc_id] >= 0)
        balance = session.execute(statement.values(balance=table.c.balance + waiting.balances[acc_id])
                                  .returning(table.c.balance)).scalar()
        if balance is None:
            raise _refused(session, waiting, acc_id)
        _set_loaded_balance(session, acc_id, balance)
    _upsert_period_rows(session, [{"account_id": acc_id, "month": month, "debit": d, "credit": c}
                                  for (acc_id, month), (d, c) in sorted(waiting.periods.items())])
    if waiting.result is not None:
        session.execute(text(RESULT_STEP), _result_values(waiting))
