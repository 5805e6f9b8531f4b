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
