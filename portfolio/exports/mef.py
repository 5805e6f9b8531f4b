"""The MEF workbook: *Resumen* (key figures and native charts), each half's sheets, *Notas*.

Filters (all optional but the cut-off, which defaults to today in Lima): ``corte`` (cut-off date),
``anio`` and ``trimestre`` (the period), ``entidad`` (a public entity id), ``nivel`` (level of government),
``region`` (INEI department code). :func:`parse_filters` refuses impossible values with a Spanish message
naming the field, so a bad filter is a form error, never a 500.

The workbook is assembled from *sections* (see the module docstring of portfolio.exports.registry):
this module registers the organisations section; the projects and trust halves register theirs.
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import func, select

from portfolio import clock, db
from portfolio.exports.registry import ExportInputError, ExportRequest, ExportSpec, Viewer, register_export
from portfolio.exports.xlsx import Block, Chart, Column, Sheet, Summary
from portfolio.formatting import format_date
from portfolio.orgs import ubigeo
from portfolio.orgs.models import LEVELS, SECTORS, Company, EntityCap, PublicEntity

FIRST_YEAR = 2008  # Ley 29230
QUARTERS = {1: (1, 3), 2: (4, 6), 3: (7, 9), 4: (10, 12)}
FILTER_KEYS = ("corte", "anio", "trimestre", "entidad", "nivel", "region")


@dataclass(frozen=True)
class MefFilters:
    cutoff: dt.date
    year: int | None = None
    quarter: int | None = None
    entity_id: int | None = None
    entity_name: str | None = None
    level: str | None = None
    region: str | None = None

    @property
    def period_start(self) -> dt.date | None:
        if self.year is None:
            return None
        month = QUARTERS[self.quarter][0] if self.quarter else 1
        return dt.date(self.year, month, 1)

    @property
    def period_end(self) -> dt.date:
        """Last day counted: the end of the period, never after the cut-off."""
        if self.year is None:
            return self.cutoff
        last_month = QUARTERS[self.quarter][1] if self.quarter else 12
        end = dt.date(self.year + (last_month == 12), last_month % 12 + 1, 1) - dt.timedelta(days=1)
        return min(end, self.cutoff)

    @property
    def cap_year(self) -> int:
        return self.year if self.year is not None else self.cutoff.year

    def describe(self) -> list[tuple[str, str]]:
        lines = []
        if self.year is not None:
            period = f"{self.quarter}.º trimestre de {self.year}" if self.quarter else f"Año {self.year}"
            lines.append(("Periodo", f"{period} ({format_date(self.period_start)} – {format_date(self.period_end)})"))
        if self.entity_id is not None:
            lines.append(("Entidad", self.entity_name or str(self.entity_id)))
        if self.level:
            lines.append(("Nivel de gobierno", LEVELS[self.level]))
        if self.region:
            lines.append(("Región", ubigeo.department_name(self.region) or self.region))
        return lines


def _parse_date(raw: str, label: str, field_name: str) -> dt.date:
    raw = raw.strip()
    match = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", raw)
    try:
        if match:
            day, month, year = (int(g) for g in match.groups())
            return dt.date(year, month, day)
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
            return dt.date.fromisoformat(raw)
    except ValueError:
        pass
    raise ExportInputError(f"La {label} «{raw[:20]}» no es una fecha válida (use dd/mm/aaaa).", field=field_name)


def _parse_int(raw: str, message: str, field_name: str) -> int:
    raw = raw.strip()
    if not re.fullmatch(r"\d{1,9}", raw):
        raise ExportInputError(message, field=field_name)
    return int(raw)


def parse_filters(args: Mapping[str, str], today: dt.date | None = None) -> MefFilters:
    """Validate the MEF workbook's filters; ExportInputError (Spanish, with the field) on any bad value."""
    today = today or clock.today()

    def value(key: str) -> str:
        return (args.get(key) or "").strip()[:40]

    cutoff = today
    if value("corte"):
        cutoff = _parse_date(value("corte"), "fecha de corte", "corte")
        if cutoff > today:
            raise ExportInputError("La fecha de corte no puede ser posterior a hoy.", field="corte")
        if cutoff.year < FIRST_YEAR:
            raise ExportInputError(f"La fecha de corte debe ser de {FIRST_YEAR} en adelante.", field="corte")
    year = quarter = None
    if value("anio"):
        year = _parse_int(value("anio"), "El año debe ser un número de cuatro cifras.", "anio")
        if not FIRST_YEAR <= year <= cutoff.year:
            raise ExportInputError(f"El año debe estar entre {FIRST_YEAR} y {cutoff.year} (el año de la fecha de corte).",
                                   field="anio")
    if value("trimestre"):
        quarter = _parse_int(value("trimestre"), "El trimestre debe ser 1, 2, 3 o 4.", "trimestre")
        if quarter not in QUARTERS:
            raise ExportInputError("El trimestre debe ser 1, 2, 3 o 4.", field="trimestre")
        if year is None:
            raise ExportInputError("Para filtrar por trimestre elija también el año.", field="anio")
        if dt.date(year, QUARTERS[quarter][0], 1) > cutoff:
            raise ExportInputError("El trimestre elegido empieza después de la fecha de corte.", field="trimestre")
    level = value("nivel") or None
    if level is not None and level not in LEVELS:
        raise ExportInputError("Nivel de gobierno desconocido.", field="nivel")
    region = value("region") or None
    if region is not None and (not re.fullmatch(r"\d{2}", region) or ubigeo.department_name(region) is None):
        raise ExportInputError("Región desconocida: elija un departamento de la lista.", field="region")
    entity_id = entity_name = None
    if value("entidad"):
        entity_id = _parse_int(value("entidad"), "La entidad pública elegida no existe.", "entidad")
        entity = db.session.get(PublicEntity, entity_id) if entity_id <= 2**31 - 1 else None
        if entity is None:
            raise ExportInputError("La entidad pública elegida no existe.", field="entidad")
        if level is not None and entity.level != level:
            raise ExportInputError("La entidad elegida no pertenece al nivel de gobierno elegido.", field="entidad")
        # a national entity (INPE, MININTER…) works in every region: its projects there are a fair question
        if region is not None and entity.level != "nacional" and not (entity.ubigeo or "").startswith(region):
            raise ExportInputError("La entidad elegida no está en la región elegida.", field="entidad")
        entity_name = entity.name
    return MefFilters(cutoff=cutoff, year=year, quarter=quarter, entity_id=entity_id, entity_name=entity_name,
                      level=level, region=region)


