# ruff: noqa: B023  (each closure runs at once in its worker)
"""Money commands under concurrency on PostgreSQL: commands per second, p50/p95, overdrafts, duplicates.

    .venv/bin/python benchmarks/money.py [--processes 4] [--threads 5] [--companies 50] [--months 20]

A fresh PostgreSQL database is migrated and given one program, one beneficiary, a board of three, a
trustee and ``--companies`` companies. Then each phase runs ``processes × threads`` workers (each its own
connection, app context and commit per command, as gunicorn workers would), released together by a
barrier; every worker runs its share of the phase's commands through the real services:

1. declare: each company declares ``--months`` months (the goal's *declare*);
2. register the payment of each declaration (a company command, not one of the goal's four);
3. confirm each payment (the trustee's *confirm payment*: bank ← receivable);
4. request a disbursement per payment and give it the board's first approval;
5. second approval, which reaches the quorum and reserves the funds (the goal's *vote that reserves*);
6. execute each disbursement in one tranche (the goal's *execute a tranche*).

In phases 1, 3, 5 and 6 one command in ten is sent twice at the same moment with the same idempotency
key by another worker (a client retry): it must be answered as a replay, never posted twice. Printed per
phase: commands/s over the phase's wall time, the SQL statements one command sends (mean; the commit not
counted), p50 and p95 latency of a command (start to commit), refusals and errors, the load average, and
how long a command holds the row lock of the first ledger account it locks (from the statement that locks
it to the end of the commit), with the ceiling that puts on a hot row (1 / mean hold: the bank and reserved-funds accounts take every confirmation, approval and
execution), and the CPU one command costs in the workers and in their PostgreSQL backends (read from /proc
when the server runs on this host), with the ceiling the machine's cores put on it (cores / CPU per
command: client and server share them here). On a shared machine the ceilings are the figures to compare
between versions. At the end ``ledger verify`` and the domain checks must be clean,
no account that forbids it is negative (overdrafts) and every kind of entry counts exactly one per
command (duplicates). Goal (issue 17): ≥ 200 commands/s each, p95 ≤ 250 ms, 0 overdrafts, 0 duplicates.
"""
from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing as mp
import os
import statistics
import sys
import threading
import time
import uuid
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TODAY = dt.date(2026, 6, 20)
GOAL = {"declarar", "confirmar pago", "votar (reserva fondos)", "ejecutar tramo"}


def app_for(url: str, pool: int):
    from sqlalchemy.orm import sessionmaker

    from portfolio import create_app
    from portfolio.db import make_engine

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "b" * 40, "TESTING": True, "DEMO_DATA": False,
                      "PASSWORD_HASH_PROFILE": "fast"})
    engine = make_engine(url, pool_size=pool + 2, max_overflow=2)
    app.extensions["portfolio_db"]["engine"].dispose()
    app.extensions["portfolio_db"].update(engine=engine, sessionmaker=sessionmaker(bind=engine, expire_on_commit=False))
    return app


def command_for(phase: str, item: tuple, people: dict):
    """The service call of one work item (ids only: each worker loads what it needs in its own session)."""
    from portfolio import db
    from portfolio.auth.models import User
    from portfolio.trust.services import contributions, disbursements

    kind, key = item[0], item[-1]
    if phase == "declarar":
        _, company_id, user_id, month, _k = item
        return lambda: contributions.declare(company_id=company_id, month=month, payroll=Decimal("2500000.00"),
                                             headcount=100, actor=db.session.get(User, user_id), key=key, today=TODAY)
    if phase == "registrar pago":
        _, contribution_id, user_id, amount, _k = item
        return lambda: contributions.register_payment(
            contribution_id=contribution_id, amount=amount, paid_on=TODAY, bank="BCP",
            operation_number=key[:20].upper(), actor=db.session.get(User, user_id), key=key, today=TODAY)
    if phase == "confirmar pago":
        return lambda: contributions.confirm_payment(payment_id=item[1], actor=db.session.get(User, people["trustee"]),
                                                     key=key, today=TODAY)
    if phase == "solicitar y 1.er voto":
        def both():
            d = disbursements.request(program_id=people["program"], organization_id=people["org"], year=TODAY.year,
                                      amount=Decimal("1000.00"), purpose="Equipamiento",
                                      invoices=[("20131312955", "F001", str(item[1]))],
                                      actor=db.session.get(User, people["staff"]), key=key, today=TODAY).value
            return disbursements.vote(disbursement_id=d.id, decision="aprobar", comment="Conforme",
                                      actor=db.session.get(User, people["board"][0]), key=key + ":v1", today=TODAY)
        return both
    if phase == "votar (reserva fondos)":
        return lambda: disbursements.vote(disbursement_id=item[1], decision="aprobar", comment="Conforme",
                                          actor=db.session.get(User, people["board"][1]), key=key, today=TODAY)
    if phase == "ejecutar tramo":
        return lambda: disbursements.execute(disbursement_id=item[1], amount=Decimal("1000.00"), reference="TRF-001",
                                             actor=db.session.get(User, people["trustee"]), key=key, today=TODAY)
    raise ValueError(kind)


