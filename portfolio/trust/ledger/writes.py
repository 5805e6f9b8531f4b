"""How an entry and its postings reach the database, with the two-phase transfer a reservation opens.

On PostgreSQL, one statement writes them, and only if the entry's month has no closed period: the caller
holds the month's shared lock (``core._period_lock``), so a close that commits first is seen here, and the
database's triggers refuse a posting into a closed month anyway. On SQLite (one writer at a time) the check
comes first, then the ORM's inserts.
"""
from __future__ import annotations

import datetime as dt
import functools
from decimal import Decimal
from typing import Any

from sqlalchemy import Date, Integer, String, bindparam, select, text
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from portfolio.db import insert_row
from portfolio.db_types import Money, UTCDateTime, utcnow
from portfolio.trust.ledger.balances import month_of
from portfolio.trust.ledger.models import Account, Entry, Period, Posting, Transfer

Lines = list[tuple[Account | int, Decimal, Decimal]]

# a new transfer's columns as the statement binds them (``t_<column>``)
TRANSFER_COLUMNS = {"key": String, "source_id": Integer, "holding_id": Integer, "target_id": Integer, "amount": Money,
                    "posted_amount": Money, "voided_amount": Money, "status": String}


def is_closed(session: Session, day: dt.date) -> bool:
    return session.scalar(select(Period.id).where(Period.month == month_of(day))) is not None


def write_if_open(session: Session, entry: dict[str, Any], lines: Lines,
                  new_transfer: dict[str, Any] | None = None) -> Entry | None:
    """The entry (``entry``: its columns but the id and the time) and its postings, and with ``new_transfer``
    (a transfer's columns but the id and the time) the transfer the entry belongs to, written only if the
    entry's month is open; None then, and nothing written."""
    if session.get_bind().dialect.name != "postgresql":
        if is_closed(session, entry["effective_date"]):
            return None
        if new_transfer is None:
            return write(session, entry, lines)
        transfer = insert_row(session, Transfer, new_transfer)
        return opens(write(session, entry | {"transfer_id": transfer.id}, lines), transfer)
    session.flush()  # what the entry refers to (an account or a user just created) is written first
    params: dict[str, object] = {"key": entry["key"], "kind": entry["kind"], "memo": entry["memo"][:300],
                                 "day": entry["effective_date"], "month": month_of(entry["effective_date"]),
                                 "total": entry["total"], "reverses": entry["reverses_id"], "actor": entry["actor_id"],
                                 "at": utcnow()}
    for n, (acc, debit, credit) in enumerate(lines):
        params |= {f"a{n}": acc if isinstance(acc, int) else acc.id, f"d{n}": debit, f"c{n}": credit}
    if new_transfer is None:
        params["transfer"] = entry["transfer_id"]
    else:
        params |= {f"t_{column}": new_transfer[column] for column in TRANSFER_COLUMNS}
    written = session.execute(_statement(len(lines), new_transfer is not None), params).first()
    if written is None:
        return None
    row = _as_read(Entry(id=written.id, created_at=params["at"],
                         **(entry | {"memo": params["memo"], "transfer_id": written.transfer_id})))
    session.add(row)
    if new_transfer is not None:  # what was just written, in the session as if read back (no SELECT)
        transfer = _as_read(Transfer(id=written.transfer_id, created_at=params["at"], **new_transfer))
        session.add(transfer)
        opens(row, transfer)
    return row


def opens(entry: Entry, transfer: Transfer) -> Entry:
    """``entry.transfer`` is the transfer just written with it (held by the entry, so the session keeps it)."""
    set_committed_value(entry, "transfer", transfer)
    return entry


def _as_read(obj):
    make_transient_to_detached(obj)
    return obj


def write(session: Session, entry: dict[str, Any], lines: Lines) -> Entry:
    """The ORM's way: the entry, then its postings."""
    row = Entry(**(entry | {"memo": entry["memo"][:300]}))
    session.add(row)
    session.flush()
    for acc, debit, credit in lines:
        session.add(Posting(entry_id=row.id, account_id=acc if isinstance(acc, int) else acc.id, debit=debit,
                            credit=credit, effective_date=entry["effective_date"]))
    session.flush()
    return row


@functools.lru_cache(maxsize=64)
def _statement(lines: int, opens_transfer: bool):
    """The statement for an entry of ``lines`` postings (and a transfer it opens), built once. Only line
    numbers go into the text: every value is a bound parameter."""
    rows, binds = [], []
    for n in range(lines):
        rows.append(f"(:a{n}, :d{n}, :c{n})")
        binds += [bindparam(f"a{n}", type_=Integer), bindparam(f"d{n}", type_=Money), bindparam(f"c{n}", type_=Money)]
    open_month = "WHERE NOT EXISTS (SELECT 1 FROM ledger_periods WHERE month = :month)"
    opened, transfer = "", ":transfer"
    if opens_transfer:  # the transfer first, under the same condition; the entry takes its id
        binds += [bindparam(f"t_{column}", type_=kind) for column, kind in TRANSFER_COLUMNS.items()]
        opened = (f"t AS (INSERT INTO ledger_transfers ({', '.join(TRANSFER_COLUMNS)}, created_at) "
                  f"SELECT {', '.join(f':t_{column}' for column in TRANSFER_COLUMNS)}, :at {open_month} RETURNING id), ")
        transfer = "(SELECT id FROM t)"
    binds += [bindparam("day", type_=Date), bindparam("month", type_=Date), bindparam("total", type_=Money),
              bindparam("at", type_=UTCDateTime)] + [bindparam(name, type_=Integer) for name in ("reverses", "actor")]
    binds += [] if opens_transfer else [bindparam("transfer", type_=Integer)]
    sql = (
        f"WITH {opened}e AS (INSERT INTO ledger_entries (key, kind, memo, effective_date, total, reverses_id, "  # noqa: S608
        f"transfer_id, actor_id, created_at) SELECT :key, :kind, :memo, :day, :total, :reverses, {transfer}, :actor, "
        f":at {open_month} RETURNING id, transfer_id), "
        "p AS (INSERT INTO ledger_postings (entry_id, account_id, debit, credit, effective_date) "
        f"SELECT e.id, v.account_id, v.debit, v.credit, :day FROM e, (VALUES {', '.join(rows)}) "
        "AS v (account_id, debit, credit) RETURNING 1) SELECT id, transfer_id FROM e")
    return text(sql).bindparams(*binds)
