"""Excel export of the quarterly indicators report (the report page's own query, same filters)."""
from __future__ import annotations

from sqlalchemy import func, select

from portfolio import db
from portfolio.exports.registry import ExportRequest, list_export, register_export
from portfolio.exports.xlsx import Column, Table
from portfolio.indicators import services
from portfolio.indicators.models import LEVELS, QUARTERS, STATUSES, Indicator
from portfolio.indicators.vocab import IndicatorStatus

COLUMNS = [
    Column("code", "Código", width=12),
    Column("name", "Indicador", width=45),
    Column("unit", "Unidad", width=24),
    Column("direction", "Sentido", width=16),
    Column("level", "Nivel de gobierno", width=14),
    Column("owner", "Responsable", width=36),
    Column("baseline", "Línea de base", "number"),
    Column("baseline_year", "Año base", "int"),
    Column("target", "Meta del año", "number"),
    Column("value", "Valor del trimestre", "number"),
    Column("version", "Versión", "int"),
    Column("status", "Estado", width=14),
    Column("source", "Fuente", width=40),
    Column("measured_on", "Fecha de medición", "date"),
]


def period(params) -> tuple[int, int]:
    year, quarter = services.latest_quarter()
    try:
        y, q = int(params.get("anio", year)), int(params.get("trimestre", quarter))
    except ValueError:
        return year, quarter
    return (y, q) if 1990 <= y <= 2100 and q in QUARTERS else (year, quarter)


def _sheets(req: ExportRequest):
    year, quarter = period(req.params)
    level = req.params.get("nivel") if req.params.get("nivel") in LEVELS else None
    rows = services.quarter_report(year, quarter, level=level)
    data = ((r.indicator.code, r.indicator.name, r.indicator.unit, r.indicator.direction_label,
             r.indicator.level_label, r.owner_name, r.indicator.baseline_value, r.indicator.baseline_year, r.target,
             r.value, r.version, STATUSES[r.status], r.source, r.measured_on) for r in rows)
    filters = [("Periodo", f"{QUARTERS[quarter]} {year}"), ("Nivel de gobierno", LEVELS.get(level, "Todos"))]
    counts = services.status_counts(rows)
    extra = [(STATUSES[key], counts[key]) for key in IndicatorStatus]
    return [Table(f"Indicadores T{quarter} {year}", COLUMNS, data),
            req.notes_sheet("Reporte trimestral de indicadores", filters, extra=extra)]


def _count(req: ExportRequest) -> int:
    return db.session.scalar(select(func.count(Indicator.id)))


def register_builtin() -> None:
    register_export(list_export("indicators_report", "Reporte trimestral de indicadores", "indicators.view", _sheets,
                                count=_count, back_endpoint="indicators.report", filename="indicadores"))
