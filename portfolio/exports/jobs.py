"""Export services: build a workbook now, or record a background job and run it (in a worker).

``create_job`` only adds and flushes (the view commits, then hands the job to the runner). ``run_job`` is
what a worker executes, inside an application context: it re-reads the job and its user, re-checks the
permissions, streams the workbook to a ``.part`` file under ``EXPORT_DIR`` and renames it when complete,
writing progress from a separate short-lived session so the page can show it while rows stream.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import time
from collections.abc import Mapping
from pathlib import Path

from flask import current_app
from sqlalchemy import select, update

from portfolio import audit, clock, db
from portfolio.auth.models import User
from portfolio.auth.policy import allows
from portfolio.db import utcnow
from portfolio.domain_errors import DomainError, NotFound
from portfolio.exports.models import DONE, FAILED, QUEUED, RUNNING, STATUS_LABELS, UNFINISHED, ExportJob
from portfolio.exports.registry import ExportRequest, ExportSpec, Viewer, get_export
from portfolio.exports.xlsx import build_workbook, write_workbook

log = logging.getLogger(__name__)

GENERIC_FAILURE = ("Ocurrió un error al generar el archivo. Vuelva a intentarlo; si el problema persiste, "
                   "avise al equipo técnico.")
STALE_FAILURE = ("La exportación se interrumpió (el servidor se reinició o tardó demasiado). "
                 "Vuelva a solicitarla.")
NO_PERMISSION = "Ya no tiene permiso para esta exportación."
PROGRESS_INTERVAL_SECONDS = 1.0


def export_dir() -> Path:
    path = Path(current_app.config["EXPORT_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def download_name(spec: ExportSpec, when: dt.datetime) -> str:
    stamp = when.astimezone(clock.zone()).strftime("%Y%m%d_%H%M")
    base = re.sub(r"[^a-z0-9_-]+", "_", spec.filename.lower()).strip("_") or "exportacion"
    return f"{base}_{stamp}.xlsx"


def can_use(user, spec: ExportSpec) -> bool:
    return allows(user, "exports.download") and allows(user, spec.permission)


def prepare(spec: ExportSpec, args: Mapping[str, str], user) -> ExportRequest:
    """Validate the filters for ``user`` (raises ExportInputError with a Spanish message)."""
    viewer = Viewer.from_user(user)
    params = spec.parse(args, viewer)
    return ExportRequest(spec=spec, viewer=viewer, params=params, generated_at=utcnow())


def build_now(req: ExportRequest) -> tuple[bytes, str]:
    """A small export, built in the request: the file's bytes and its download name."""
    data = build_workbook(req.spec.build(req))
    audit.record("export.download", actor=req.viewer, object_type="export", object_id=req.spec.name,
                 after={"params": req.params, "mode": "directo"})
    return data, download_name(req.spec, req.generated_at)


def create_job(req: ExportRequest, total: int | None = None) -> ExportJob:
    job = ExportJob(export_name=req.spec.name, label=req.spec.label, params=json.dumps(req.params, sort_keys=True),
                    user_id=req.viewer.user_id, status=QUEUED, progress=0, total=total,
                    filename=download_name(req.spec, req.generated_at))
    db.session.add(job)
    db.session.flush()
    audit.record("export.request", job, actor=req.viewer, after={"export": req.spec.name, "params": req.params})
    return job


QUEUE_DOWN = "La cola de exportaciones no está disponible en este momento. Intente de nuevo más tarde."


def mark_not_queued(job_id: int) -> None:
    """The runner refused the job (Redis down…): the job page shows why instead of waiting forever."""
    job = db.session.get(ExportJob, job_id)
    job.status = FAILED
    job.error = QUEUE_DOWN
    job.finished_at = utcnow()
    db.session.flush()


def get_job_for(token: str, user) -> ExportJob:
    """The caller's own job; anyone else's (or a missing one) is the same 404."""
    job = db.session.query(ExportJob).filter_by(token=token).one_or_none()
    if job is None or job.user_id != user.id:
        raise NotFound("Esa exportación no existe o no es suya.")
    return job


def recent_jobs(user, limit: int) -> list[ExportJob]:
    """The user's latest export jobs, newest first (the «Exportaciones» page)."""
    return list(db.session.scalars(select(ExportJob).where(ExportJob.user_id == user.id)
                                   .order_by(ExportJob.created_at.desc(), ExportJob.id.desc()).limit(limit)))


