"""Two confirmations of the same batch at the same time (two workers, real commits on PostgreSQL): the
conditional claim lets exactly one apply; the other is told so and writes nothing."""
from __future__ import annotations

import threading
import uuid

import pytest
from sqlalchemy import func, select
from stdnum.pe import ruc as ruc_number

from portfolio import create_app, db, migrate, seeding
from tests.conftest import create_pg_database, drop_pg_database
from tests.imports.conftest import DECL_HEADERS, xlsx


@pytest.fixture
def pg_app():
    url = create_pg_database("portfolio_imports")
    migrate.upgrade(url)
    app = create_app({"ENV_MODE": "testing", "TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "c" * 40,
                      "DEMO_DATA": False, "SERVER_NAME": "localhost"})
    with app.app_context():
        seeding.load_reference()
        db.session.commit()
    yield app
    app.extensions["portfolio_db"]["engine"].dispose()
    drop_pg_database(url)


@pytest.mark.postgresql_only
def test_concurrent_confirmations_apply_once(pg_app, database_url):
    from portfolio.auth.models import User
    from portfolio.errors import DomainError
    from portfolio.imports import services
    from portfolio.orgs.models import Company
    from portfolio.trust.models import Contribution

    with pg_app.app_context():
        base = f"20{uuid.uuid4().int % 10**8:08d}"
        company = Company(ruc=base + ruc_number.calc_check_digit(base), legal_name="Concurrente S.A.C.", sector="otros")
        db.session.add(company)
        db.session.flush()
        user = User(email=f"c-{uuid.uuid4().hex[:8]}@prueba.pe", name="C", role="company", company_id=company.id,
                    password_hash="!", active=True, session_token=uuid.uuid4().hex)
        db.session.add(user)
        db.session.flush()
        data = xlsx([DECL_HEADERS, [company.ruc, "03/2026", "1000.00", 5], [company.ruc, "04/2026", "2000.00", 6]])
        staged = services.stage(kind=services.get_kind("declaraciones"), data=data, filename="p.xlsx", actor=user)
        assert staged.batch is not None
        batch_id, user_id, company_id = staged.batch.id, user.id, company.id
        db.session.commit()

    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def confirm():
        with pg_app.app_context():
            actor = db.session.get(User, user_id)
            barrier.wait()
            try:
                services.apply(batch_id=batch_id, actor=actor)
                db.session.commit()
                outcomes.append("aplicado")
            except DomainError as exc:
                db.session.rollback()
                outcomes.append(exc.message)

    threads = [threading.Thread(target=confirm) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["Esta importación ya fue aplicada o descartada; no se aplicó nada otra vez.", "aplicado"]
    with pg_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Contribution)
                                 .where(Contribution.company_id == company_id)) == 2
