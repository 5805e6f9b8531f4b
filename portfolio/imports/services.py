"""The import workflow: stage an upload (validate, preview, keep it server-side) and apply it once.

``stage`` never changes domain data; when the file is valid and would change something it stores one
``ImportBatch`` (status ``pendiente``) so that the confirmation does not need the file again. ``apply``
claims the batch with a conditional UPDATE (``pendiente`` → ``aplicado``) in the same transaction as the
changes, so a replayed or concurrent confirmation applies nothing twice; it re-plans against the current
database and calls the domain services row by row; any error rolls the whole import back.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select, update

from portfolio import audit, db
from portfolio.auth.policy import service
from portfolio.domain_errors import Conflict, DomainError, NotFound
from portfolio.imports import reader
from portfolio.imports.base import ImportKind, Issue, Plan
from portfolio.imports.models import ImportBatch, ImportStatus

DEFAULT_MAX_MB = 5
DEFAULT_MAX_ROWS = 20_000
SUMMARY_ACTIONS = 2000  # rows kept for the page shown after applying


def kinds() -> dict[str, ImportKind]:
    from portfolio.imports.kinds import KINDS

    return KINDS


def get_kind(key: str) -> ImportKind:
    kind = kinds().get(key)
    if kind is None:
        raise NotFound("Ese tipo de importación no existe.")
    return kind


def limits() -> tuple[int, int]:
    from flask import current_app

    config = current_app.config
    max_bytes = int(Decimal(str(config.get("IMPORT_MAX_MB", DEFAULT_MAX_MB))) * 1024 * 1024)
    return max_bytes, int(config.get("IMPORT_MAX_ROWS", DEFAULT_MAX_ROWS))


@dataclass
class Staged:
    """The outcome of an upload, for the preview page."""

    kind: ImportKind
    filename: str
    file_type: str = ""
    plan: Plan = field(default_factory=Plan)
    batch: ImportBatch | None = None
    already: ImportBatch | None = None  # the same file was applied before
    row_count: int = 0
    facts: dict = field(default_factory=dict)  # streamed kinds: what the pass over the file found

    @property
    def errors(self) -> list[Issue]:
        return self.plan.errors

    @property
    def ok(self) -> bool:
        return not self.plan.errors


def read_and_plan(kind: ImportKind, data: bytes, user) -> tuple[str, list[dict], Plan]:
    """Read, parse and plan a file; FileProblem becomes a single error without a row."""
    max_bytes, max_rows = limits()
    try:
        sheet = reader.read(data, kind.columns, sheet_name=kind.sheet_name, max_bytes=max_bytes, max_rows=max_rows)
    except reader.FileProblem as exc:
        return "", [], Plan(errors=[Issue(None, "", "", exc.message)])
    rows, errors = kind.parse(sheet)
    plan = kind.plan(rows, user)
    plan.errors = sorted(errors + plan.errors, key=lambda i: (i.row or 0))
    return sheet.file_type, rows, plan


def applied_batch(kind: ImportKind, sha256: str, scope: str) -> ImportBatch | None:
    return db.session.scalar(select(ImportBatch).where(
        ImportBatch.sha256 == sha256, ImportBatch.kind == kind.key, ImportBatch.scope == scope,
        ImportBatch.status == ImportStatus.APLICADO).order_by(ImportBatch.id).limit(1))


@service("imports.use")
def stage(*, kind: ImportKind, data: bytes, filename: str, actor) -> Staged:
    """Validate an upload for a kind the actor may import; when clean and changing something, keep it pending."""
    if not kind.allowed(actor) or kind.streaming:
        raise NotFound("Ese tipo de importación no existe.")
    filename = (filename or "archivo").replace("\\", "/").rsplit("/", 1)[-1][:200]
    staged = Staged(kind=kind, filename=filename)
    sha256 = hashlib.sha256(data).hexdigest()
    scope = kind.scope(actor)
    staged.already = applied_batch(kind, sha256, scope)
    if staged.already is not None:
        return staged
    staged.file_type, rows, staged.plan = read_and_plan(kind, data, actor)
    staged.row_count = len(rows)
    if not staged.ok or staged.plan.changes == 0:
        return staged
    batch = db.session.scalar(select(ImportBatch).where(
        ImportBatch.sha256 == sha256, ImportBatch.kind == kind.key, ImportBatch.scope == scope,
        ImportBatch.user_id == actor.id, ImportBatch.status == ImportStatus.PENDIENTE))
    if batch is None:
        batch = ImportBatch(kind=kind.key, scope=scope, sha256=sha256, filename=filename, file_type=staged.file_type,
                            user_id=actor.id, status=ImportStatus.PENDIENTE, row_count=len(rows),
                            rows_json=json.dumps(rows, ensure_ascii=False, separators=(",", ":")),
                            summary_json=json.dumps({"counts": staged.plan.counts()}))
        db.session.add(batch)
        db.session.flush()
    staged.batch = batch
    return staged


@service("imports.use")
def stage_stream(*, kind: ImportKind, stream, filename: str, actor, max_bytes: int | None = None) -> Staged:
    """Large files (MEF's execution CSV): the kind reads the stream once, never whole, hashing it on the way;
    only the aggregated rows are kept in the pending batch. Same outcomes as ``stage``."""
    if not kind.allowed(actor) or not getattr(kind, "streaming", False):
        raise NotFound("Ese tipo de importación no existe.")
    filename = (filename or "archivo").replace("\\", "/").rsplit("/", 1)[-1][:200]
    staged = Staged(kind=kind, filename=filename, file_type="csv")
    sha256, rows, errors, staged.facts = kind.read_stream(stream, max_bytes=max_bytes)
    scope = kind.scope(actor)
    staged.already = applied_batch(kind, sha256, scope)
    if staged.already is not None:
        return staged
    staged.plan = kind.plan(rows, actor)
    staged.plan.errors = sorted(errors + staged.plan.errors, key=lambda i: (i.row or 0))
    staged.row_count = staged.facts.get("rows", 0)
    if not staged.ok or staged.plan.changes == 0:
        return staged
    batch = ImportBatch(kind=kind.key, scope=scope, sha256=sha256, filename=filename, file_type="csv",
                        user_id=actor.id, status=ImportStatus.PENDIENTE, row_count=staged.row_count,
                        rows_json=json.dumps(rows, ensure_ascii=False, separators=(",", ":")),
                        summary_json=json.dumps({"counts": staged.plan.counts(), "reading": staged.facts}))
    db.session.add(batch)
    db.session.flush()
    staged.batch = batch
    return staged


def recent_batches(user, limit: int) -> list[ImportBatch]:
    """The user's latest uploads, newest first (the imports page)."""
    return list(db.session.scalars(select(ImportBatch).where(ImportBatch.user_id == user.id)
                                   .order_by(ImportBatch.id.desc()).limit(limit)))


def get_batch(batch_id: int, user) -> ImportBatch:
    """Only the user who uploaded a batch sees it; anyone else gets the same 404 as for a missing one."""
    batch = db.session.get(ImportBatch, batch_id)
    if batch is None or batch.user_id != user.id:
        raise NotFound("La importación no existe.")
    return batch


def replan(batch: ImportBatch, user) -> Plan:
    return get_kind(batch.kind).plan(batch.rows, user)


@service("imports.use")
def apply(*, batch_id: int, actor) -> dict[str, int]:
    """Apply the actor's own pending batch once, through the domain services; any error applies nothing."""
    batch = get_batch(batch_id, actor)
    kind = get_kind(batch.kind)
    if not kind.allowed(actor):
        raise NotFound("La importación no existe.")
    claimed = db.session.execute(
        update(ImportBatch).where(ImportBatch.id == batch.id, ImportBatch.status == ImportStatus.PENDIENTE)
        .values(status=ImportStatus.APLICADO, applied_at=db.utcnow()).execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        raise Conflict("Esta importación ya fue aplicada o descartada; no se aplicó nada otra vez.")
    earlier = db.session.scalar(select(ImportBatch.id).where(
        ImportBatch.sha256 == batch.sha256, ImportBatch.kind == batch.kind, ImportBatch.scope == batch.scope,
        ImportBatch.status == ImportStatus.APLICADO, ImportBatch.id != batch.id))
    if earlier is not None:
        raise Conflict("Este mismo archivo ya fue importado antes; no se aplicó nada otra vez.")
    plan = kind.plan(batch.rows, actor)
    if plan.errors:
        first = plan.errors[0]
        where = f"Fila {first.row}, {first.column}: " if first.row else ""
        raise DomainError("Los datos cambiaron desde la vista previa; no se aplicó nada. "
                          f"{where}{first.message} Vuelva a subir el archivo para ver todos los problemas.")
    counts = kind.apply(plan, actor, batch_id=batch.id)
    db.session.refresh(batch)
    shown = [{"row": a.row, "label": kind.done_label_for(a), "description": a.description, "detail": a.detail}
             for a in plan.actions[:SUMMARY_ACTIONS]]
    batch.summary_json = json.dumps({**({"reading": batch.summary["reading"]} if "reading" in batch.summary else {}),
                                     "counts": plan.counts(), "applied": counts, "actions": shown,
                                     "actions_truncated": len(plan.actions) > SUMMARY_ACTIONS}, ensure_ascii=False)
    audit.record("imports.apply", batch, actor=actor,
                 after={"kind": batch.kind, "file": batch.filename, "sha256": batch.sha256, "rows": batch.row_count,
                        **{f"count_{k}": v for k, v in counts.items()}})
    db.session.flush()
    return counts


@service("imports.use")
def discard(*, batch_id: int, actor) -> None:
    """Discard a pending import of the actor's own; nothing is applied."""
    batch = get_batch(batch_id, actor)
    done = db.session.execute(
        update(ImportBatch).where(ImportBatch.id == batch.id, ImportBatch.status == ImportStatus.PENDIENTE)
        .values(status=ImportStatus.DESCARTADO).execution_options(synchronize_session=False)).rowcount
    if done != 1:
        raise Conflict("Esta importación ya no está pendiente.")
    audit.record("imports.discard", batch, actor=actor, after={"kind": batch.kind, "file": batch.filename})


def row_error(row: int | None, exc: DomainError) -> DomainError:
    """A service's refusal, located: «Fila 7: …» (the whole import is rolled back by the caller)."""
    prefix = f"Fila {row}: " if row else ""
    return DomainError(f"{prefix}{exc.message} No se aplicó ninguna fila.")
