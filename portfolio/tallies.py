"""Totals the database keeps for the long lists, so a list's count and sums read a few rows instead of scanning
every row: the trust's contributions and disbursements (migration 0025) and the projects by stage (0026).

A trigger appends a signed row to the tally table on every insert, change and delete of a counted row (−1 and
the old amounts, +1 and the new), so concurrent commands never wait on a totals row. ``read`` adds the tallies
up; once more than ``COMPACT_AFTER`` appended rows are waiting, the read that saw them folds them into one
compacted row per key (``compact``), so the sums read a number of rows that grows with the keys, not with the
changes; after a bulk load's fold, ``shrink`` gives the table's emptied pages back, so the reads scan few pages.
``problems`` (for ``ledger verify``) recomputes every key from the counted rows themselves.
"""
from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, case, delete, false, func, insert, select, text
from sqlalchemy.exc import DBAPIError

from portfolio import db
from portfolio.money import money_sum
from portfolio.read_cache import kept_rows

log = logging.getLogger(__name__)

COMPACT_AFTER = 1000  # tally rows appended since the last compaction that make the next read fold them
SHRINK_AFTER = 10 * COMPACT_AFTER  # a fold this large follows a bulk load: give the table's pages back (``shrink``)
SHRINK_LOCK_TIMEOUT = "100ms"  # how long ``shrink`` waits for the table's lock before it gives up


@dataclass(frozen=True)
class Tally:
    """One tally table: its model, the key columns, the summed columns (``row_count`` first), what it counts
    (Spanish, for ``ledger verify``) and ``recount``, each key's sums computed from the counted rows."""

    model: Any
    keys: tuple[str, ...]
    sums: tuple[str, ...]
    label: str
    recount: Callable[[], Select]


def read(tally: Tally, *columns, where: tuple = ()) -> tuple:
    """``columns`` (sums over ``tally.model``) for the tally rows matching ``where``, from the kept results when
    the data has not changed; a fresh read with too many rows waiting folds them afterwards."""
    return tuple(_read(tally, select(*columns, _waiting(tally)).where(*where))[0][:-1])


def grouped(tally: Tally, key: str, *columns, where: tuple = ()) -> list[tuple]:
    """``(key, *columns)`` per value of one key column, for the tally rows matching ``where`` (as ``read``)."""
    column = getattr(tally.model, key)
    return [row[:-1] for row in _read(tally, select(column, *columns, _waiting(tally)).where(*where).group_by(column))]


def _waiting(tally: Tally):
    """The tally rows appended since the last compaction (every read carries it as its last column)."""
    return select(func.coalesce(func.sum(case((tally.model.compacted == false(), 1), else_=0)), 0)).scalar_subquery()


def _read(tally: Tally, statement: Select) -> list[tuple]:
    return kept_rows(statement, computed=_compact_when_due(tally))


def _compact_when_due(tally: Tally):
    """Called with the sums just read from the database (their last column: the tallies waiting to be folded),
    not with sums that were kept: fold them when there are more than ``COMPACT_AFTER``."""

    def check(rows: list[tuple]) -> None:
        if rows and rows[0][-1] > COMPACT_AFTER:
            try:
                if compact(tally) > SHRINK_AFTER:
                    engine = db.session.get_bind().engine
                    db.when_transaction_ends(lambda: shrink(tally, engine))
            except DBAPIError as exc:  # busy or cut off: the sums just read stay right; the next read retries
                log.warning("No se compactaron los totales de %s: %s", tally.model.__tablename__, exc.orig)

    return check


def compact(tally: Tally) -> int:
    """Fold the tally rows into one compacted row per key, in a transaction of its own (committed at once,
    whatever the request does next). Returns the rows folded; 0 when another process is compacting.

    The rows folded are exactly those the ``DELETE`` removed (``RETURNING``); rows that concurrent commands
    append meanwhile are not seen and stay for the next compaction, so no tally is lost or counted twice."""
    keys, sums = tally.keys, tally.sums
    table = tally.model.__table__
    engine = db.session.get_bind().engine
    with engine.connect() as conn:
        postgresql = conn.dialect.name == "postgresql"
        if not postgresql:  # take SQLite's write lock at BEGIN, waiting briefly: a read never queues for long
            conn = conn.execution_options(sqlite_begin="IMMEDIATE")
            conn.connection.driver_connection.execute("PRAGMA busy_timeout=200")
        try:
            with conn.begin():
                if postgresql and not conn.scalar(text("SELECT pg_try_advisory_xact_lock(hashtext(:t))"),
                                                  {"t": table.name}):
                    return 0
                gone = conn.execute(delete(table).returning(*(table.c[k] for k in keys + sums))).all()
                folded: dict[tuple, list[int]] = defaultdict(lambda: [0] * len(sums))
                for row in gone:
                    total = folded[tuple(row[:len(keys)])]
                    for i, value in enumerate(row[len(keys):]):
                        total[i] += value
                rows = [dict(zip(keys + sums, key + tuple(total), strict=True), compacted=True)
                        for key, total in folded.items() if any(total)]
                if rows:
                    conn.execute(insert(table), rows)
        finally:
            if not postgresql:
                conn.connection.driver_connection.execute("PRAGMA busy_timeout=10000")
    return len(gone)


def shrink(tally: Tally, engine) -> bool:
    """Give back the pages a large fold left behind (PostgreSQL): the folded rows stay in the table's pages,
    dead, and the compacted rows were written past them, at its end, so until the table is rewritten every
    read of the tally scans all of them. ``VACUUM FULL`` rewrites the few live rows into a new file. It locks
    the table while it copies them (milliseconds for a tally's few hundred rows), so it waits at most
    ``SHRINK_LOCK_TIMEOUT`` for the lock (commands and reads wait behind it only as long) and else gives up
    until the next large fold; run it only when no transaction of this process holds the table
    (``db.when_transaction_ends``). True when it ran. SQLite needs none of this: its deleted pages go back to
    the file's free list, and a scan reads only the pages in use."""
    if engine.dialect.name != "postgresql":
        return False
    table = tally.model.__tablename__  # a table name of ours, not input
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f"SET lock_timeout = '{SHRINK_LOCK_TIMEOUT}'"))
            try:
                conn.execute(text(f"VACUUM FULL {table}"))
            finally:
                if not conn.invalidated:
                    conn.execute(text("RESET lock_timeout"))
    except DBAPIError as exc:  # the lock was busy or the server away: the reads stay right, only longer
        log.warning("No se redujo la tabla de totales %s: %s", table, exc.orig)
        return False
    return True


def problems(tally: Tally) -> list[str]:
    """Keys whose tallies do not add up to the counted rows, in Spanish."""
    model, keys, sums = tally.model, tally.keys, tally.sums
    key_columns = [getattr(model, k) for k in keys]
    kept = {tuple(row[:len(keys)]): tuple(row[len(keys):]) for row in db.session.execute(
        select(*key_columns, func.sum(model.row_count), *(money_sum(getattr(model, s)) for s in sums[1:]))
        .group_by(*key_columns))}
    actual = {tuple(row[:len(keys)]): tuple(row[len(keys):]) for row in db.session.execute(tally.recount())}
    out = []
    for key in sorted(set(kept) | set(actual), key=str):
        have, want = kept.get(key, (0,) * len(sums)), actual.get(key, (0,) * len(sums))
        if tuple(have) != tuple(want):
            out.append(f"Totales de {tally.label} {' · '.join(map(str, key))}: guardados {have} ≠ recalculados {want}.")
    return out
