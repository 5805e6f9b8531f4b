"""Statements against the size of the ledger: the same month at 10,000 and at 1,000,000 postings.

    .venv/bin/python benchmarks/statements.py [--database sqlite|postgresql|both] [--sizes 10000,1000000]

For each size a fresh database is migrated and filled with balanced postings (PostgreSQL: ``COPY``, with
the row triggers off for the load; SQLite: ``executemany`` with them dropped and created again): the measured month (06/2026, up to the 20th)
holds the same 3,000 postings at every size, the rest of the ledger is history spread over the months
before it. The period balances are then loaded from the postings (``ledger.load_period_balances``, what
the migration's backfill does), the cached balances set, and ``ledger verify`` must find the book clean.

Timed (median of ``--repeat`` rounds, ms; each round runs every action on every size in turn, so a change
in the machine's load falls on every size alike): the trust statement and a company statement of 01–20/06/2026,
``balance_on`` of the bank accounts on 20/06/2026 and on the month's last day (the bank reconciliation's
date) — and, for comparison, the bank balance summed over every posting up to the date (how ``balance_on``
worked before the period balances). Each figure is printed with its ratio to the smallest size (target:
≤ 1.2 × for the statements) and the load average; only ratios within one run mean something.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

MONTH = dt.date(2026, 6, 1)
TODAY = dt.date(2026, 6, 20)
IN_MONTH = 3000          # postings in the measured month, whatever the size
HISTORY_START = dt.date(2012, 1, 1)


def database(kind: str, size: int):
    if kind == "postgresql":
        from tests.conftest import create_pg_database, drop_pg_database

        url = create_pg_database(f"bench_statements_{size}")
        return url, lambda: drop_pg_database(url)
    return f"sqlite:///{tempfile.mkdtemp()}/statements.db", lambda: None


def rows(size: int, accounts: dict):
    """(entries, postings) as tuples: cycles of declaration, payment, execution (half the payment)."""
    history = size - IN_MONTH
    span = (MONTH - HISTORY_START).days
    entries, postings = [], []
    state, amount, entry_id, posting_id = 7654321, 0, 0, 0
    while posting_id < size:
        entry_id += 1
        step = (entry_id - 1) % 3
        receivable = accounts["receivables"][(entry_id // 3) % len(accounts["receivables"])]
        if step == 0:
            state = (state * 1103515245 + 12345) % 2**31
            amount = state % 2_000_000_00 + 100
            debit, credit, kind, value = receivable, accounts["income"], "declaracion", amount
        elif step == 1:
            debit, credit, kind, value = accounts["bank"], receivable, "pago", amount
        else:
            debit, credit, kind, value = accounts["expenses"][entry_id % 5], accounts["bank"], "ejecucion", amount // 2
        if posting_id < history:
            when = HISTORY_START + dt.timedelta(days=posting_id * span // max(history, 1))
        else:
            when = MONTH + dt.timedelta(days=(posting_id - history) * 19 // IN_MONTH)
        entries.append((entry_id, f"bench:{entry_id}", kind, f"Movimiento {kind} {entry_id}", when, value))
        posting_id += 1
        postings.append((posting_id, entry_id, debit, value, 0))
        posting_id += 1
        postings.append((posting_id, entry_id, credit, 0, value))
    return entries, postings


def load(url: str, size: int) -> dict:
    from sqlalchemy import func, select, text

    from portfolio import create_app, db, migrate, seeding
    from portfolio.trust import ledger
    from portfolio.trust.services.common import (
        BANK_AVAILABLE,
        CONTRIBUTIONS_INCOME,
        chart_of_accounts,
        company_receivable,
    )
    from tests.trust.conftest import make_company

    migrate.upgrade(url)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "b" * 40, "TESTING": True, "DEMO_DATA": False})
    with app.app_context():
        seeding.load_reference()
        chart_of_accounts()
        companies = [make_company(f"Empresa de carga {i} S.A.C.") for i in range(20)]
        receivables = [company_receivable(c).id for c in companies]
        expenses = [ledger.get_or_create_account(db.session, f"5100-P{i:02d}", f"Desembolsos – Programa {i}", "expense",
                                                 no_negative=False).id for i in range(5)]
        accounts = {"receivables": receivables, "expenses": expenses,
                    "bank": ledger.account(db.session, BANK_AVAILABLE).id,
                    "income": ledger.account(db.session, CONTRIBUTIONS_INCOME).id}
        db.session.commit()
        entries, postings = rows(size, accounts)
        start = time.perf_counter()
        engine = db.session.get_bind()
        dates = {e[0]: e[4] for e in entries}  # each posting carries its entry's date (migration 0021)
        postings = [(*p, dates[p[1]]) for p in postings]
        if engine.dialect.name == "postgresql":
            raw = engine.raw_connection()
            try:
                with raw.cursor() as cur:
                    cur.execute("SET session_replication_role = replica")  # row triggers off for the bulk load
                    with cur.copy("COPY ledger_entries (id, key, kind, memo, effective_date, total, created_at) "
                                  "FROM STDIN") as copy:
                        for e in entries:
                            copy.write_row((*e, "2026-06-20 12:00:00+00"))
                    with cur.copy("COPY ledger_postings (id, entry_id, account_id, debit, credit, effective_date) "
                                  "FROM STDIN") as copy:
                        for p in postings:
                            copy.write_row(p)
                    cur.execute("SET session_replication_role = origin")
                    cur.execute("SELECT setval('ledger_entries_id_seq', (SELECT max(id) FROM ledger_entries))")
                    cur.execute("SELECT setval('ledger_postings_id_seq', (SELECT max(id) FROM ledger_postings))")
                raw.commit()
            finally:
                raw.close()
        else:
            raw = engine.raw_connection()
            try:  # the row triggers are dropped for the load and created again from their own SQL
                triggers = raw.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                                       "AND tbl_name IN ('ledger_entries', 'ledger_postings')").fetchall()
                for name, _sql in triggers:
                    raw.execute(f'DROP TRIGGER "{name}"')
                raw.executemany("INSERT INTO ledger_entries (id, key, kind, memo, effective_date, total, created_at) "
                                "VALUES (?, ?, ?, ?, ?, ?, '2026-06-20 12:00:00.000000')",
                                [(*e[:4], e[4].isoformat(), e[5]) for e in entries])
                raw.executemany("INSERT INTO ledger_postings (id, entry_id, account_id, debit, credit, effective_date) "
                                "VALUES (?, ?, ?, ?, ?, ?)", [(*p[:5], p[5].isoformat()) for p in postings])
                for _name, sql in triggers:
                    raw.execute(sql)
                raw.commit()
            finally:
                raw.close()
        del entries, postings
        loaded = time.perf_counter() - start
        start = time.perf_counter()
        ledger.load_period_balances(db.session)
        for account_id, debit, credit in db.session.execute(
                select(ledger.PeriodBalance.account_id, ledger.money_sum(ledger.PeriodBalance.debit),
                       ledger.money_sum(ledger.PeriodBalance.credit)).group_by(ledger.PeriodBalance.account_id)).all():
            acc = db.session.get(ledger.Account, account_id)
            acc.balance = debit - credit if acc.type in ledger.DEBIT_NORMAL else credit - debit
        db.session.commit()
        backfill = time.perf_counter() - start
        db.session.execute(text("ANALYZE"))
        db.session.commit()
        start = time.perf_counter()
        problems = ledger.verify(db.session)
        verify_s = time.perf_counter() - start
        assert not problems, problems[:5]
        count = db.session.scalar(select(func.count(ledger.Posting.id)))
        in_month = db.session.scalar(select(func.count(ledger.Posting.id)).join(ledger.Entry).where(
            ledger.Entry.effective_date >= MONTH))
        print(f"  {count:>9,} asientos-movimientos ({in_month:,} en 06/2026): carga {loaded:.1f} s, "
              f"saldos por periodo {backfill:.1f} s, ledger verify {verify_s:.1f} s (conforme)", flush=True)
    app.extensions["portfolio_db"]["engine"].dispose()
    return {"company": companies[0].id, "bank": accounts["bank"]}


def checks_for(url: str, ids: dict):
    """An app context pushed on ``url`` and the timed actions (the app context stays pushed)."""
    from sqlalchemy import select

    from portfolio import create_app, db
    from portfolio.orgs.models import Company
    from portfolio.trust import ledger
    from portfolio.trust.services import books

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "b" * 40, "TESTING": True, "DEMO_DATA": False})
    context = app.app_context()
    context.push()

    def summed_over_every_posting(account_ids, day):  # balance_on before the period balances
        return db.session.execute(
            select(ledger.money_sum(ledger.Posting.debit - ledger.Posting.credit))
            .join(ledger.Entry, ledger.Entry.id == ledger.Posting.entry_id)
            .where(ledger.Posting.account_id.in_(account_ids), ledger.Entry.effective_date <= day)).scalar_one()

    company = db.session.get(Company, ids["company"])
    bank_ids = books.bank_account_ids()
    end_of_month = dt.date(2026, 6, 30)
    assert books.trust_statement(MONTH, TODAY)["ties"] and books.company_statement(company, MONTH, TODAY)["ties"]
    assert ledger.balance_on(db.session, bank_ids, TODAY) == summed_over_every_posting(bank_ids, TODAY)
    db.session.rollback()
    context.pop()
    return app, {
        "estado de cuenta del fideicomiso": lambda: books.trust_statement(MONTH, TODAY),
        "estado de cuenta de una empresa": lambda: books.company_statement(db.session.get(Company, ids["company"]),
                                                                           MONTH, TODAY),
        "balance_on banco (20/06)": lambda: ledger.balance_on(db.session, bank_ids, TODAY),
        "balance_on banco (fin de mes)": lambda: ledger.balance_on(db.session, bank_ids, end_of_month),
        "antes: suma de todo movimiento (20/06)": lambda: summed_over_every_posting(bank_ids, TODAY),
    }


def measure(targets: dict, repeat: int) -> dict[int, dict[str, float]]:
    """Every size's every action in turn, ``repeat`` rounds (so a change in the machine's load hits every
    size alike); the median per size and action, in ms."""
    from portfolio import db

    samples: dict[int, dict[str, list[float]]] = {size: {} for size in targets}
    for round_ in range(repeat + 1):
        for size, (app, actions) in targets.items():
            with app.app_context():
                for name, action in actions.items():
                    start = time.perf_counter()
                    action()
                    elapsed = (time.perf_counter() - start) * 1000
                    db.session.rollback()
                    if round_:  # the first round warms the caches and the plans
                        samples[size].setdefault(name, []).append(elapsed)
    return {size: {name: statistics.median(v) for name, v in by.items()} for size, by in samples.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="both", choices=["sqlite", "postgresql", "both"])
    parser.add_argument("--sizes", default="10000,1000000")
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    kinds = ["postgresql", "sqlite"] if args.database == "both" else [args.database]
    for kind in kinds:
        print(f"{kind}:", flush=True)
        targets, cleanups = {}, []
        try:
            for size in sizes:
                url, cleanup = database(kind, size)
                cleanups.append(cleanup)
                targets[size] = checks_for(url, load(url, size))
            results = measure(targets, args.repeat)
        finally:
            for app, _actions in targets.values():
                app.extensions["portfolio_db"]["engine"].dispose()
            for cleanup in cleanups:
                cleanup()
        base = sizes[0]
        print(f"  {'':<40}" + "".join(f"{s:>12,}" for s in sizes) + "   razón (carga: " + " ".join(
            f"{v:.1f}" for v in os.getloadavg()) + ")")
        for name in results[base]:
            figures = "".join(f"{results[s][name]:>9.2f} ms" for s in sizes)
            ratio = results[sizes[-1]][name] / results[base][name]
            target = "" if name.startswith("antes") else ("  ✓ ≤ 1.2" if ratio <= 1.2 else "  ✗ > 1.2")
            print(f"  {name:<40}{figures}   ×{ratio:.2f}{target}", flush=True)


if __name__ == "__main__":
    main()
