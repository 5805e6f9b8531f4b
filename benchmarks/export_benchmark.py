"""Export benchmark: our xlsx builder vs. a raw xlsxwriter ``constant_memory`` baseline, same rows.

    .venv/bin/python benchmarks/export_benchmark.py --rows 1000000

The rows are synthetic journal postings of the shape the trust's *Libro diario* sheet will have (date,
entry number, account code, account name, description, debit, credit — amounts as ``Decimal``): the trust
ledger is built in another package, so this script generates the postings itself, deterministically and
lazily (a generator: the dataset is never held in memory, as a database cursor streaming the ledger would
not be). Both arms consume the same generator code; each runs in its own subprocess so that its peak
memory (``VmHWM``, whole process including Python and imports) and its time are its own. The ratio
is taken on CPU time (``time.process_time``), which a busy machine disturbs far less than wall time;
wall time is printed too.

With ``--source sqlite`` the postings are first loaded into a temporary SQLite database (amounts as
integer céntimos, like the ``Money`` column type) and both arms stream them back with the same SQLAlchemy
query (``yield_per``, ``Money`` → ``Decimal``), as a real *Libro diario* export reads the ledger.

With ``--source ledger`` the rows are the REAL trust ledger: a fresh database (SQLite in a temporary
folder, or PostgreSQL with ``--database postgresql``) is migrated, the trust's chart of accounts is created
through the services, and ``--rows`` postings (default 200,000; ``--rows 1000000`` for the issue's figure)
are inserted directly into ``ledger_entries`` / ``ledger_postings`` in batches — the per-command path
(``ledger.post_entry``: row locks, idempotency keys, audit) would take hours for a million postings and is
benchmarked in benchmarks/trust_ledger.py. Every entry is balanced (one debit, one credit, same amount)
in cycles a real book has: declaration (receivable / income), payment (bank / receivable), execution
(programme expense / bank, half the payment), so no ``no_negative`` account goes below zero; the cached
account balances are then set from the postings, and ``ledger.verify`` is run to prove the book is
consistent. "ours" is the MEF workbook's own *Libro diario* sheet (``portfolio.trust.mef.sheets`` → the
``ledger_query`` streamed with ``req.stream`` → ``write_workbook``); the baseline runs the same query
(``yield_per``) and writes the rows with raw xlsxwriter ``constant_memory``.

Targets (issue 5): our time ≤ 1.3 × the baseline's, our peak memory < 300 MB.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ACCOUNTS = [
    ("1.1.01", "Banco — cuenta del fideicomiso"),
    ("1.1.02", "Fondos reservados para desembolsos"),
    ("1.2.01", "Aportes por cobrar a empresas"),
    ("2.1.01", "Desembolsos por pagar"),
    ("4.1.01", "Aportes de empresas (0.15 % de planilla)"),
    ("5.1.01", "Programas de prevención"),
    ("5.1.02", "Observatorio ciudadano"),
    ("5.1.03", "Equipamiento policial — C4"),
]
HEADERS = ["Fecha", "Asiento", "Cuenta", "Nombre de la cuenta", "Descripción", "Debe", "Haber"]


def postings(count: int):
    """``count`` postings, two per journal entry (debit then credit), amounts with every kind of cents."""
    start = dt.date(2026, 1, 1)
    state = 1234567
    for i in range(0, count, 2):
        state = (state * 1103515245 + 12345) % 2**31
        cents = state % 5_000_000_00 + 1  # up to S/ 5,000,000.00
        amount = Decimal(cents).scaleb(-2)
        entry = i // 2 + 1
        when = start + dt.timedelta(days=(entry // 3000) % 365)
        debit_account = ACCOUNTS[state % len(ACCOUNTS)]
        credit_account = ACCOUNTS[(state // 7 + 1) % len(ACCOUNTS)]
        description = f"Asiento {entry}: aporte de planilla / desembolso programado"
        zero = Decimal("0.00")
        yield (when, entry, debit_account[0], debit_account[1], description, amount, zero)
        if i + 1 < count:
            yield (when, entry, credit_account[0], credit_account[1], description, zero, amount)


def load_sqlite(rows: int, db_path: str) -> None:
    import sqlite3

    from portfolio.money import to_cents

    con = sqlite3.connect(db_path)
    con.execute("CREATE TABLE postings (id INTEGER PRIMARY KEY, posted_on DATE, entry INTEGER, account_code TEXT,"
                " account_name TEXT, description TEXT, debit BIGINT, credit BIGINT)")
    con.executemany("INSERT INTO postings (posted_on, entry, account_code, account_name, description, debit, credit)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)",
                    ((when.isoformat(), entry, code, name, text, to_cents(debit), to_cents(credit))
                     for when, entry, code, name, text, debit, credit in postings(rows)))
    con.commit()
    con.close()


def sqlite_postings(db_path: str):
    """Stream the postings back through SQLAlchemy, céntimos → Decimal by the app's Money type."""
    from sqlalchemy import Column, Date, Integer, MetaData, String, Table, create_engine, select

    from portfolio.db import Money

    table = Table("postings", MetaData(), Column("id", Integer, primary_key=True), Column("posted_on", Date),
                  Column("entry", Integer), Column("account_code", String), Column("account_name", String),
                  Column("description", String), Column("debit", Money), Column("credit", Money))
    engine = create_engine(f"sqlite:///{db_path}")
    query = select(table.c.posted_on, table.c.entry, table.c.account_code, table.c.account_name,
                   table.c.description, table.c.debit, table.c.credit).order_by(table.c.id)
    with engine.connect() as conn:
        yield from conn.execute(query.execution_options(yield_per=2000))
    engine.dispose()