def worker_process(url, phase, shares, people, threads, barrier, out):
    from sqlalchemy import event

    from portfolio import db
    from portfolio.errors import DomainError

    app = app_for(url, threads)
    latencies, refused, errors, replays, held, sent = [], [], [], 0, [], []
    lock = threading.Lock()

    def note_lock(conn, _cursor, statement, *_args):  # after the statement: the lock is held
        conn.info["statements"] = conn.info.get("statements", 0) + 1  # every statement the command sends
        # when the command first locks an account row (SELECT … FOR [NO KEY] UPDATE or UPDATE of the balance)
        # (on PostgreSQL the balance changes are one WITH … UPDATE ledger_accounts … statement)
        if "ledger_accounts" in statement and ("FOR UPDATE" in statement or "FOR NO KEY UPDATE" in statement
                                               or "UPDATE ledger_accounts" in statement):
            conn.info.setdefault("account_lock", time.perf_counter())

    event.listen(app.extensions["portfolio_db"]["engine"], "after_cursor_execute", note_lock)

    backends: set[int] = set()  # every connection this process opens (a command may take any of the pool's)
    event.listen(app.extensions["portfolio_db"]["engine"], "connect",
                 lambda dbapi_connection, _record: backends.add(dbapi_connection.info.backend_pid))
    holding = []

    def worker(items, ready):
        nonlocal replays
        with app.app_context():
            db.session.connection()  # hold a connection before the start line
            with lock:
                holding.append(True)
            ready.wait()
            for item in items:
                action = command_for(phase, item, people)
                start = time.perf_counter()
                try:
                    done = action()
                    locked_at = db.session.connection().info.pop("account_lock", None)
                    statements = db.session.connection().info.pop("statements", 0)
                    db.session.commit()
                    end = time.perf_counter()
                    with lock:
                        latencies.append(end - start)
                        sent.append(statements)
                        if locked_at is not None:
                            held.append(end - locked_at)
                        replays += bool(getattr(done, "replayed", False))
                except DomainError as exc:
                    db.session.connection().info.pop("account_lock", None)
                    db.session.connection().info.pop("statements", None)
                    db.session.rollback()
                    with lock:
                        refused.append(exc.message)
                except Exception as exc:  # noqa: BLE001 - counted and printed
                    db.session.rollback()
                    db.session.connection().info.pop("account_lock", None)
                    db.session.connection().info.pop("statements", None)
                    with lock:
                        errors.append(repr(exc)[:200])
            db.session.remove()

    ready = threading.Event()
    pool = [threading.Thread(target=worker, args=(share, ready)) for share in shares]
    for t in pool:
        t.start()
    while len(holding) < len(pool):
        time.sleep(0.01)
    barrier.wait()
    cpu, server_cpu = time.process_time(), backend_cpu(backends)
    started = time.time()
    ready.set()
    for t in pool:
        t.join()
    out.put({"latencies": latencies, "held": held, "statements": sent, "refused": refused, "errors": errors, "replays": replays,
             "started": started, "ended": time.time(), "cpu": time.process_time() - cpu,
             "server_cpu": sum(t - server_cpu.get(pid, 0.0) for pid, t in backend_cpu(backends).items())})
    app.extensions["portfolio_db"]["engine"].dispose()