def filters_to_params(filters: MefFilters) -> dict[str, str]:
    params = {"corte": filters.cutoff.isoformat()}
    for key, val in (("anio", filters.year), ("trimestre", filters.quarter), ("entidad", filters.entity_id),
                     ("nivel", filters.level), ("region", filters.region)):
        if val is not None:
            params[key] = str(val)
    return params


@dataclass
class MefContext:
    request: ExportRequest
    filters: MefFilters

    @property
    def viewer(self) -> Viewer:
        return self.request.viewer

    def entity_scope(self, query, entity_table=PublicEntity):
        """Apply the entity / level / region filters to a query that joins public entities."""
        f = self.filters
        if f.entity_id is not None:
            query = query.where(entity_table.id == f.entity_id)
        if f.level:
            query = query.where(entity_table.level == f.level)
        if f.region:
            query = query.where(entity_table.ubigeo.like(f"{f.region}%"))
        return query


SummaryProvider = Callable[[MefContext], Sequence[tuple[Block, Sequence[Chart]]]]
SheetsProvider = Callable[[MefContext], Iterable[Sheet]]
NotesProvider = Callable[[MefContext], Sequence[tuple[str, str]]]


@dataclass(order=True)
class MefSection:
    order: int
    key: str = field(compare=False)
    summary: SummaryProvider | None = field(default=None, compare=False)
    sheets: SheetsProvider | None = field(default=None, compare=False)
    notes: NotesProvider | None = field(default=None, compare=False)  # extra lines for *Notas*


_SECTIONS: dict[str, MefSection] = {}


def register_mef_section(key: str, order: int, *, summary: SummaryProvider | None = None,
                         sheets: SheetsProvider | None = None, notes: NotesProvider | None = None) -> None:
    _SECTIONS[key] = MefSection(order=order, key=key, summary=summary, sheets=sheets, notes=notes)


def sections() -> list[MefSection]:
    return sorted(_SECTIONS.values())


# --- the organisations section (what the foundation holds) ------------------------------------------

LEVEL_COLUMNS = [
    Column("level", "Nivel de gobierno"),
    Column("certificate", "Certificado"),
    Column("entities", "Entidades", "int", total=True),
    Column("cap_prev", "Tope CIPRL año anterior", "money", total=True),
    Column("cap", "Tope CIPRL del año", "money", total=True),
    Column("change", "Variación", "money", total=True, formula="{cap}-{cap_prev}"),
]
ENTITY_CAP_COLUMNS = [
    Column("entity", "Entidad"),
    Column("level", "Nivel de gobierno"),
    Column("cap_prev", "Tope CIPRL año anterior", "money", total=True),
    Column("cap", "Tope CIPRL del año", "money", total=True),
    Column("change", "Variación", "money", total=True, formula="{cap}-{cap_prev}"),
]
SECTOR_COLUMNS = [Column("sector", "Sector"), Column("companies", "Empresas", "int", total=True)]


def _caps_by_entity(ctx: MefContext, year: int) -> dict[int, Decimal]:
    query = ctx.entity_scope(select(EntityCap.entity_id, EntityCap.amount).join(PublicEntity)
                             .where(EntityCap.year == year))
    return dict(db.session.execute(query).all())


