"""Export benchmark: our xlsx builder vs. a raw xlsxwriter ``constant_memory`` baseline, same rows.

    .venv/bin/python benchmarks/export_benchmark.py --rows 1000000

The rows are synthetic journal postings of the shape the trust's *Libro diario* sheet will have (date,
entry number, account code, account name, description, debit, credit — amounts as ``Decimal``): the trust
ledger is built in another package, so this script generates the postings itself, deterministically and
lazily (a generator: the dataset is never held in memory, as a database cursor streaming the ledger would
not be). Both arms consume the same generator code; each runs in its own subprocess so that its peak
memory (``ru_maxrss``, whole process including Python and imports) and its time are its own. The ratio
is taken on CPU time (``time.process_time``), which a busy machine disturbs far less than wall time;
wall time is printed too.

With ``--source sqlite`` the postings are first loaded into a temporary SQLite database (amounts as
integer céntimos, like the ``Money`` column type) and both arms stream them back with the same SQLAlchemy
query (``yield_per``, ``Money`` → ``Decimal``), as a real *Libro diario* export reads the ledger.

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


def child(arm: str, rows: int, db_path: str | None) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import xlsxwriter  # noqa: F401  (imports are outside the timed part for both arms)

    import portfolio.exports.xlsx  # noqa: F401  (both arms: the Money type lives in the package)
    if db_path:
        import sqlalchemy  # noqa: F401
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, f"{arm}.xlsx")
        started, cpu_started = time.perf_counter(), time.process_time()
        info = run_ours(rows, path, db_path) if arm == "ours" else run_baseline(rows, path, db_path)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        size = os.path.getsize(path)
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux
    print(json.dumps({"arm": arm, "seconds": seconds, "cpu": cpu, "peak_mb": peak_kb / 1024, "size_mb": size / 2**20, **info}))


def measure(arm: str, rows: int, db_path: str | None) -> dict:
    command = [sys.executable, __file__, "--child", arm, "--rows", str(rows)]
    if db_path:
        command += ["--db", db_path]
    out = subprocess.run(command, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="postings to write (issue target: 1000000)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="runs per arm, interleaved; the run with the least CPU time of each is compared")
    parser.add_argument("--source", choices=["generator", "sqlite"], default="generator",
                        help="rows from a generator, or loaded into SQLite first and streamed back")
    parser.add_argument("--child", choices=["ours", "baseline"], help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.rows, args.db)
        return
    with tempfile.TemporaryDirectory() as tmp:
        db_path = None
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
    print(f"postings: {args.rows:,} (synthetic Libro diario rows from {args.source}; best of {args.repeat})")
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
