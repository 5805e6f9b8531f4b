"""PostgreSQL only: several hosts run ``notify run`` at the same instant (threads released together, each with
its own connection, real commits). Each notice is recorded once and each e-mail reaches the SMTP server once."""
from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections import Counter
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import sessionmaker

from portfolio import clock, create_app, db, migrate
from portfolio.db import make_engine
from portfolio.notifications.cli import run_notifications
from portfolio.notifications.models import Notice
from portfolio.notifications.vocab import EmailStatus
from portfolio.orgs.models import Company
from portfolio.trust.services import contributions
from tests.conftest import create_pg_database, drop_pg_database
from tests.notifications.conftest import at, start_smtp
from tests.support import insert_user
from tests.trust.conftest import new_ruc, run

pytestmark = pytest.mark.postgresql_only
HOSTS = 6
COMPANIES = 30
PORT = 5142


@pytest.fixture
def pg_app():
    url = create_pg_database("portfolio_notify_race")
    try:
        migrate.upgrade(url)
        app = create_app({"ENV_MODE": "testing", "TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "x" * 40,
                          "PASSWORD_HASH_PROFILE": "fast", "DEMO_DATA": False, "SERVER_NAME": "localhost",
                          "SMTP_URL": f"smtp://127.0.0.1:{PORT}", "PUBLIC_URL": "https://cartera.example.pe"})
        engine = make_engine(url, pool_size=HOSTS + 4, max_overflow=4)
        app.extensions["portfolio_db"]["engine"].dispose()
        app.extensions["portfolio_db"].update(engine=engine, sessionmaker=sessionmaker(bind=engine, expire_on_commit=False))
        with app.app_context():
            from portfolio import seeding

            seeding.load_reference()
            db.session.commit()
        yield app
        engine.dispose()
    finally:
        drop_pg_database(url)


def test_hosts_racing_record_each_notice_once_and_send_each_email_once(pg_app):
    with pg_app.app_context(), clock.frozen(at(dt.date(2026, 6, 3))):
        for i in range(COMPANIES):
            company = Company(ruc=new_ruc(), legal_name=f"Empresa {i:02d}", sector="comercio", active=True,
                              contact_email=f"contacto{i:02d}@empresa.pe")
            db.session.add(company)
            db.session.flush()
            user = insert_user("company", company.id)
            db.session.commit()
            run(lambda company=company, user=user, i=i: contributions.declare(
                company_id=company.id, month=dt.date(2026, 5, 1), payroll=Decimal("100000.00") + i, headcount=3,
                actor=user, key=uuid.uuid4().hex))
    controller, box = start_smtp(PORT)
    barrier = threading.Barrier(HOSTS)
    results: list = [None] * HOSTS

    def host(index: int) -> None:
        with pg_app.app_context():
            db.session.execute(text("SELECT 1"))
            db.session.commit()
            barrier.wait()
            try:
                results[index] = run_notifications(batch=7)  # small batches: the hosts interleave their claims
            except Exception as exc:  # noqa: BLE001 - reported by the assertion
                results[index] = repr(exc)

    try:
        with clock.frozen(at(dt.date(2026, 6, 10))):
            threads = [threading.Thread(target=host, args=(i,)) for i in range(HOSTS)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(120)
            assert all(isinstance(r, dict) for r in results), results
            assert sum(r["created"] for r in results) == 2 * COMPANIES       # user + contact per company
            assert sum(r["enviados"] for r in results) == 2 * COMPANIES
            with pg_app.app_context():
                again = [run_notifications() for _ in range(2)]
        assert all(r["created"] == 0 and r["enviados"] == 0 for r in again)
    finally:
        controller.stop()
    deliveries = Counter((tuple(m.recipients), m.subject) for m in box.messages)
    assert len(deliveries) == 2 * COMPANIES and set(deliveries.values()) == {1}   # each e-mail once
    with pg_app.app_context():
        assert db.session.scalar(select(func.count(Notice.id))) == 2 * COMPANIES
        assert set(db.session.scalars(select(Notice.email_status))) == {EmailStatus.ENVIADO}
        assert set(db.session.scalars(select(Notice.email_attempts))) == {1}
