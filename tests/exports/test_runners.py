"""The two real job runners against databases with real commits: the in-process thread pool (the embedded
default) and RQ on the Redis server at 127.0.0.1:6379 (a burst SimpleWorker runs the job in this process).
With CI set, a missing Redis fails these tests instead of skipping them."""
from __future__ import annotations

import time
import uuid

import pytest
from sqlalchemy import select

from portfolio import create_app, db, migrate
from portfolio.auth.policy import SYSTEM
from portfolio.exports import runners
from portfolio.exports.jobs import create_job, prepare
from portfolio.exports.models import ExportJob
from portfolio.exports.registry import get_export
from tests.conftest import create_pg_database, drop_pg_database
from tests.exports.conftest import data_rows, read_xlsx, require

REDIS_URL = "redis://127.0.0.1:6379/0"


def redis_problem() -> str | None:
    try:
        from redis import Redis

        Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
        return None
    except Exception as exc:
        return f"Redis no responde en {REDIS_URL}: {exc.__class__.__name__}"


@pytest.fixture(params=["sqlite", "postgresql"])
def committed_app(request, tmp_path):
    """An app on a private database where commits are real (workers see them from other sessions/threads)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'runner.db'}"
    else:
        url = create_pg_database("portfolio_exports")
    migrate.upgrade(url)
    app = create_app({"ENV_MODE": "testing", "TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "r" * 40,
                      "PASSWORD_HASH_PROFILE": "fast", "DEMO_DATA": False, "SERVER_NAME": "localhost",
                      "EXPORT_DIR": str(tmp_path / "exports"), "REDIS_URL": REDIS_URL,
                      "EXPORT_RQ_QUEUE": f"portfolio-test-{uuid.uuid4().hex[:8]}"})
    yield app
    runners.shutdown(app)
    app.extensions["portfolio_db"]["engine"].dispose()
    if request.param == "postgresql":
        drop_pg_database(url)


def seed_and_queue(app, export_name="companies"):
    from portfolio.auth import services as auth_services
    from portfolio.orgs import services as orgs_services

    with app.app_context():
        orgs_services.create_company(data={"ruc": "20512333797", "legal_name": "=Cola de Trabajo S.A.",
                                      "sector": "servicios"}, actor=SYSTEM)
        orgs_services.create_company(data={"ruc": "20131312955", "legal_name": "Otra S.A.", "sector": "banca"}, actor=SYSTEM)
        user = auth_services.create_user(email=f"staff-{uuid.uuid4().hex[:6]}@prueba.pe", name="Staff",
                                         role="staff", password="Prueba-Segura-2026!", actor=SYSTEM)
        db.session.commit()
        req = prepare(get_export(export_name), {"sector": "servicios"}, user)
        job = create_job(req, total=1)
        db.session.commit()
        return job.id


def job_state(app, job_id):
    with app.app_context():
        job = db.session.get(ExportJob, job_id)
        return job.status, job.error, job.stored_name, job.progress


def check_file(app, job_id):
    with app.app_context():
        job = db.session.get(ExportJob, job_id)
        path = app.config["EXPORT_DIR"] + "/" + job.stored_name
        with open(path, "rb") as fh:
            rows = data_rows(read_xlsx(fh.read())["Empresas"])
    assert [r[1] for r in rows] == ["=Cola de Trabajo S.A."]


def test_thread_runner_runs_the_job_in_the_background(committed_app):
    app = committed_app
    app.config["EXPORT_QUEUE"] = "thread"
    job_id = seed_and_queue(app)
    future = runners.submit(job_id, app)
    future.result(timeout=60)
    deadline = time.monotonic() + 30
    while job_state(app, job_id)[0] in ("queued", "running") and time.monotonic() < deadline:
        time.sleep(0.1)
    status, error, stored, progress = job_state(app, job_id)
    assert (status, error) == ("done", None)
    assert progress == 1
    check_file(app, job_id)


def test_rq_runner_enqueues_on_redis_and_a_worker_runs_the_job(committed_app):
    require(redis_problem())
    from rq import SimpleWorker

    app = committed_app
    app.config["EXPORT_QUEUE"] = "rq"
    job_id = seed_and_queue(app)
    queue = runners.rq_queue(app)
    try:
        rq_job = runners.submit(job_id, app)
        assert queue.count == 1
        assert rq_job.func_name == runners.RQ_ENTRY and rq_job.args == (job_id,)
        assert job_state(app, job_id)[0] == "queued"
        with app.app_context():
            worker = SimpleWorker([queue], connection=queue.connection)
            assert worker.work(burst=True)
        rq_job.refresh()
        assert rq_job.get_status() == "finished"
        assert rq_job.return_value() == "done"
        assert job_state(app, job_id)[:2] == ("done", None)
        check_file(app, job_id)
        # a redelivered message does not run the job twice
        with app.app_context():
            assert runners.rq_entry(job_id) == "done"
            assert db.session.scalar(select(ExportJob.status).where(ExportJob.id == job_id)) == "done"
    finally:
        queue.empty()
        queue.delete(delete_jobs=True)


def test_an_unknown_queue_is_a_configuration_error(tmp_path):
    from portfolio.config import ConfigError

    with pytest.raises(ConfigError, match="EXPORT_QUEUE desconocido"):
        create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}", "SECRET_KEY": "c" * 40,
                    "EXPORT_QUEUE": "celery"})


def test_queue_comes_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("EXPORT_QUEUE", "rq")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/3")
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}", "SECRET_KEY": "c" * 40})
    assert app.config["EXPORT_QUEUE"] == "rq" and app.config["REDIS_URL"].endswith("/3")
    assert create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}", "SECRET_KEY": "c" * 40,
                       "EXPORT_QUEUE": "inline"}).config["EXPORT_QUEUE"] == "inline"
