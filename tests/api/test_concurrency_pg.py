"""PostgreSQL only: many clients sending the same POST with one Idempotency-Key at the same instant get one
declaration and the same answer; the unique (user, key) row is what decides the race."""
from __future__ import annotations

import json
import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from portfolio import clock, create_app, db, migrate
from portfolio.api import services
from portfolio.api.models import IdempotentRequest
from portfolio.auth.policy import SYSTEM
from portfolio.db import make_engine
from portfolio.trust.models import Contribution
from tests.conftest import create_pg_database, drop_pg_database

pytestmark = pytest.mark.postgresql_only
CLIENTS = 12


@pytest.fixture
def pg_app():
    url = create_pg_database("portfolio_api_race")
    try:
        migrate.upgrade(url)
        app = create_app({"ENV_MODE": "testing", "TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "x" * 40,
                          "PASSWORD_HASH_PROFILE": "fast", "DEMO_DATA": False, "SERVER_NAME": "localhost"})
        engine = make_engine(url, pool_size=CLIENTS + 5, max_overflow=5)
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


def _company_token(app) -> str:
    from stdnum.pe import ruc

    from portfolio.auth import services as users
    from portfolio.orgs import services as orgs

    with app.app_context():
        base = "2055512345"
        company = orgs.create_company(data={"ruc": base + ruc.calc_check_digit(base), "legal_name": "Carrera S.A.C.",
                                            "sector": "construccion", "ubigeo": "130101"}, actor=SYSTEM)
        user = users.create_user(email="carrera@prueba.pe", name="Carrera", role="company",
                                 password="Clave-de-prueba-2026", company_id=company.id, actor=SYSTEM)
        _token, secret = services.create_token(user_id=user.id, name="Planillas", scopes=["declare", "read"],
                                               actor=SYSTEM)
        db.session.commit()
        return secret


def test_one_key_sent_by_many_clients_at_once_has_one_effect(pg_app):
    secret = _company_token(pg_app)
    first = clock.today().replace(day=1)
    month = first.replace(year=first.year - 1, month=12) if first.month == 1 else first.replace(month=first.month - 1)
    body = json.dumps({"month": f"{month:%Y-%m}", "payroll": "500000.00", "headcount": 20})
    headers = {"Authorization": f"Bearer {secret}", "Idempotency-Key": "carrera-0001"}
    barrier = threading.Barrier(CLIENTS)
    answers: list = [None] * CLIENTS

    def client(index: int) -> None:
        http = pg_app.test_client()
        barrier.wait()
        response = http.post("/api/v1/declarations", data=body, content_type="application/json", headers=headers)
        answers[index] = (response.status_code, response.get_json())

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    statuses = sorted(a[0] for a in answers)
    created = [a[1] for a in answers if a[0] == 201]
    # every client gets the first answer, or (while the first is still running) a 409 «en curso» to retry
    assert set(statuses) <= {201, 409} and created, statuses
    assert all(c == created[0] for c in created)
    with pg_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Contribution)) == 1
        assert db.session.scalar(select(func.count()).select_from(IdempotentRequest)) == 1
    retry = pg_app.test_client().post("/api/v1/declarations", data=body, content_type="application/json", headers=headers)
    assert retry.status_code == 201 and retry.get_json() == created[0]
