"""MEF's «Presupuesto y ejecución de gasto» (staff): MEF's PIA, PIM, certificado, compromiso anual, devengado and
girado of each project of the portfolio, matched by CUI and year.

Unlike the spreadsheet kinds, the file is not kept: it is streamed once (``portfolio/mef/reader.py``) and only
its aggregates — one row per CUI and year, with the file rows they sum — wait in the batch for the
confirmation. Applying adds a new version of a project's year through ``mef.services.record_execution`` only
where MEF's figures changed. CUIs that are not in the portfolio are listed (the largest first), never dropped
silently.
"""
from __future__ import annotations

import hashlib
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, BinaryIO

from sqlalchemy import select

from portfolio import clock, db
from portfolio.domain_errors import DomainError
from portfolio.imports.base import CREATE, INFO, UNCHANGED, UPDATE, Action, ImportKind, Issue, Plan
from portfolio.imports.reader import Column
from portfolio.mef import reader as mef_reader
from portfolio.mef.models import FIGURE_LABELS, FIGURES
from portfolio.money import CENT, format_money

UNKNOWN_LIMIT = 2000  # unknown (CUI, year) listed in the preview, the largest devengado first
KNOWN, UNKNOWN = "cartera", "desconocidos"


class HashingStream:
    """Iterates a binary stream by lines, hashing and counting the bytes on the way (one pass)."""

    def __init__(self, stream: BinaryIO, max_bytes: int | None = None):
        self.stream, self.max_bytes = stream, max_bytes
        self.sha256 = hashlib.sha256()
        self.size = 0

    def __iter__(self):
        for line in self.stream:
            self.size += len(line)
            if self.max_bytes is not None and self.size > self.max_bytes:
                raise mef_reader.MefFileProblem(
                    f"El archivo supera el máximo de {self.max_bytes // 1048576} MB para esta carga.")
            self.sha256.update(line)
            yield line


def _money(cents: int) -> str:
    return f"{(Decimal(cents) * CENT).quantize(CENT):.2f}"