def effective_state(job: ExportJob, now: dt.datetime | None = None) -> tuple[str, str | None]:
    """(status, error) as the page should show it: a job queued or running for longer than the timeout
    is reported failed (its worker is gone), without writing anything on a GET."""
    if job.status in UNFINISHED:
        now = now or utcnow()
        since = job.started_at or job.created_at
        timeout = dt.timedelta(minutes=int(current_app.config["EXPORT_JOB_TIMEOUT_MINUTES"]))
        if since is not None and now - since > timeout:
            return FAILED, STALE_FAILURE
    return job.status, job.error


def file_path(job: ExportJob) -> Path | None:
    if not job.stored_name:
        return None
    return export_dir() / job.stored_name


class _Progress:
    """Writes the row count at most once a second, in its own session and transaction."""

    def __init__(self, job_id: int):
        self.job_id = job_id
        self.last = 0.0
        self.maker = current_app.extensions["portfolio_db"]["sessionmaker"]

    def __call__(self, rows: int) -> None:
        now = time.monotonic()
        if now - self.last < PROGRESS_INTERVAL_SECONDS:
            return
        self.last = now
        with self.maker() as session:
            session.execute(update(ExportJob).where(ExportJob.id == self.job_id).values(progress=rows))
            session.commit()


def _fail(job_id: int, message: str) -> None:
    db.session.rollback()
    job = db.session.get(ExportJob, job_id)
    job.status = FAILED
    job.error = message
    job.finished_at = utcnow()
    db.session.commit()


def run_job(job_id: int) -> str:
    """Run one queued job to completion (or failure). Returns the final status. Needs an app context."""
    job = db.session.get(ExportJob, job_id)
    if job is None:
        log.warning("export job %s vanished", job_id)
        return FAILED
    if job.status != QUEUED:
        return job.status  # already taken by another worker, or a retried message: run each job once
    claimed = db.session.execute(update(ExportJob).where(ExportJob.id == job_id, ExportJob.status == QUEUED)
                                 .values(status=RUNNING, started_at=utcnow()))
    db.session.commit()
    if claimed.rowcount != 1:
        return db.session.get(ExportJob, job_id).status
    db.session.refresh(job)

    user = db.session.get(User, job.user_id)
    try:
        spec = get_export(job.export_name)
    except NotFound:
        _fail(job_id, "Esa exportación ya no existe.")
        return FAILED
    if user is None or not user.active or not can_use(user, spec):
        _fail(job_id, NO_PERMISSION)
        return FAILED

    stored_name = f"{job.token}.xlsx"
    target = export_dir() / stored_name
    user_id = user.id
    db.read_only_transaction()  # stream the rows without holding a write lock (SQLite)
    user = db.session.get(User, user_id)
    partial = target.with_name(stored_name + ".part")
    try:
        req = ExportRequest(spec=spec, viewer=Viewer.from_user(user), params=job.params_data,
                            generated_at=job.created_at)
        result = write_workbook(partial, spec.build(req), progress=_Progress(job_id))
        os.replace(partial, target)
    except DomainError as exc:
        _fail(job_id, exc.message)
        return FAILED
    except Exception:
        log.exception("export job %s (%s) failed", job_id, job.export_name)
        _fail(job_id, GENERIC_FAILURE)
        return FAILED
    finally:
        if partial.exists():
            partial.unlink()
    db.session.rollback()  # end the read transaction that streamed the rows
    job = db.session.get(ExportJob, job_id)
    job.status = DONE
    job.stored_name = stored_name
    job.size_bytes = target.stat().st_size
    job.progress = sum(result.rows.values())
    job.finished_at = utcnow()
    db.session.commit()
    return DONE


def purge_files(older_than: dt.timedelta, now: dt.datetime | None = None) -> int:
    """Delete the files of jobs finished before ``now - older_than``; the job rows stay as history (their
    page then says the file is no longer available). Returns how many files were removed."""
    cutoff = (now or utcnow()) - older_than
    removed = 0
    for job in db.session.query(ExportJob).filter(ExportJob.stored_name.is_not(None),
                                                  ExportJob.finished_at < cutoff):
        path = export_dir() / job.stored_name
        if path.exists():
            path.unlink()
            removed += 1
        job.stored_name = None
    db.session.flush()
    return removed


def status_payload(job: ExportJob, download_url: str) -> dict:
    status, error = effective_state(job)
    total = job.total
    percent = None
    if status == DONE:
        percent = 100
    elif total:
        percent = min(99, int(job.progress * 100 / total))
    return {
        "status": status,
        "label": STATUS_LABELS[status],
        "progress": job.progress,
        "total": total,
        "percent": percent,
        "error": error,
        "download_url": download_url if status == DONE else None,
        "filename": job.filename,
    }
