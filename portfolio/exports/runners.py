"""Where background exports run, chosen by ``EXPORT_QUEUE``:

- ``thread`` (default, the embedded deployment): a small in-process thread pool (``EXPORT_THREADS``).
  Jobs live in the database, so a page reload finds them; a job whose process died is shown as failed
  after ``EXPORT_JOB_TIMEOUT_MINUTES``.
- ``rq``: RQ on Redis (``REDIS_URL``, default ``redis://127.0.0.1:6379/0``; queue ``EXPORT_RQ_QUEUE``).
  Run workers with the same environment as the web app::

      rq worker portfolio-exports --url redis://127.0.0.1:6379/0

  Each worker builds the app once (``create_app()`` from the environment) and runs
  :func:`portfolio.exports.jobs.run_job`.
- ``inline``: run the job inside the request that created it (tests, scripts).
"""
from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

from flask import Flask, current_app, has_app_context

log = logging.getLogger(__name__)

RUNNERS = ("thread", "rq", "inline")
RQ_ENTRY = "portfolio.exports.runners.rq_entry"


class QueueUnavailable(RuntimeError):
    """The configured queue did not accept the job."""


def _run_in_app(app: Flask, job_id: int) -> None:
    from portfolio.exports.jobs import run_job

    try:
        with app.app_context():
            run_job(job_id)
    except Exception:  # a worker thread must never die silently
        log.exception("export job %s crashed its runner", job_id)


def _executor(app: Flask) -> ThreadPoolExecutor:
    state = app.extensions.setdefault("portfolio_exports", {})
    if state.get("executor") is None:
        state["executor"] = ThreadPoolExecutor(max_workers=int(app.config["EXPORT_THREADS"]),
                                               thread_name_prefix="export")
    return state["executor"]


def redis_connection(app: Flask):
    from redis import Redis

    return Redis.from_url(app.config["REDIS_URL"], socket_connect_timeout=3, socket_timeout=10)


def rq_queue(app: Flask, name: str | None = None):
    from rq import Queue

    return Queue(name or app.config["EXPORT_RQ_QUEUE"], connection=redis_connection(app))


def submit(job_id: int, app: Flask | None = None):
    """Hand a committed job to the configured runner. Raises QueueUnavailable when it cannot."""
    app = app or current_app._get_current_object()
    runner = app.config["EXPORT_QUEUE"]
    if runner == "thread":
        return _executor(app).submit(_run_in_app, app, job_id)
    if runner == "inline":
        _run_in_app(app, job_id)
        return None
    if runner == "rq":
        try:
            return rq_queue(app).enqueue(RQ_ENTRY, job_id, job_timeout=int(app.config["EXPORT_JOB_TIMEOUT_MINUTES"]) * 60)
        except Exception as exc:  # redis.ConnectionError, timeouts…
            log.exception("could not enqueue export job %s", job_id)
            raise QueueUnavailable(str(exc)) from exc
    raise QueueUnavailable(f"unknown EXPORT_QUEUE {runner!r}")


_worker_app: Flask | None = None


def rq_entry(job_id: int) -> str:
    """What an RQ worker executes. Uses the current app when one is pushed (a worker started inside an
    app context, as the tests do), else builds the app once per worker process from the environment."""
    global _worker_app
    from portfolio.exports.jobs import run_job

    if has_app_context():
        app = current_app._get_current_object()
    else:
        if _worker_app is None:
            from portfolio import create_app

            _worker_app = create_app()
        app = _worker_app
    with app.app_context():
        return run_job(job_id)


def shutdown(app: Flask) -> None:
    executor = app.extensions.get("portfolio_exports", {}).pop("executor", None)
    if executor is not None:
        executor.shutdown(wait=True)
