# ruff: noqa: B023  (each lambda is called at once by timed())
"""Throughput of the trust's money commands and the cost of its reports on a realistic book.

    .venv/bin/python benchmarks/trust_ledger.py [sqlite|postgresql] [companies]

Creates a throw-away database, then through the real services (one commit per command, as the web does):
COMPANIES companies × 24 months declared, two thirds paid and confirmed, 100 disbursements requested,
approved by two board members and executed. Prints median ms per command, the time of `ledger.verify`,
of the arrears ageing, of a company statement and of the trust statement, and the statements each report
issues (they must not grow with the number of rows).
"""
from __future__ import annotations

import datetime as dt
import statistics
import sys
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path

from sqlalchemy import event, func, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from portfolio import create_app, db, migrate, seeding  # noqa: E402
from portfolio.trust import ledger  # noqa: E402
from portfolio.trust.services import books, contributions, disbursements  # noqa: E402
from tests.trust.conftest import World, insert_user, make_company  # noqa: E402

TODAY = dt.date(2026, 6, 20)


def _database(kind: str):
    if kind == "postgresql":
        from tests.conftest import create_pg_database, drop_pg_database

        url = create_pg_database("trust_bench")
        return url, lambda: drop_pg_database(url)
    return f"sqlite:///{tempfile.mkdtemp()}/bench.db", lambda: None


def timed(samples: dict, name: str, action):
    start = time.perf_counter()
    result = action()
    db.session.commit()
    samples.setdefault(name, []).append((time.perf_counter() - start) * 1000)
    return result


def report(name: str, action, engine):
    statements = []

    def count(*_args):
        statements.append(1)

    event.listen(engine, "before_cursor_execute", count)
    start = time.perf_counter()
    action()
    elapsed = (time.perf_counter() - start) * 1000
    event.remove(engine, "before_cursor_execute", count)
    print(f"  {name:<34} {elapsed:9.1f} ms  {len(statements):4d} sentencias")


def main(kind: str = "sqlite", companies: int = 50) -> None:
    url, cleanup = _database(kind)
    try:
        migrate.upgrade(url)
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": "b" * 40, "TESTING": True})
        engine = app.extensions["portfolio_db"]["engine"]
        with app.app_context():
            seeding.load_reference()
            world = World(allocation=Decimal("900000000.00"))
            db.session.commit()
            samples: dict[str, list[float]] = {}
            months = [dt.date(2024 + (m + 6) // 12, (m + 6) % 12 + 1, 1) for m in range(24)]  # 07/2024 … 06/2026
            for n in range(companies):
                company = make_company(f"Empresa de carga {n} S.A.C.")
                user = insert_user("company", company.id)
                db.session.commit()
                for i, month in enumerate(months):
                    c = timed(samples, "declarar", lambda: contributions.declare(
                        company_id=company.id, month=month, payroll=Decimal("2500000.00") + n * 1000 + i,
                        headcount=100, actor=user, key=uuid.uuid4().hex, today=TODAY).value)
                    if i % 3:
                        p = timed(samples, "registrar pago", lambda: contributions.register_payment(
                            contribution_id=c.id, amount=c.amount_due, paid_on=TODAY, bank="BCP",
                            operation_number=uuid.uuid4().hex[:20].upper(), actor=user, key=uuid.uuid4().hex,
                            today=TODAY).value)
                        timed(samples, "confirmar pago", lambda: contributions.confirm_payment(
                            payment_id=p.id, actor=world.trustee, key=uuid.uuid4().hex, today=TODAY))
            for n in range(100):
                d = timed(samples, "solicitar desembolso", lambda: disbursements.request(
                    program_id=world.program.id, organization_id=world.org.id, year=TODAY.year,
                    amount=Decimal("1000.00"), purpose="Carga", invoices=[("20131312955", "F001", str(n + 1))],
                    actor=world.staff, key=uuid.uuid4().hex, today=TODAY).value)
                for member in world.board[:2]:
                    timed(samples, "votar (la 2.ª reserva fondos)", lambda: disbursements.vote(
                        disbursement_id=d.id, decision="aprobar", comment="ok", actor=member, key=uuid.uuid4().hex,
                        today=TODAY))
                timed(samples, "ejecutar", lambda: disbursements.execute(
                    disbursement_id=d.id, amount=Decimal("1000.00"), reference="TRF", actor=world.trustee,
                    key=uuid.uuid4().hex, today=TODAY))
            entries = db.session.scalar(select(func.count(ledger.Entry.id)))
            print(f"{kind}: {companies} empresas, {entries} asientos")
            for name, values in samples.items():
                print(f"  {name:<34} mediana {statistics.median(values):6.2f} ms  (n = {len(values)})")
            report("ledger verify", lambda: ledger.verify(db.session), engine)
            from portfolio.trust.services.verify import domain_problems

            report("verificaciones del dominio", domain_problems, engine)
            report("morosidad (todas las empresas)", lambda: books.arrears_ageing(TODAY), engine)
            report("estado de cuenta de una empresa", lambda: books.company_statement(
                company, dt.date(2024, 1, 1), TODAY), engine)
            report("estado de cuenta del fideicomiso", lambda: books.trust_statement(dt.date(2024, 1, 1), TODAY), engine)
            report("plan vs ejecución por programa", lambda: books.program_summary(TODAY.year), engine)
            problems = ledger.verify(db.session)
            print(f"  verify: {'conforme' if not problems else problems[:3]}")
        engine.dispose()
    finally:
        cleanup()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "sqlite", int(sys.argv[2]) if len(sys.argv) > 2 else 50)