def backend_cpu(pids: set[int]) -> dict[int, float]:
    """CPU seconds (user + system) so far of each of these PostgreSQL backends, from /proc (a server on this
    host); NaN for one that cannot be read."""
    seconds = {}
    for pid in sorted(pids):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            seconds[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except OSError:
            seconds[pid] = float("nan")
    return seconds


def run_phase(url, phase, items, people, processes, threads, duplicate_every=None):
    workers = processes * threads
    shares = [[] for _ in range(workers)]
    for i, item in enumerate(items):
        shares[i % workers].append(item)
        if duplicate_every and i % duplicate_every == 0:  # the same command, same key, in the next worker's queue
            shares[(i + 1) % workers].insert(len(shares[i % workers]) - 1, item)
    context = mp.get_context("fork")
    barrier, out = context.Barrier(processes), context.Queue()
    procs = [context.Process(target=worker_process, args=(url, phase, shares[p::processes], people, threads, barrier, out))
             for p in range(processes)]
    for p in procs:
        p.start()
    results = [out.get(timeout=900) for _ in procs]
    for p in procs:
        p.join()
    latencies = sorted(x for r in results for x in r["latencies"])
    wall = max(r["ended"] for r in results) - min(r["started"] for r in results)
    refused = [m for r in results for m in r["refused"]]
    errors = [m for r in results for m in r["errors"]]
    p95 = latencies[int(len(latencies) * 0.95) - 1] * 1000 if latencies else 0
    rate = len(latencies) / wall
    flag = ""
    if phase in GOAL:
        flag = "  ✓" if rate >= 200 and p95 <= 250 else "  ✗ (meta ≥ 200/s, p95 ≤ 250 ms)"
    held = [x for r in results for x in r["held"]]
    hold = statistics.mean(held) * 1000 if held else 0
    ceiling = f"{1000 / hold:6.0f}/s" if hold else "     —"
    done = max(len(latencies) + len(refused), 1)
    cpu = sum(r["cpu"] for r in results) / done * 1000
    server = sum(r["server_cpu"] for r in results) / done * 1000
    sent = [x for r in results for x in r["statements"]]
    statements = statistics.mean(sent) if sent else 0
    print(f"  {phase:<24} {len(latencies):5d} ok en {wall:5.1f} s = {rate:6.1f}/s  sentencias {statements:4.1f}  p50 "
          f"{statistics.median(latencies) * 1000:6.1f} ms  p95 {p95:6.1f} ms  repeticiones {sum(r['replays'] for r in results):3d}"
          f"  rechazos {len(refused):3d}  errores {len(errors):3d}  cuenta bloqueada {hold:5.1f} ms (techo {ceiling})"
          f"  CPU por comando: python {cpu:4.1f} ms, postgresql {server:4.1f} ms (techo {os.cpu_count()} núcleos: "
          f"{os.cpu_count() * 1000 / (cpu + server):4.0f}/s)  carga {os.getloadavg()[0]:.1f}{flag}", flush=True)
    for message in sorted(set(errors))[:3] + sorted(set(refused))[:3]:
        print(f"      {message}")
    return {"rate": rate, "p95": p95, "errors": len(errors), "hold": hold, "statements": statements}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--threads", type=int, default=5)
    parser.add_argument("--companies", type=int, default=50)
    parser.add_argument("--months", type=int, default=20)
    args = parser.parse_args()

    from sqlalchemy import func, select

    from portfolio import db, migrate, seeding
    from portfolio.trust import ledger
    from portfolio.trust.models import Contribution, Disbursement, Payment, Tranche
    from portfolio.trust.services.verify import domain_problems
    from portfolio.trust.vocab import DisbursementStatus, PaymentStatus
    from tests.conftest import create_pg_database, drop_pg_database
    from tests.trust.conftest import World, insert_user, make_company

    url = create_pg_database("bench_money")
    try:
        migrate.upgrade(url)
        app = app_for(url, 2)
        with app.app_context():
            seeding.load_reference()
            world = World(allocation=Decimal("900000000.00"))
            companies = []
            for n in range(args.companies):
                company = make_company(f"Empresa de carga {n} S.A.C.")
                companies.append((company.id, insert_user("company", company.id).id))
            people = {"trustee": world.trustee.id, "staff": world.staff.id, "board": [u.id for u in world.board],
                      "program": world.program.id, "org": world.org.id}
            db.session.commit()
        app.extensions["portfolio_db"]["engine"].dispose()
        months = [dt.date(2024 + (m + 6) // 12, (m + 6) % 12 + 1, 1) for m in range(args.months)]

        def query(fn):
            with app.app_context():
                try:
                    return fn()
                finally:
                    db.session.remove()
                    app.extensions["portfolio_db"]["engine"].dispose()

        print(f"postgresql: {args.processes} procesos × {args.threads} hilos, {args.companies} empresas × "
              f"{args.months} meses = {args.companies * args.months} comandos por fase", flush=True)
        figures = {}
        p, t = args.processes, args.threads
        figures["declarar"] = run_phase(url, "declarar", [("d", c, u, m, uuid.uuid4().hex) for m in months
                                                           for c, u in companies], people, p, t, 10)
        users = dict(companies)
        items = query(lambda: [("r", c.id, users[c.company_id], c.amount_due, uuid.uuid4().hex)
                               for c in db.session.scalars(select(Contribution).order_by(Contribution.id))])
        run_phase(url, "registrar pago", items, people, p, t)
        payments = query(lambda: list(db.session.scalars(select(Payment.id).order_by(Payment.id))))
        figures["confirmar pago"] = run_phase(url, "confirmar pago", [("c", i, uuid.uuid4().hex) for i in payments],
                                              people, p, t, 10)
        run_phase(url, "solicitar y 1.er voto", [("s", n + 1, uuid.uuid4().hex) for n in range(len(payments))], people, p, t)
        requested = query(lambda: list(db.session.scalars(select(Disbursement.id).order_by(Disbursement.id))))
        figures["votar (reserva fondos)"] = run_phase(url, "votar (reserva fondos)",
                                                      [("v", i, uuid.uuid4().hex) for i in requested], people, p, t, 10)
        figures["ejecutar tramo"] = run_phase(url, "ejecutar tramo", [("e", i, uuid.uuid4().hex) for i in requested],
                                              people, p, t, 10)

        def checks():
            problems = ledger.verify(db.session) + domain_problems()
            negative = db.session.scalar(select(func.count(ledger.Account.id)).where(
                ledger.Account.no_negative.is_(True), ledger.Account.balance < 0))
            kinds = dict(db.session.execute(select(ledger.Entry.kind, func.count(ledger.Entry.id)).group_by(ledger.Entry.kind)).all())
            expected = {
                "declaracion": db.session.scalar(select(func.count(Contribution.id))),
                "pago": db.session.scalar(select(func.count(Payment.id)).where(Payment.status == PaymentStatus.CONFIRMADO)),
                "reserva": db.session.scalar(select(func.count(Disbursement.id)).where(Disbursement.transfer_id.is_not(None))),
                "ejecucion": db.session.scalar(select(func.count(Tranche.id))),
            }
            duplicates = sum(kinds.get(k, 0) - v for k, v in expected.items())
            paid = db.session.scalar(select(func.count(Disbursement.id)).where(Disbursement.status == DisbursementStatus.PAGADO))
            return problems, negative, duplicates, expected, paid

        problems, negative, duplicates, expected, paid = query(checks)
        print(f"  asientos por tipo {expected}, desembolsos pagados {paid}")
        print(f"  sobregiros {negative}, duplicados {duplicates}, ledger verify + dominio: "
              f"{'conforme' if not problems else problems[:3]}")
        met = all(f["rate"] >= 200 and f["p95"] <= 250 and not f["errors"] for f in figures.values())
        print(f"  meta (≥ 200/s y p95 ≤ 250 ms en los cuatro, 0 sobregiros, 0 duplicados, verify conforme): "
              f"{'cumplida' if met and not problems and not negative and not duplicates else 'no cumplida'}")
    finally:
        drop_pg_database(url)


if __name__ == "__main__":
    main()
