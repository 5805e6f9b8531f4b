"""Excel exports of Obras por Impuestos, registered in the export framework (portfolio/exports/registry.py).

- ``projects``: the project list as the page shows it — the page's own query function
  (:func:`portfolio.projects.queries.project_list`) with its filters, sort and company scope, so the page and
  the file can never differ.
- the MEF workbook's projects section (order 10): Resumen blocks and the sheets *Proyectos*, *Presupuesto*,
  *Variaciones*, *Hitos* and *Certificados* (see :mod:`portfolio.projects.exports.mef`).
"""
from __future__ import annotations

from portfolio.exports.registry import ExportRequest, count_of, list_export, register_export
from portfolio.exports.xlsx import Column, Table
from portfolio.orgs import ubigeo
from portfolio.projects import queries, stages
from portfolio.projects.models import SECTORS

LIST_COLUMNS = [
    Column("cui", "CUI", width=10),
    Column("name", "Proyecto", width=60),
    Column("entity", "Entidad", width=36),
    Column("level", "Nivel de gobierno", width=20),
    Column("certificate", "Certificado", width=11),
    Column("stage", "Etapa", width=22),
    Column("sector", "Función", width=28),
    Column("location", "Ubicación", width=40),
    Column("members", "Empresas financistas (participación)", width=48),
    Column("assisted", "Asistencia ProInversión", width=12),
    Column("reference", "Monto referencial", "money", total=True),
    Column("awarded", "Monto adjudicado", "money", total=True),
    Column("current", "Convenio vigente", "money", total=True),
    Column("demo", "Datos demo", width=10),
]


def places(project) -> str:
    text = "; ".join(ubigeo.describe(code) for code in project.location_codes)
    if project.multidepartmental:
        text = "Multidepartamental" + (f"; {text}" if text else "")
    return text


def members_text(project) -> str:
    return "; ".join(f"{m.company.legal_name} ({m.share} %)" for m in project.members)


def _list_rows(req: ExportRequest, listing):
    for p in req.stream(listing.ordered(req.params)):
        yield (p.cui, p.name, p.entity.name, p.entity.level_label, p.certificate_type, stages.label(p.stage),
               SECTORS.get(p.sector, p.sector), places(p), members_text(p), "Sí" if p.proinversion_assisted else "No",
               p.reference_amount, p.awarded_amount, p.current_convenio_amount if p.awarded_amount is not None else None,
               "Sí" if p.is_demo else "No")


def _projects(req: ExportRequest):
    listing = queries.project_list(req.params, req.viewer)
    return [Table("Proyectos OxI", LIST_COLUMNS, _list_rows(req, listing)),
            req.notes_sheet("Proyectos de Obras por Impuestos", listing.notes)]


def register() -> None:
    from portfolio.projects.exports import mef

    mef.register()
    register_export(list_export("projects", "Proyectos de Obras por Impuestos", "projects.view", _projects,
                                count=count_of(queries.project_list), back_endpoint="projects.index", filename="proyectos_oxi"))
