"""The embedded default (SQLite): a request that reads and then writes must not fail because another
connection (e.g. a background export writing its progress) committed in between."""
import threading
import time

from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import sessionmaker

from portfolio import migrate
from portfolio.auth.models import LoginAttempt
from portfolio.db import make_engine


def run_requests(url: str, begin_mode: str | None) -> list[Exception]:
    engine = make_engine(url)
    maker = sessionmaker(bind=engine)
    stop, failures = threading.Event(), []

    def background_writer():
        while not stop.is_set():
            with maker() as session:
                session.add(LoginAttempt(email="job@prueba.pe", address="job", success=True))
                session.commit()
            time.sleep(0.002)

    thread = threading.Thread(target=background_writer)
    thread.start()
    try:
        for i in range(40):
            session = maker()
            try:
                if begin_mode:
                    session.connection(execution_options={"sqlite_begin": begin_mode})
                session.scalar(select(func.count(LoginAttempt.id)))  # read first …
                time.sleep(0.01)                                     # … the job commits meanwhile …
                session.add(LoginAttempt(email=f"r{i}@prueba.pe", address="req", success=False))
                session.commit()                                     # … then write
            except OperationalError as exc:
                failures.append(exc)
                session.rollback()
            finally:
                session.close()
    finally:
        stop.set()
        thread.join()
        engine.dispose()
    return failures


def test_request_transactions_take_the_write_lock_up_front(tmp_path):
    url = f"sqlite:///{tmp_path / 'concurrencia.db'}"
    migrate.upgrade(url)
    assert run_requests(url, None) == []            # the app's default: BEGIN IMMEDIATE
    deferred = run_requests(url, "DEFERRED")        # what a plain BEGIN would do
    assert deferred and "locked" in str(deferred[0])


def test_read_only_requests_do_not_queue_behind_the_write_lock(tmp_path):
    """A GET reads a WAL snapshot (BEGIN DEFERRED): it answers at once while another connection holds the
    write lock, where an IMMEDIATE transaction would wait out the busy timeout (10 s) and fail. A POST
    still takes the lock up front (the test above)."""
    from portfolio import create_app

    url = f"sqlite:///{tmp_path / 'lectura.db'}"
    migrate.upgrade(url)
    app = create_app({"ENV_MODE": "testing", "DATABASE_URL": url, "SECRET_KEY": "s" * 40})
    writer = make_engine(url)
    with writer.connect() as conn:
        conn.exec_driver_sql("INSERT INTO login_attempts (email, address, success, at) "
                             "VALUES ('w@prueba.pe', 'w', 1, '2026-01-01 00:00:00')")  # holds the write lock
        started = time.perf_counter()
        response = app.test_client().get("/healthz")
        elapsed = time.perf_counter() - started
        conn.rollback()
    writer.dispose()
    app.extensions["portfolio_db"]["engine"].dispose()
    assert response.status_code == 200 and response.get_json()["database"] == "ok"
    assert elapsed < 3, f"GET waited {elapsed:.1f} s for the write lock"
