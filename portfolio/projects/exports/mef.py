"""The projects section of the MEF workbook: which projects, their state at the cut-off, the Resumen blocks.

**What the filters mean for projects** (also written on the *Notas* sheet):

- *Effective date* E = the end of the chosen year/quarter, never after the cut-off (``filters.period_end``);
  without a period it is the cut-off. Every sheet shows the portfolio **as it stood on E**: a project counts
  when it was prioritised on or before E (or, with no prioritisation date, registered in the system by then);
  its stage is the one recorded in its stage history at E; key dates after E are left empty; the current
  convenio is the awarded amount plus the monetary variations approved by E; certificates, milestones and
  budget revisions dated after E are left out.
- *Year or quarter*: the dated sheets (*Variaciones*, *Hitos*, *Certificados*) list only rows dated inside
  the period; *Proyectos* adds the certificates issued in the period.
- *Entity* and *level*: the project's public entity.
- *Region*: the department of the project's location (ubigeo). A **multidepartmental project belongs to no
  single region**: its amounts cannot be split between departments, so a region-filtered workbook leaves it
  out (the *Notas* sheet says how many were left out); without a region filter it is included as
  "Multidepartamental".
- Budget execution (devengado, girado) and a certificate's status have no history in the system: they are the
  current figures.

Children are loaded per batch of projects (a fixed number of statements per batch), never one query per row.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal

from sqlalchemy import Select, and_, case, exists, func, or_, select, type_coerce
from sqlalchemy.orm import selectinload

from portfolio import db
from portfolio.db import Money
from portfolio.exports.mef import MefContext, register_mef_section
from portfolio.exports.xlsx import Block, Chart, Column
from portfolio.formatting import format_date
from portfolio.orgs.models import LEVELS, PublicEntity
from portfolio.projects import queries, stages
from portfolio.projects.models import (
    LIVE_CERTIFICATE_STATUSES,
    Certificate,
    Milestone,
    Project,
    ProjectLocation,
    StageTransition,
    Variation,
)
from portfolio.projects.queries import end_of_day_utc
from portfolio.projects.vocab import ACCEPTED_MILESTONE_STATUSES

ZERO = Decimal("0.00")
BATCH = 500
PCT_PLACES = Decimal("0.0001")


def effective_date(ctx: MefContext) -> dt.date:
    return ctx.filters.period_end


def in_scope(ctx: MefContext, query: Select) -> Select:
    """Restrict a query over ``Project`` to the workbook's projects (filters, existence at E, viewer scope)."""
    f = ctx.filters
    end = effective_date(ctx)
    query = queries.scoped(query, ctx.viewer)
    if f.entity_id is not None:
        query = query.where(Project.entity_id == f.entity_id)
    if f.level:
        query = query.where(Project.entity_id.in_(select(PublicEntity.id).where(PublicEntity.level == f.level)))
    if f.region:
        query = query.where(Project.multidepartmental.is_(False),
                            exists().where(ProjectLocation.project_id == Project.id,
                                           ProjectLocation.ubigeo.like(f"{f.region}%")))
    return query.where(or_(Project.prioritized_on <= end,
                           and_(Project.prioritized_on.is_(None), Project.created_at < end_of_day_utc(end))))


def project_ids(ctx: MefContext) -> Select:
    return in_scope(ctx, select(Project.id))


def left_out_multidepartmental(ctx: MefContext) -> int:
    """Multidepartmental projects a region filter leaves out (said on the *Notas* sheet)."""
    if not ctx.filters.region:
        return 0
    without_region = MefContext(request=ctx.request, filters=replace(ctx.filters, region=None))
    query = in_scope(without_region, select(func.count(Project.id))).where(Project.multidepartmental.is_(True))
    return db.session.scalar(query) or 0


@dataclass
class ProjectState:
    """A project as it stood on the effective date E."""

    project: Project
    stage: str
    awarded: Decimal | None
    variations: Decimal = ZERO
    later_days: int = 0  # plazo adendas approved after E (the project's term already includes them)
    certified: Decimal = ZERO
    certified_period: Decimal = ZERO
    certificates: list[tuple[dt.date, Decimal]] = field(default_factory=list)
    physical_planned: Decimal | None = None
    physical_actual: Decimal | None = None
    financial_planned: Decimal | None = None
    financial_actual: Decimal | None = None

    @property
    def current(self) -> Decimal | None:
        return None if self.awarded is None else self.awarded + self.variations

    @property
    def weight(self) -> Decimal:
        """The amount the project weighs in the pipeline: current convenio if awarded, else the reference."""
        if self.awarded is not None:
            return self.current
        return self.project.reference_amount or ZERO