def source_rows(rows: int, db_path: str | None):
    return sqlite_postings(db_path) if db_path else postings(rows)


# --- the real ledger ------------------------------------------------------------------------------

LEDGER_BATCH = 10_000


def ledger_app(url: str):
    from portfolio import create_app

    return create_app({"DATABASE_URL": url, "SECRET_KEY": "b" * 40, "TESTING": True, "DEMO_DATA": False})


def load_ledger(rows: int, url: str) -> None:
    """Migrate a fresh database and fill the real ledger tables with ``rows`` balanced postings."""
    from sqlalchemy import insert, text

    from portfolio import db, migrate
    from portfolio.trust import ledger
    from portfolio.trust.ledger import Account, Entry, Posting
    from portfolio.trust.services.common import BANK_AVAILABLE, CONTRIBUTIONS_INCOME, chart_of_accounts

    migrate.upgrade(url)
    app = ledger_app(url)
    with app.app_context():
        chart_of_accounts()
        receivables = [ledger.get_or_create_account(db.session, f"1200-2060000{i:04d}", f"Aportes por cobrar – Empresa {i}",
                                                    "asset") for i in range(20)]
        expenses = [ledger.get_or_create_account(db.session, f"5100-P{i:02d}", f"Desembolsos – Programa {i}", "expense",
                                                 no_negative=False) for i in range(5)]
        bank, income = ledger.account(db.session, BANK_AVAILABLE), ledger.account(db.session, CONTRIBUTIONS_INCOME)
        db.session.commit()
        entries, postings_ = [], []
        deltas: dict[int, int] = {}  # céntimos on each account's normal side
        first = dt.date(2025, 1, 1)
        entry_id = posting_id = 0
        state, amount = 7654321, 0
        engine = db.session.get_bind()

        def flush():
            with engine.begin() as conn:
                conn.execute(insert(Entry.__table__), entries)
                conn.execute(insert(Posting.__table__), postings_)
            entries.clear()
            postings_.clear()

        while posting_id < rows:
            entry_id += 1
            step = (entry_id - 1) % 3
            receivable = receivables[(entry_id // 3) % len(receivables)]
            if step == 0:
                state = (state * 1103515245 + 12345) % 2**31
                amount = state % 2_000_000_00 + 100  # céntimos, every kind of cents
                debit, credit, kind, value = receivable, income, "declaracion", amount
                memo = f"Declaración de planilla — {receivable.name}"
            elif step == 1:
                debit, credit, kind, value = bank, receivable, "pago", amount
                memo = f"Pago confirmado — {receivable.name}"
            else:
                expense = expenses[entry_id % len(expenses)]
                debit, credit, kind, value = expense, bank, "ejecucion", amount // 2
                memo = f"Ejecución de desembolso — {expense.name}"
            decimal_value = Decimal(value).scaleb(-2)
            when = first + dt.timedelta(days=(entry_id * 670) // max(rows // 2, 1))  # spread over ~22 months
            entries.append({"id": entry_id, "key": f"bench:{entry_id}", "kind": kind, "memo": memo,
                            "effective_date": when, "total": decimal_value})
            for account, is_debit in ((debit, True), (credit, False)):
                posting_id += 1
                postings_.append({"id": posting_id, "entry_id": entry_id, "account_id": account.id,
                                  "debit": decimal_value if is_debit else ZERO, "credit": ZERO if is_debit else decimal_value,
                                  "effective_date": when})
                sign = 1 if (account.type in ledger.DEBIT_NORMAL) == is_debit else -1
                deltas[account.id] = deltas.get(account.id, 0) + sign * value
            if len(postings_) >= LEDGER_BATCH:
                flush()
        if entries:
            flush()
        for account_id, cents in deltas.items():
            db.session.get(Account, account_id).balance = Decimal(cents).scaleb(-2)
        db.session.commit()
        if engine.dialect.name == "postgresql":
            db.session.execute(text("SELECT setval('ledger_entries_id_seq', (SELECT max(id) FROM ledger_entries))"))
            db.session.execute(text("SELECT setval('ledger_postings_id_seq', (SELECT max(id) FROM ledger_postings))"))
            db.session.commit()
        problems = ledger.verify(db.session)
        assert not problems, problems
    app.extensions["portfolio_db"]["engine"].dispose()


ZERO = Decimal("0.00")


def ledger_context(url: str):
    """An app context, an export request and the MEF context with the ledger's whole history up to today."""
    from portfolio import clock
    from portfolio.db import utcnow
    from portfolio.exports.mef import MefContext, MefFilters
    from portfolio.exports.registry import ExportRequest, Viewer, get_export

    app = ledger_app(url)
    context = app.app_context()
    context.push()
    viewer = Viewer(user_id=0, email="benchmark@localhost", name="Benchmark", role="auditor")
    req = ExportRequest(spec=get_export("mef"), viewer=viewer, params={}, generated_at=utcnow())
    return req, MefContext(request=req, filters=MefFilters(cutoff=clock.today()))


def run_ours_ledger(path: str, url: str) -> dict:
    from portfolio.exports.xlsx import write_workbook
    from portfolio.trust import mef as trust_mef

    req, ctx = ledger_context(url)
    journal = next(sheet for sheet in trust_mef.sheets(ctx) if sheet.name == "Libro diario")
    result = write_workbook(path, [journal, req.notes_sheet("Libro diario")])
    totals = result.totals["Libro diario"]
    return {"rows": result.rows["Libro diario"], "debit": str(totals["debit"]), "credit": str(totals["credit"])}


def run_baseline_ledger(path: str, url: str) -> dict:
    import xlsxwriter

    from portfolio import db
    from portfolio.trust import mef as trust_mef

    _req, ctx = ledger_context(url)
    book = xlsxwriter.Workbook(path, {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    sheet = book.add_worksheet("Libro diario")
    date_fmt = book.add_format({"num_format": "dd/mm/yyyy"})
    money_fmt = book.add_format({"num_format": '"S/ "#,##0.00'})
    sheet.write_row(0, 0, HEADERS)
    n = 0
    query = trust_mef.ledger_query(ctx).execution_options(yield_per=2000)
    for n, (when, entry, code, name, description, debit, credit) in enumerate(db.session.execute(query), start=1):
        sheet.write_datetime(n, 0, when, date_fmt)
        sheet.write_number(n, 1, entry)
        sheet.write_string(n, 2, code)
        sheet.write_string(n, 3, name)
        sheet.write_string(n, 4, description)
        sheet.write_number(n, 5, debit, money_fmt)
        sheet.write_number(n, 6, credit, money_fmt)
    book.close()
    return {"rows": n}


def run_ours(rows: int, path: str, db_path: str | None = None) -> dict:
    from portfolio.exports.xlsx import Column, Table, notes_sheet, write_workbook

    columns = [
        Column("date", "Fecha", "date"),
        Column("entry", "Asiento", "int"),
        Column("account", "Cuenta", width=10),
        Column("account_name", "Nombre de la cuenta", width=40),
        Column("description", "Descripción", width=60),
        Column("debit", "Debe", "money", total=True),
        Column("credit", "Haber", "money", total=True),
    ]
    notes = notes_sheet(generated_at=dt.datetime.now(dt.UTC), generated_by="benchmark", title="Libro diario")
    result = write_workbook(path, [Table("Libro diario", columns, source_rows(rows, db_path)), notes])
    totals = result.totals["Libro diario"]
    return {"rows": result.rows["Libro diario"], "debit": str(totals["debit"]), "credit": str(totals["credit"])}


def run_baseline(rows: int, path: str, db_path: str | None = None) -> dict:
    """The plain way: xlsxwriter constant_memory, typed writes, a format per column, nothing else."""
    import xlsxwriter

    book = xlsxwriter.Workbook(path, {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    sheet = book.add_worksheet("Libro diario")
    date_fmt = book.add_format({"num_format": "dd/mm/yyyy"})
    money_fmt = book.add_format({"num_format": '"S/ "#,##0.00'})
    sheet.write_row(0, 0, HEADERS)
    n = 0
    for n, (when, entry, code, name, description, debit, credit) in enumerate(source_rows(rows, db_path), start=1):
        sheet.write_datetime(n, 0, when, date_fmt)
        sheet.write_number(n, 1, entry)
        sheet.write_string(n, 2, code)
        sheet.write_string(n, 3, name)
        sheet.write_string(n, 4, description)
        sheet.write_number(n, 5, debit, money_fmt)
        sheet.write_number(n, 6, credit, money_fmt)
    book.close()
    return {"rows": n}


def peak_rss_kb() -> int:
    """This process's peak resident memory in kB: VmHWM (reset by exec, so it is the child's own), or
    ru_maxrss where /proc is missing. ru_maxrss alone would not do on Linux: it survives fork + exec, so a
    child would report its parent's peak (the parent that loaded a million postings)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def child(arm: str, rows: int, db_path: str | None) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import xlsxwriter  # noqa: F401  (imports are outside the timed part for both arms)

    import portfolio.exports.xlsx  # noqa: F401  (both arms: the Money type lives in the package)
    if db_path:
        import sqlalchemy  # noqa: F401
    ledger = db_path is not None and "://" in db_path  # a database URL: the real ledger
    if ledger:
        import portfolio  # noqa: F401
        import portfolio.trust.mef  # noqa: F401
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, f"{arm}.xlsx")
        started, cpu_started = time.perf_counter(), time.process_time()
        if ledger:
            info = run_ours_ledger(path, db_path) if arm == "ours" else run_baseline_ledger(path, db_path)
        else:
            info = run_ours(rows, path, db_path) if arm == "ours" else run_baseline(rows, path, db_path)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        size = os.path.getsize(path)
    peak_kb = peak_rss_kb()
    print(json.dumps({"arm": arm, "seconds": seconds, "cpu": cpu, "peak_mb": peak_kb / 1024, "size_mb": size / 2**20, **info}))


def measure(arm: str, rows: int, db_path: str | None) -> dict:
    command = [sys.executable, __file__, "--child", arm, "--rows", str(rows)]
    if db_path:
        command += ["--db", db_path]
    out = subprocess.run(command, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=None,
                        help="postings to write (default 100,000; 200,000 with --source ledger; issue target: 1000000)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="runs per arm, interleaved; the run with the least CPU time of each is compared")
    parser.add_argument("--source", choices=["generator", "sqlite", "ledger"], default="generator",
                        help="rows from a generator, loaded into SQLite first and streamed back, or the real "
                             "trust ledger tables (the MEF workbook's Libro diario)")
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite",
                        help="with --source ledger: where the ledger lives (postgresql: a throw-away database "
                             "on the test server, see tests/conftest.py)")
    parser.add_argument("--child", choices=["ours", "baseline"], help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--load-ledger", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.rows is None:
        args.rows = 200_000 if args.source == "ledger" else 100_000
    if args.child:
        child(args.child, args.rows, args.db)
        return
    if args.load_ledger:
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
        load_ledger(args.rows, args.load_ledger)
        return
    with tempfile.TemporaryDirectory() as tmp:
        db_path = None
        if args.source == "ledger":
            sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
            drop = None
            if args.database == "postgresql":
                from tests.conftest import create_pg_database, drop_pg_database

                db_path = create_pg_database("export_bench")
                drop = lambda: drop_pg_database(db_path)  # noqa: E731
            else:
                db_path = f"sqlite:///{os.path.join(tmp, 'ledger.db')}"
            try:
                started = time.perf_counter()
                # in a subprocess, so that this parent stays small (its children are the measured arms)
                subprocess.run([sys.executable, __file__, "--load-ledger", db_path, "--rows", str(args.rows)], check=True)
                print(f"loaded {args.rows:,} postings into the real ledger tables ({args.database}) "
                      f"in {time.perf_counter() - started:.1f} s; ledger.verify: OK")
                report(args, db_path)
            finally:
                if drop:
                    drop()
            return
        if args.source == "sqlite":
            sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
            db_path = os.path.join(tmp, "ledger.db")
            started = time.perf_counter()
            load_sqlite(args.rows, db_path)
            print(f"loaded {args.rows:,} postings into SQLite in {time.perf_counter() - started:.1f} s")
        report(args, db_path)


def report(args, db_path: str | None) -> None:
    best: dict[str, dict] = {}
    for _ in range(args.repeat):
        for arm in ("baseline", "ours"):
            result = measure(arm, args.rows, db_path)
            if arm not in best or result["cpu"] < best[arm]["cpu"]:
                best[arm] = result
    base, ours = best["baseline"], best["ours"]
    origin = "the real trust ledger tables" if args.source == "ledger" else f"synthetic rows from {args.source}"
    print(f"postings: {args.rows:,} (Libro diario rows from {origin}; best of {args.repeat})")
    print(f"{'':10} {'CPU (s)':>9} {'wall (s)':>9} {'peak RSS (MB)':>14} {'file (MB)':>10}")
    for label, r in (("baseline", base), ("ours", ours)):
        print(f"{label:10} {r['cpu']:9.2f} {r['seconds']:9.2f} {r['peak_mb']:14.1f} {r['size_mb']:10.1f}")
    ratio = ours["cpu"] / base["cpu"]
    wall = ours["seconds"] / base["seconds"]
    print(f"time ratio ours/baseline: {ratio:.3f} CPU, {wall:.3f} wall (target ≤ 1.30) — "
          f"{'OK' if ratio <= 1.3 else 'OVER'}")
    print(f"peak memory ours: {ours['peak_mb']:.1f} MB (target < 300) — {'OK' if ours['peak_mb'] < 300 else 'OVER'}")
    print(f"totals written by ours (exact Decimal): debit S/ {Decimal(ours['debit']):,.2f}, "
          f"credit S/ {Decimal(ours['credit']):,.2f}")


if __name__ == "__main__":
    main()