def organisations_summary(ctx: MefContext) -> list[tuple[Block, Sequence[Chart]]]:
    year = ctx.filters.cap_year
    entities = db.session.execute(ctx.entity_scope(
        select(PublicEntity.id, PublicEntity.name, PublicEntity.level).where(PublicEntity.active.is_(True))
        .order_by(PublicEntity.name))).all()
    caps, caps_prev = _caps_by_entity(ctx, year), _caps_by_entity(ctx, year - 1)

    by_level = []
    for level, label in LEVELS.items():
        ids = [e.id for e in entities if e.level == level]
        if not ids:
            continue
        cap = sum((caps[i] for i in ids if i in caps), Decimal("0.00")) if level != "nacional" else None
        prev = sum((caps_prev[i] for i in ids if i in caps_prev), Decimal("0.00")) if level != "nacional" else None
        change = cap - prev if cap is not None else None
        by_level.append((label, "CIPGN" if level == "nacional" else "CIPRL", len(ids), prev, cap, change))

    cap_rows = []
    for e in entities:
        if e.id in caps or e.id in caps_prev:
            cap, prev = caps.get(e.id), caps_prev.get(e.id)
            cap_rows.append((e.name, LEVELS[e.level], prev, cap, (cap or 0) - (prev or 0)))

    company_query = select(Company.sector, func.count()).where(Company.active.is_(True)).group_by(Company.sector)
    if ctx.filters.region:
        company_query = company_query.where(Company.ubigeo.like(f"{ctx.filters.region}%"))
    sectors = [(SECTORS.get(sector, sector), count) for sector, count in db.session.execute(company_query).all()]
    sectors.sort(key=lambda row: (-row[1], row[0]))

    level_columns = [c if c.key not in ("cap", "cap_prev") else
                     Column(c.key, f"Tope CIPRL {year if c.key == 'cap' else year - 1}", "money", total=True)
                     for c in LEVEL_COLUMNS]
    entity_columns = [c if c.key not in ("cap", "cap_prev") else
                      Column(c.key, f"Tope CIPRL {year if c.key == 'cap' else year - 1}", "money", total=True)
                      for c in ENTITY_CAP_COLUMNS]
    return [
        (Block("Entidades públicas activas por nivel de gobierno", level_columns, by_level),
         [Chart("Entidades por nivel de gobierno", 0, "level", ["entities"], y_title="Entidades")]),
        (Block(f"Topes CIPRL por entidad ({year - 1} y {year})", entity_columns, cap_rows),
         [Chart(f"Topes CIPRL {year - 1} y {year}", 0, "entity", ["cap_prev", "cap"], kind="bar")]),
        (Block("Empresas activas por sector", SECTOR_COLUMNS, sectors),
         [Chart("Empresas por sector", 0, "sector", ["companies"], kind="pie")]),
    ]


register_mef_section("organisations", 0, summary=organisations_summary)


# --- the workbook -------------------------------------------------------------------------------------

def parse(args: Mapping[str, str], viewer: Viewer) -> dict[str, str]:
    return filters_to_params(parse_filters(args))


def build(req: ExportRequest) -> list[Sheet]:
    # The job re-validates: an entity deleted since the request is a clear failure, not a wrong workbook.
    filters = parse_filters(req.params, today=max(clock.today(), clock.local_date(req.generated_at)))
    ctx = MefContext(request=req, filters=filters)
    blocks: list[Block] = []
    charts: list[Chart] = []
    extra_sheets: list[Sheet] = []
    extra_notes: list[tuple[str, str]] = []
    for section in sections():
        if section.notes is not None:
            extra_notes.extend(section.notes(ctx))
        if section.summary is not None:
            for block, block_charts in section.summary(ctx):
                index = len(blocks)
                blocks.append(block)
                charts.extend(Chart(c.title, index, c.categories, c.values, c.kind, c.y_title) for c in block_charts)
        if section.sheets is not None:
            extra_sheets.extend(section.sheets(ctx))
    lines = [("Fecha de corte", filters.cutoff), *filters.describe()]
    resumen = Summary(name="Resumen", heading="Cartera de seguridad ciudadana — La Libertad: resumen para el MEF",
                      lines=lines, blocks=blocks, charts=charts)
    notes = req.notes_sheet("Libro MEF", filters.describe(), cutoff=filters.cutoff,
                            extra=[("Hojas", ", ".join(["Resumen", *[s.name for s in extra_sheets], "Notas"])),
                                   *extra_notes])
    return [resumen, *extra_sheets, notes]


def register_builtin() -> None:
    register_export(ExportSpec(name="mef", label="Libro MEF", permission="exports.mef", build=build, parse=parse,
                               filename="libro_mef", always_background=True))


def level_choices() -> list[tuple[str, str]]:
    return list(LEVELS.items())


def entity_choices() -> list[tuple[int, str]]:
    return [(e.id, e.name) for e in db.session.execute(select(PublicEntity.id, PublicEntity.name)
                                                       .order_by(PublicEntity.name)).all()]