def _batches(iterator, size: int) -> Iterator[list]:
    batch = []
    for item in iterator:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _fraction(hundredths: int | None) -> Decimal | None:
    return None if hundredths is None else (Decimal(hundredths) / 10000).quantize(PCT_PLACES)


def _share(part: Decimal, whole: Decimal | None) -> Decimal | None:
    if not whole:
        return None
    return (part / whole).quantize(PCT_PLACES)


def project_states(ctx: MefContext) -> Iterator[ProjectState]:
    """Every project of the workbook with its state at E, streamed; children loaded once per batch."""
    end = effective_date(ctx)
    end_utc = end_of_day_utc(end)
    start = ctx.filters.period_start
    query = (in_scope(ctx, select(Project)).options(selectinload(Project.members), selectinload(Project.locations))
             .order_by(Project.name, Project.id))
    for batch in _batches(ctx.request.stream(query), BATCH):
        ids = [p.id for p in batch]
        history: dict[int, list] = defaultdict(list)
        for row in db.session.execute(select(StageTransition.project_id, StageTransition.from_stage,
                                             StageTransition.to_stage, StageTransition.at)
                                      .where(StageTransition.project_id.in_(ids))
                                      .order_by(StageTransition.project_id, StageTransition.at, StageTransition.id)):
            history[row.project_id].append(row)
        by_then = Variation.approved_on <= end
        variations = {row.project_id: row for row in db.session.execute(
            select(Variation.project_id,
                   type_coerce(func.sum(case((by_then, Variation.amount_delta), else_=0)), Money).label("amount"),
                   func.sum(case((by_then, 0), else_=Variation.days_delta)).label("later_days"))
            .where(Variation.project_id.in_(ids)).group_by(Variation.project_id))}
        milestones: dict[int, list] = defaultdict(list)
        for row in db.session.execute(select(Milestone.project_id, Milestone.planned_date, Milestone.actual_date,
                                             Milestone.planned_physical, Milestone.actual_physical, Milestone.amount,
                                             Milestone.status, Milestone.conformity_date)
                                      .where(Milestone.project_id.in_(ids))
                                      .order_by(Milestone.project_id, Milestone.planned_date, Milestone.id)):
            milestones[row.project_id].append(row)
        certificates: dict[int, list] = defaultdict(list)
        for row in db.session.execute(select(Certificate.project_id, Certificate.issue_date, Certificate.amount)
                                      .where(Certificate.project_id.in_(ids), Certificate.issue_date <= end,
                                             Certificate.status.in_(LIVE_CERTIFICATE_STATUSES))):
            certificates[row.project_id].append((row.issue_date, row.amount))
        for project in batch:
            yield _state(project, end, end_utc, start, history[project.id], variations.get(project.id),
                         milestones[project.id], certificates[project.id])


def _stage_at(project: Project, history: Sequence, end_utc: dt.datetime) -> str:
    if not history:
        return project.stage
    reached = [t for t in history if t.at < end_utc]
    if reached:
        return reached[-1].to_stage
    return history[0].from_stage or stages.INITIAL_STAGE


def _state(project, end, end_utc, start, history, variation, milestones, certificates) -> ProjectState:
    awarded = project.awarded_amount
    if awarded is not None and project.awarded_on is not None and project.awarded_on > end:
        awarded = None
    state = ProjectState(project=project, stage=_stage_at(project, history, end_utc), awarded=awarded)
    if variation is not None:
        state.later_days = int(variation.later_days or 0)
        if awarded is not None:
            state.variations = variation.amount or ZERO
    state.certificates = certificates
    state.certified = sum((amount for _, amount in certificates), ZERO)
    if start is not None:
        state.certified_period = sum((amount for day, amount in certificates if day >= start), ZERO)
    planned = [m for m in milestones if m.planned_date <= end]
    done = [m for m in milestones if m.actual_date is not None and m.actual_date <= end]
    planned_physical = [m.planned_physical for m in planned if m.planned_physical is not None]
    actual_physical = [m.actual_physical for m in done if m.actual_physical is not None]
    state.physical_planned = _fraction(planned_physical[-1]) if planned_physical else None
    state.physical_actual = _fraction(max(actual_physical)) if actual_physical else None
    current = state.current
    if current:
        state.financial_planned = _share(sum((m.amount or ZERO for m in planned), ZERO), current)
        accepted = sum((m.amount or ZERO for m in milestones if m.conformity_date is not None
                        and m.conformity_date <= end and m.status in ACCEPTED_MILESTONE_STATUSES), ZERO)
        state.financial_actual = _share(accepted, current)
    return state


# --- Resumen ------------------------------------------------------------------------------------------

