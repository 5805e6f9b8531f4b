"""Writing MEF's execution figures: a new version of a project's year when (and only when) they changed."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from portfolio import audit, db
from portfolio.auth.policy import service
from portfolio.domain_errors import Conflict, DomainError
from portfolio.mef.models import FIGURES, MefExecution


@service("imports.mef")
def record_execution(*, project, year: int, figures: dict[str, Decimal], provenance: dict[str, Any],
                     actor) -> MefExecution | None:
    """Add version n+1 of ``project``'s MEF figures for ``year``; None when they equal the current version.

    ``provenance``: ``batch_id``, ``source_file``, ``source_sha256``, ``first_row``, ``last_row``, ``row_count``,
    ``through_month`` and optionally ``executor``, ``sec_ejec``, ``level``.
    """
    if not project.cui:
        raise DomainError("El proyecto no tiene CUI: no se le pueden asignar cifras de MEF.")
    if not 2000 <= int(year) <= 2100:
        raise DomainError("El año de ejecución debe estar entre 2000 y 2100.")
    values = {name: Decimal(figures.get(name) or 0).quantize(Decimal("0.01")) for name in FIGURES}
    current = db.session.scalar(select(MefExecution).where(
        MefExecution.project_id == project.id, MefExecution.year == year)
        .order_by(MefExecution.version.desc()).limit(1).with_for_update())
    if current is not None and current.figures() == values:
        return None
    version = (db.session.scalar(select(func.max(MefExecution.version)).where(
        MefExecution.project_id == project.id, MefExecution.year == year)) or 0) + 1
    row = MefExecution(project_id=project.id, cui=project.cui, year=year, version=version, **values,
                       recorded_by_id=getattr(actor, "id", None),
                       **{k: provenance.get(k) for k in ("batch_id", "source_file", "source_sha256", "first_row",
                                                        "last_row", "row_count", "through_month", "executor",
                                                        "sec_ejec", "level")})
    db.session.add(row)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as exc:
        raise Conflict("Otra importación registró cifras de MEF de este proyecto al mismo tiempo; no se aplicó "
                       "nada. Vuelva a subir el archivo.") from exc
    audit.record("mef.execution", row, actor=actor,
                 before=None if current is None else {k: getattr(current, k) for k in ("devengado", "girado", "pim")},
                 after={"project_id": project.id, "year": year, "version": version, **values,
                        "source_file": row.source_file, "first_row": row.first_row, "last_row": row.last_row})
    return row
