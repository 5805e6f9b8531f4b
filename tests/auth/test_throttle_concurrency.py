"""Simultaneous wrong passwords for one account: no more than the limit are evaluated, whatever the
number of workers. Real commits on a private database (the per-test rollback would hide the race)."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from portfolio import create_app, db, migrate, seeding
from portfolio.auth import services
from portfolio.auth.models import LoginAttempt
from portfolio.auth.policy import SYSTEM
from portfolio.db import make_engine

from ..conftest import DEMO_PASSWORD, create_pg_database, drop_pg_database

THREADS = 24


@pytest.fixture(params=["sqlite", "postgresql"])
def private_app(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'carrera.db'}"
    else:
        url = create_pg_database("login_race")
    migrate.upgrade(url)
    app = create_app({"ENV_MODE": "testing", "DATABASE_URL": url, "SECRET_KEY": "r" * 40,
                      "PASSWORD_HASH_PROFILE": "fast"})
    # One connection per thread, so that all of them really run at once.
    app.extensions["portfolio_db"]["engine"].dispose()
    engine = make_engine(url, pool_size=THREADS + 2, max_overflow=0)
    app.extensions["portfolio_db"].update(engine=engine, sessionmaker=sessionmaker(bind=engine, expire_on_commit=False))
    with app.app_context():
        seeding.load_reference()
        services.create_user(email="fiduciario@carrera.pe", name="Fiduciario", role="trustee",
                             password=DEMO_PASSWORD, actor=SYSTEM)
        db.session.commit()
    yield app
    engine.dispose()
    if request.param == "postgresql":
        drop_pg_database(url)


def test_simultaneous_wrong_passwords_evaluate_at_most_the_limit(private_app):
    limit = private_app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]
    barrier = threading.Barrier(THREADS)
    outcomes: list[str] = []

    def attempt() -> None:
        with private_app.app_context():
            if db.is_postgresql():
                db.session.connection()  # connected before the start signal (on SQLite this would take the lock)
            barrier.wait()
            try:
                result = services.authenticate("fiduciario@carrera.pe", "clave-equivocada-123", "192.0.2.50")
                db.session.commit()
                outcomes.append("evaluated" if result.user is None else "logged in")
            except services.LoginThrottled:
                db.session.rollback()
                outcomes.append("throttled")

    threads = [threading.Thread(target=attempt) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert len(outcomes) == THREADS
    with private_app.app_context():
        recorded = db.session.scalar(select(func.count(LoginAttempt.id))
                                     .where(LoginAttempt.email == "fiduciario@carrera.pe"))
    assert outcomes.count("evaluated") == recorded == limit
    assert outcomes.count("throttled") == THREADS - limit