STAGE_COLUMNS = [Column("stage", "Etapa"), Column("count", "Proyectos", "int", total=True),
                 Column("amount", "Monto (convenio vigente o referencial)", "money", total=True)]
ENTITY_COLUMNS = [Column("entity", "Entidad"), Column("level", "Nivel de gobierno"), Column("type", "Certificado"),
                  Column("count", "Proyectos", "int", total=True),
                  Column("reference", "Monto referencial", "money", total=True),
                  Column("current", "Convenio vigente", "money", total=True),
                  Column("certified", "Certificados a la fecha", "money", total=True)]
CAP_COLUMNS = [Column("entity", "Entidad"), Column("year", "Año", "int"),
               Column("cap", "Tope CIPRL", "money", total=True),
               Column("committed", "Comprometido (convenios del año)", "money", total=True),
               Column("issued", "Certificados emitidos en el año", "money", total=True),
               Column("prior", "De ellos, de convenios de años anteriores", "money", total=True),
               Column("remaining", "Saldo del tope", "money", total=True, formula="{cap}-{committed}-{prior}")]


def projects_summary(ctx: MefContext) -> list[tuple[Block, Sequence[Chart]]]:
    by_stage: dict[str, list] = {stage: [0, ZERO] for stage in stages.STAGES}
    by_entity: dict[int, list] = {}
    for state in project_states(ctx):
        p = state.project
        row = by_stage.setdefault(state.stage, [0, ZERO])
        row[0] += 1
        row[1] += state.weight
        entity = by_entity.setdefault(p.entity_id, [p.entity.name, p.entity.level, p.entity.certificate_type,
                                                    0, ZERO, ZERO, ZERO])
        entity[3] += 1
        entity[4] += p.reference_amount or ZERO
        entity[5] += state.current or ZERO
        entity[6] += state.certified

    stage_rows = [(stages.label(stage), count, amount) for stage, (count, amount) in by_stage.items()
                  if count or stage in stages.MAIN_STAGES]
    level_order = list(LEVELS)
    entity_rows = [(name, LEVELS.get(level, level), cert, count, ref, cur, certified)
                   for name, level, cert, count, ref, cur, certified in
                   sorted(by_entity.values(), key=lambda r: (level_order.index(r[1]) if r[1] in level_order else 99,
                                                             r[0]))]
    return [
        (Block("Proyectos y montos por etapa", STAGE_COLUMNS, stage_rows),
         [Chart("Cartera por etapa", 0, "stage", ["amount"], y_title="Soles")]),
        (Block("Por entidad y nivel de gobierno", ENTITY_COLUMNS, entity_rows), []),
        (Block("Certificados emitidos vs topes CIPRL", CAP_COLUMNS, _cap_rows(ctx)),
         []),
    ]


def _cap_rows(ctx) -> list[tuple]:
    """One row per CIPRL entity (entity, level and region filters on the entity itself) and year up to E:
    the registered cap against what the cap rule counts as used on E (``queries.ciprl_cap_usage`` with
    ``as_of``, the function the certificate and convenio services check): convenios signed that year +
    certificates for convenios of earlier years. A cap is the whole entity's, so a region filter never
    splits its usage."""
    entities = ctx.entity_scope(select(PublicEntity.id))
    usage = queries.ciprl_cap_usage(year=ctx.filters.year, entity_ids=entities, as_of=effective_date(ctx))
    return [(u.name, u.year, u.cap, u.committed, u.issued, u.prior, (u.cap or ZERO) - u.used)
            for u in usage]


def projects_notes(ctx: MefContext) -> list[tuple[str, str]]:
    end = effective_date(ctx)
    lines = [
        ("Proyectos: fecha efectiva", f"Situación al {format_date(end)}: proyectos priorizados (o registrados) hasta esa "
         "fecha, etapa según su historial, fechas posteriores en blanco, convenio vigente = adjudicado + variaciones "
         "aprobadas hasta esa fecha."),
        ("Proyectos: periodo", "Variaciones, Hitos y Certificados listan solo lo fechado dentro del periodo elegido."
         if ctx.filters.year is not None else "Sin periodo: todo lo fechado hasta la fecha efectiva."),
        ("Proyectos: devengado, girado y estado de certificados",
         "Cifras actuales (el sistema no guarda su historial por fecha)."),
    ]
    if ctx.filters.region:
        lines.append(("Proyectos multidepartamentales",
                      f"No pertenecen a una sola región y no se incluyen al filtrar por región "
                      f"({left_out_multidepartmental(ctx)} proyecto(s) excluido(s))."))
    return lines


def register() -> None:
    from portfolio.projects.exports import mef_sheets

    register_mef_section("projects", 10, summary=projects_summary, sheets=mef_sheets.projects_sheets,
                         notes=projects_notes)
