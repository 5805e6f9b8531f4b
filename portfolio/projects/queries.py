"""Reading projects: the permission-aware getter, the scoped list with its filters, the pipeline and the
project page's data. Each loader issues a fixed number of statements whatever the number of rows."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import Select, exists, false, func, or_, select
from sqlalchemy.orm import selectinload

from portfolio import db
from portfolio.auth.policy import allows
from portfolio.auth.roles import COMPANY
from portfolio.domain_errors import NotFound
from portfolio.listing import ListQuery, text_value
from portfolio.money import money_sum
from portfolio.orgs import ubigeo
from portfolio.orgs.models import LEVELS, Company, PublicEntity
from portfolio.projects import chart, stages, tallies
from portfolio.projects.models import (
    LIVE_CERTIFICATE_STATUSES,
    SECTORS,
    BudgetLine,
    Certificate,
    Milestone,
    Project,
    ProjectLocation,
    ProjectMember,
    StageTransition,
    Variation,
)
from portfolio.read_cache import kept_rows

NOT_FOUND = "El proyecto no existe o no está a su alcance."


def scoped(query: Select, user: Any) -> Select:
    """Company users see only the projects their company finances or co-finances; other readers see all."""
    if user is None or not allows(user, "projects.view"):
        return query.where(false())
    if user.role == COMPANY:
        return query.where(exists().where(ProjectMember.project_id == Project.id,
                                          ProjectMember.company_id == user.company_id))
    return query


def get_project_or_404(project_id: int, user: Any) -> Project:
    """The project if ``user`` may see it; the same NotFound (404) for missing and out-of-scope projects."""
    query = scoped(select(Project).where(Project.id == project_id), user).options(
        selectinload(Project.members), selectinload(Project.locations))
    project = db.session.scalar(query)
    if project is None:
        raise NotFound(NOT_FOUND)
    return project


def get_child_or_404(model, child_id: int, project: Project):
    child = db.session.get(model, child_id)
    if child is None or child.project_id != project.id:
        raise NotFound("El registro no existe o no pertenece a este proyecto.")
    return child


def current_amount_expr():
    """SQL for the amount a project weighs in lists and the pipeline: current convenio, else reference
    (``Project.list_amount``, computed and indexed by the database; ``Project.current_amount`` in Python)."""
    return Project.list_amount


@dataclass
class Filters:
    q: str = ""
    stage: str = ""
    entity: int | None = None
    level: str = ""
    sector: str = ""
    region: str = ""
    company: int | None = None
    assisted: str = ""
    demo: str = ""


def financier_filter_choices(user: Any) -> list[CompanyChoice]:
    """The companies the list can be filtered by: none for a company user (its list is already its own
    company's projects), every active company for everyone else."""
    if user.role == COMPANY:
        return []
    rows = kept_rows(select(Company.id, Company.legal_name, Company.trade_name)
                     .where(Company.active.is_(True)).order_by(Company.legal_name))
    return [CompanyChoice(id, trade_name or legal_name) for id, legal_name, trade_name in rows]


def entity_filter_choices() -> list[EntityChoice]:
    """The public entities the list can be filtered by (active ones, by name), as plain rows (kept)."""
    rows = kept_rows(select(PublicEntity.id, PublicEntity.name, PublicEntity.short_name)
                     .where(PublicEntity.active.is_(True)).order_by(PublicEntity.name))
    return [EntityChoice(id, short_name or name) for id, name, short_name in rows]


class EntityChoice(NamedTuple):
    """An entity in the list's drop-down: its id and its short name (the full name when it has none)."""

    id: int
    display_name: str


class CompanyChoice(NamedTuple):
    """A company in a filter's drop-down: its id and the name people know it by (no ORM object to load)."""

    id: int
    display_name: str


def filtered(filters: Filters, user: Any) -> Select:
    query = scoped(select(Project), user)
    if filters.q:
        like = f"%{filters.q}%"
        query = query.where(or_(Project.cui.like(like), Project.name.ilike(like)))
    if filters.stage in stages.STAGES:
        query = query.where(Project.stage == filters.stage)
    if filters.entity:
        query = query.where(Project.entity_id == filters.entity)
    if filters.level:
        query = query.where(Project.entity_id.in_(select(PublicEntity.id).where(PublicEntity.level == filters.level)))
    if filters.sector:
        query = query.where(Project.sector == filters.sector)
    if filters.region == "multi":
        query = query.where(Project.multidepartmental.is_(True))
    elif filters.region.isdigit() and len(filters.region) == 2:
        query = query.where(exists().where(ProjectLocation.project_id == Project.id,
                                           ProjectLocation.ubigeo.like(f"{filters.region}%")))
    if filters.company:
        query = query.where(exists().where(ProjectMember.project_id == Project.id,
                                           ProjectMember.company_id == filters.company))
    if filters.assisted in ("si", "no"):
        query = query.where(Project.proinversion_assisted.is_(filters.assisted == "si"))
    if filters.demo in ("si", "no"):
        query = query.where(Project.is_demo.is_(filters.demo == "si"))
    return query.options(selectinload(Project.members), selectinload(Project.locations))


def changed_since(query: Select, since) -> Select:
    """Projects created, edited, moved to another stage or with a budget line, variation, milestone or
    certificate added or changed at or after ``since`` (UTC): what the project's API answer shows, from the
    audit trail."""
    from sqlalchemy import String, cast

    from portfolio.audit import AuditEntry

    def audited(table: str):
        return select(AuditEntry.object_id).where(AuditEntry.object_type == table, AuditEntry.at >= since)

    moved = select(StageTransition.project_id).where(StageTransition.at >= since)
    children = [select(child.project_id).where(cast(child.id, String).in_(audited(child.__tablename__)))
                for child in (BudgetLine, Variation, Milestone, Certificate)]
    return query.where(or_(Project.created_at >= since, cast(Project.id, String).in_(audited("projects")),
                           Project.id.in_(moved), *(Project.id.in_(c) for c in children)))


def _int_value(args: Mapping[str, str], name: str) -> int | None:
    raw = text_value(args, name, 12)
    return int(raw) if raw.isdigit() and 0 < int(raw) <= 2**31 - 1 else None


def filters_from(args: Mapping[str, str]) -> Filters:
    """The list's filters from ``args`` (the query string, or the arguments stored with an export job)."""
    return Filters(
        q=text_value(args, "q"), stage=text_value(args, "etapa", 30), entity=_int_value(args, "entidad"),
        level=text_value(args, "nivel", 20), sector=text_value(args, "sector", 30),
        region=text_value(args, "region", 5), company=_int_value(args, "empresa"),
        assisted=text_value(args, "proinversion", 2), demo=text_value(args, "demo", 2),
    )


def _notes(filters: Filters) -> list[tuple[str, str]]:
    """The applied filters in words, for the *Notas* sheet (values the query ignores are not listed)."""
    notes = []
    if filters.q:
        notes.append(("Búsqueda", filters.q))
    if filters.stage in stages.STAGES:
        notes.append(("Etapa", stages.label(filters.stage)))
    if filters.entity:
        notes.append(("Entidad", db.session.scalar(select(PublicEntity.name).where(PublicEntity.id == filters.entity))
                      or str(filters.entity)))
    if filters.level:
        notes.append(("Nivel de gobierno", LEVELS.get(filters.level, filters.level)))
    if filters.sector:
        notes.append(("Función", SECTORS.get(filters.sector, filters.sector)))
    if filters.region == "multi":
        notes.append(("Región", "Multidepartamental"))
    elif filters.region.isdigit() and len(filters.region) == 2:
        notes.append(("Región", ubigeo.department_name(filters.region) or filters.region))
    if filters.company:
        notes.append(("Empresa financista", db.session.scalar(
            select(Company.legal_name).where(Company.id == filters.company)) or str(filters.company)))
    if filters.assisted in ("si", "no"):
        notes.append(("Asistencia ProInversión", "Con asistencia" if filters.assisted == "si" else "Sin asistencia"))
    if filters.demo in ("si", "no"):
        notes.append(("Datos de demostración", "Solo demostración" if filters.demo == "si" else "Sin demostración"))
    return notes


SORTABLE = {
    "cui": Project.cui,
    "name": Project.name,
    "stage": Project.stage_rank,  # the stage order, computed and indexed by the database
    "amount": current_amount_expr(),
    "entity": select(PublicEntity.name).where(PublicEntity.id == Project.entity_id).scalar_subquery(),
}




def project_list(args: Mapping[str, str], user: Any) -> ListQuery:
    """The project list page's query (filters, company scope, sort), shared by the page and its export."""
    filters = filters_from(args)
    listing = ListQuery(query=filtered(filters, user), sortable=SORTABLE, default_sort="stage", tiebreak=Project.id)
    listing.filters = {k: str(v) for k, v in vars(filters).items() if v not in (None, "")}
    listing.notes = _notes(filters)
    return listing


def progress_by_project(projects: Sequence[Project]) -> dict[int, chart.Progress]:
    """Physical and financial progress of each listed project, as on its page (``chart.progress``), from one
    query over the milestones of all of them."""
    ids = [p.id for p in projects]
    milestones: dict[int, list[Milestone]] = {pid: [] for pid in ids}
    if ids:
        for milestone in db.session.scalars(select(Milestone).where(Milestone.project_id.in_(ids))
                                            .order_by(Milestone.planned_date, Milestone.id)):
            milestones[milestone.project_id].append(milestone)
    return {p.id: chart.progress(p, milestones[p.id]) for p in projects}


@dataclass
class PipelineRow:
    stage: str
    count: int
    amount: Decimal

    @property
    def label(self) -> str:
        return stages.label(self.stage)


def pipeline(user: Any, *, demo: str = "") -> list[PipelineRow]:
    """Count and amount (S/) per stage, every stage listed in order: from the tallies for readers of every
    project, in one GROUP BY over a company's own projects."""
    flag = demo == "si" if demo in ("si", "no") else None
    if user is not None and user.role != COMPANY and allows(user, "projects.view"):
        rows = tallies.by_stage(flag)
    else:
        query = scoped(select(Project.stage, func.count(Project.id), money_sum(current_amount_expr())), user)
        if flag is not None:
            query = query.where(Project.is_demo.is_(flag))
        rows = {stage: (count, total) for stage, count, total in kept_rows(query.group_by(Project.stage))}
    zero = (0, Decimal("0.00"))
    return [PipelineRow(stage, *rows.get(stage, zero)) for stage in stages.STAGES]


@dataclass
class ProjectPage:
    project: Project
    transitions: list[StageTransition]
    budget: list[BudgetLine]
    variations: list[Variation]
    milestones: list[Milestone]
    certificates: list[Certificate]

    def budget_totals(self) -> dict[str, Decimal]:
        zero = Decimal("0.00")
        return {
            "original": sum((b.original for b in self.budget), zero),
            "current": sum((b.current for b in self.budget), zero),
            "accrued": sum((b.accrued for b in self.budget), zero),
            "paid": sum((b.paid for b in self.budget), zero),
        }

    @property
    def certified(self) -> Decimal:
        return sum((c.amount for c in self.certificates if c.status in LIVE_CERTIFICATE_STATUSES), Decimal("0.00"))

    @property
    def accepted_valuations(self) -> Decimal:
        return sum((m.amount or Decimal("0.00") for m in self.milestones if m.accepted), Decimal("0.00"))


def project_page(project: Project) -> ProjectPage:
    pid = project.id
    transitions = list(db.session.scalars(select(StageTransition).where(StageTransition.project_id == pid)
                                          .order_by(StageTransition.occurred_on, StageTransition.at,
                                                    StageTransition.id)))
    budget = list(db.session.scalars(select(BudgetLine).where(BudgetLine.project_id == pid)
                                     .options(selectinload(BudgetLine.revisions)).order_by(BudgetLine.id)))
    variations = list(db.session.scalars(select(Variation).where(Variation.project_id == pid)
                                         .order_by(Variation.approved_on, Variation.id)))
    milestones = list(db.session.scalars(select(Milestone).where(Milestone.project_id == pid)
                                         .order_by(Milestone.planned_date, Milestone.id)))
    certificates = list(db.session.scalars(
        select(Certificate).where(Certificate.project_id == pid)
        .options(selectinload(Certificate.holdings)).order_by(Certificate.issue_date, Certificate.id)))
    by_id = {m.id: m for m in milestones}
    for certificate in certificates:  # attach milestones already loaded instead of lazy-loading each
        certificate.__dict__["milestone"] = by_id.get(certificate.milestone_id)
    return ProjectPage(project, transitions, budget, variations, milestones, certificates)


# CIPRL cap usage lives in its own module; read it from here as every other project query.
from portfolio.projects.cap_usage import (  # noqa: E402,F401
    CapUsage,
    ciprl_cap_usage,
    end_of_day_utc,
    entity_ciprl_usage,
    stage_on_expr,
)