class MefExecutionImport(ImportKind):
    key = "mef-ejecucion"
    title = "Ejecución presupuestal MEF"
    description = ("Cargue el archivo de datos abiertos de MEF «Presupuesto y ejecución de gasto» (CSV): actualiza "
                   "PIM, devengado y girado de los proyectos por CUI y año, con su procedencia.")
    sheet_name = "Gasto"
    permission = "imports.mef"
    streaming = True
    confirm_label = "Confirmar y registrar cifras de MEF"
    confirm_question = "¿Registrar las cifras de MEF? Se agregará una nueva versión por proyecto y año que cambió."
    nothing_message = "Las cifras de MEF de los proyectos de la cartera ya están registradas tal cual: no hay cambios."
    tile_labels = {CREATE: "Años nuevos", UPDATE: "Años que cambian", UNCHANGED: "Sin cambios"}
    done_counts = {CREATE: "años nuevos", UPDATE: "años actualizados", UNCHANGED: "sin cambios"}
    groups = {KNOWN: "Proyectos de la cartera", UNKNOWN: "CUI del archivo que no están en la cartera"}
    columns = tuple(Column(c.key, c.header, "text", required=c.required, help=c.meaning,
                           example={"year": "2026", "month": "6", "cui": "2456789", "kind": "2"}.get(c.key, "0.00"))
                    for c in mef_reader.COLUMNS)
    help_notes = (
        "Los encabezados se reconocen sin distinguir mayúsculas ni tildes; las demás columnas del archivo de MEF se "
        "ignoran. Se acepta UTF-8 o Latin-1 y separador coma, punto y coma, tabulador o barra vertical.",
        "Devengado y girado se suman mes a mes; PIA, PIM, certificado y compromiso anual se toman del último mes "
        "que los informa. Cada año de cada proyecto guarda una versión nueva solo si sus cifras cambiaron.",
        "El archivo se lee en una sola pasada sin cargarlo entero: puede ser el archivo nacional del año.",
    )

    def label_for(self, action: Action) -> str:
        if action.group == UNKNOWN:
            return "CUI no registrado"
        return {CREATE: "Año nuevo", UPDATE: "Cambia"}.get(action.action, action.label)

    def done_label_for(self, action: Action) -> str:
        if action.group == UNKNOWN:
            return "CUI no registrado"
        return {CREATE: "Registrado", UPDATE: "Nueva versión"}.get(action.action, action.label)

    # -- reading ------------------------------------------------------------------------------------
    def read_stream(self, stream: BinaryIO, *, max_bytes: int | None = None
                    ) -> tuple[str, list[dict[str, Any]], list[Issue], dict[str, Any]]:
        """(sha256, aggregated rows, errors, reading facts) of one pass over the file."""
        from portfolio.projects.models import Project

        wanted = set(db.session.scalars(select(Project.cui).where(Project.cui.is_not(None))))
        hashing = HashingStream(stream, max_bytes)
        try:
            result = mef_reader.read(hashing, wanted=wanted)
        except mef_reader.MefFileProblem as exc:
            return hashing.sha256.hexdigest(), [], [Issue(None, "", "", exc.message)], {}
        this_year = clock.today().year
        errors = [Issue(row, column, value, message) for row, column, value, message in result.errors]
        rows: list[dict[str, Any]] = []
        for (cui, year), item in sorted(result.figures.items()):
            if year > this_year:
                errors.append(Issue(item.first_row, "ANO_EJE", str(year), f"El año {year} es futuro."))
                continue
            amounts = item.amounts()
            rows.append({"_row": item.first_row, "_ok": True, "cui": cui, "year": year, "month": item.last_month,
                         "first_row": item.first_row, "last_row": item.last_row, "rows": item.rows,
                         "executor": item.executor, "sec_ejec": item.sec_ejec[:20], "level": item.level[:60],
                         **{k: _money(amounts[k]) for k in FIGURES}})
        unknown = sorted(result.unknown.items(), key=lambda kv: (-abs(kv[1][1]), kv[0]))
        for (cui, year), (count, dev, gir, first, last, executor) in unknown[:UNKNOWN_LIMIT]:
            rows.append({"_row": first, "_ok": True, "unknown": True, "cui": cui, "year": year, "rows": count,
                         "first_row": first, "last_row": last, "executor": executor,
                         "devengado": _money(dev), "girado": _money(gir)})
        facts = {"rows": result.rows, "encoding": result.encoding, "delimiter": result.delimiter,
                 "bytes": hashing.size, "activities": result.skipped_activities, "no_cui": result.skipped_no_cui,
                 "unknown_total": len(result.unknown), "unknown_listed": min(len(unknown), UNKNOWN_LIMIT),
                 "error_count": result.error_count + (len(errors) - len(result.errors)),
                 "missing_optional": result.missing_optional}
        return hashing.sha256.hexdigest(), rows, errors, facts

    # -- planning -------------------------------------------------------------------------------------
    def plan(self, rows: Sequence[dict[str, Any]], user) -> Plan:
        from portfolio.mef.queries import current_by_project
        from portfolio.projects.models import Project

        plan = Plan()
        known = [r for r in rows if not r.get("unknown")]
        cuis = {r["cui"] for r in known}
        projects = {p.cui: p for p in db.session.scalars(select(Project).where(Project.cui.in_(cuis)))} if cuis else {}
        current = current_by_project(p.id for p in projects.values())
        for row in known:
            project = projects.get(row["cui"])
            where = f"filas {row['first_row']}–{row['last_row']} ({row['rows']})"
            if project is None:
                plan.errors.append(Issue(row["_row"], "PRODUCTO_PROYECTO", row["cui"],
                                         "Ese CUI ya no está en la cartera (cambió después de subir el archivo)."))
                continue
            figures = {k: Decimal(row[k]) for k in FIGURES}
            before = current.get(project.id, {}).get(row["year"])
            if before is None:
                action, detail = CREATE, self._describe(figures)
            elif before.figures() == figures:
                action, detail = UNCHANGED, f"Igual a la versión {before.version}"
            else:
                action = UPDATE
                detail = "; ".join(f"{FIGURE_LABELS[k]} {format_money(getattr(before, k))} → {format_money(v)}"
                                   for k, v in figures.items() if getattr(before, k) != v)
            plan.actions.append(Action(row["_row"], action, f"CUI {row['cui']} · {row['year']} · {project.name[:80]}",
                                       f"{detail} · {where}", group=KNOWN,
                                       data={"project_id": project.id, "row": row}))
        for row in rows:
            if row.get("unknown"):
                plan.actions.append(Action(
                    row["_row"], INFO, f"CUI {row['cui']} · {row['year']}{' · ' + row['executor'] if row['executor'] else ''}",
                    f"Devengado {format_money(Decimal(row['devengado']))} · girado {format_money(Decimal(row['girado']))}"
                    f" · filas {row['first_row']}–{row['last_row']} ({row['rows']})", group=UNKNOWN))
        return plan

    @staticmethod
    def _describe(figures: dict[str, Decimal]) -> str:
        return " · ".join(f"{FIGURE_LABELS[k]} {format_money(figures[k])}" for k in ("pim", "devengado", "girado"))

    # -- applying -------------------------------------------------------------------------------------
    def apply(self, plan: Plan, user, *, batch_id: int) -> dict[str, int]:
        from portfolio.imports.models import ImportBatch
        from portfolio.imports.services import row_error
        from portfolio.mef.services import record_execution
        from portfolio.projects.models import Project

        batch = db.session.get(ImportBatch, batch_id)
        counts = {"años nuevos": 0, "años actualizados": 0}
        for action in plan.actions:
            if action.action not in (CREATE, UPDATE):
                continue
            row = action.data["row"]
            try:
                record_execution(
                    project=db.session.get(Project, action.data["project_id"]), year=row["year"],
                    figures={k: Decimal(row[k]) for k in FIGURES},
                    provenance={"batch_id": batch_id, "source_file": batch.filename, "source_sha256": batch.sha256,
                                "first_row": row["first_row"], "last_row": row["last_row"], "row_count": row["rows"],
                                "through_month": row["month"], "executor": row.get("executor") or None,
                                "sec_ejec": row.get("sec_ejec") or None, "level": row.get("level") or None},
                    actor=user)
            except DomainError as exc:
                raise row_error(action.row, exc) from exc
            counts["años nuevos" if action.action == CREATE else "años actualizados"] += 1
        return counts
