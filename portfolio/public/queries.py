"""Public facts about the Obras por Impuestos portfolio: aggregate figures, a list by province, one page
per project with its timeline (the open data, CSV and OC4IDS, is built in ``opendata.py`` and ``oc4ids.py``).

Only what the State publishes anyway appears here: project, entity, stage, amounts, financing and
executing companies (the *buena pro* is public), dates and progress. Never the notes or authors of
stage transitions, budget details by line, certificate holders or anything about users.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select

from portfolio import clock, db
from portfolio.domain_errors import NotFound
from portfolio.money import money_sum
from portfolio.orgs import ubigeo
from portfolio.orgs.models import LEVELS, Company, PublicEntity
from portfolio.projects import stages, tallies
from portfolio.projects.models import (
    MECHANISMS,
    MILESTONE_KINDS,
    MILESTONE_STATUSES,
    SECTORS,
    Certificate,
    Milestone,
    Project,
    ProjectLocation,
    ProjectMember,
    StageTransition,
)
from portfolio.projects.queries import current_amount_expr
from portfolio.projects.vocab import CertificateStatus, Stage

ZERO = Decimal("0.00")
MULTI = "multidepartamental"


def overview() -> dict:
    """Headline figures, projects and S/ by stage, and by province (map-free). Three statements."""
    by_stage = tallies.by_stage()
    stage_rows = [(stage, stages.label(stage), *by_stage[stage]) for stage in stages.STAGES if stage in by_stage]
    live = [r for r in stage_rows if r[0] != Stage.CANCELADO]
    return {
        "projects": sum(r[2] for r in stage_rows),
        "amount": sum((r[3] for r in live), ZERO),
        "by_stage": stage_rows,
        "by_province": by_province(),
    }


def by_province() -> list[tuple[str, str, int, Decimal]]:
    """(province code or «multidepartamental», name, projects, S/) — a project with locations in two provinces
    counts in both; multidepartmental projects form their own group."""
    province = func.substr(ProjectLocation.ubigeo, 1, 4)
    per_project = (select(Project.id.label("pid"), province.label("province"), current_amount_expr().label("amount"))
                   .join(ProjectLocation, ProjectLocation.project_id == Project.id)
                   .where(Project.multidepartmental.is_(False), Project.stage != Stage.CANCELADO)
                   .group_by(Project.id, province).subquery())
    rows = db.session.execute(select(per_project.c.province, func.count(per_project.c.pid),
                                     money_sum(per_project.c.amount))
                              .group_by(per_project.c.province).order_by(per_project.c.province)).all()
    multi = db.session.execute(select(func.count(Project.id), money_sum(current_amount_expr()))
                               .where(Project.multidepartmental.is_(True), Project.stage != Stage.CANCELADO)).one()
    result = [(code, f"{ubigeo.province_name(code + '01') or code} ({ubigeo.department_name(code) or ''})", count,
               amount) for code, count, amount in rows]
    if multi[0]:
        result.append((MULTI, "Multidepartamental", multi[0], multi[1]))
    return result


@dataclass
class PublicProjectRow:
    id: int
    cui: str | None
    name: str
    entity: str
    level: str
    stage: str
    amount: Decimal
    actual_physical: int | None
    multidepartmental: bool

    @property
    def stage_label(self) -> str:
        return stages.label(self.stage)

    @property
    def level_label(self) -> str:
        return LEVELS.get(self.level, self.level)

    @property
    def progress(self) -> Decimal | None:
        return None if self.actual_physical is None else Decimal(self.actual_physical) / 100


def _actual_progress():
    return (select(func.max(Milestone.actual_physical)).where(Milestone.project_id == Project.id)
            .correlate(Project).scalar_subquery())


_FOLD = (("á", "a"), ("é", "e"), ("í", "i"), ("ó", "o"), ("ú", "u"), ("ü", "u"), ("ñ", "n"),
         ("Á", "a"), ("É", "e"), ("Í", "i"), ("Ó", "o"), ("Ú", "u"), ("Ü", "u"), ("Ñ", "n"))


def _folded(expr):
    """SQL: ``expr`` lower-cased without Spanish accents, the same on SQLite (whose lower() is ASCII-only) and
    PostgreSQL, so «comisaria» finds «Comisaría»."""
    for accented, plain in _FOLD:
        expr = func.replace(expr, accented, plain)
    return func.lower(expr)


def fold(text: str) -> str:
    """The Python side of ``_folded``: what a search word is compared as."""
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@dataclass(frozen=True)
class Filters:
    """The public list's filters (``?q=&provincia=&distrito=&etapa=&nivel=``), each already validated."""

    q: str | None = None
    province: str | None = None
    district: str | None = None
    stage: str | None = None
    level: str | None = None

    @classmethod
    def parse(cls, args) -> Filters:
        q = " ".join((args.get("q") or "").split())[:100] or None
        province = args.get("provincia") or None
        if province and province != MULTI and not re.fullmatch(r"\d{4}", province):
            province = None
        district = args.get("distrito") or None
        if district and not re.fullmatch(r"\d{6}", district):
            district = None
        stage = args.get("etapa") if args.get("etapa") in stages.STAGES else None
        level = args.get("nivel") if args.get("nivel") in LEVELS else None
        return cls(q, province, district, stage, level)

    def args(self) -> dict[str, str]:
        """The query-string form (links that keep the filters: CSV, pages, sorting)."""
        pairs = {"q": self.q, "provincia": self.province, "distrito": self.district, "etapa": self.stage,
                 "nivel": self.level}
        return {k: v for k, v in pairs.items() if v}

    def args_without(self, name: str) -> dict[str, str]:
        return {k: v for k, v in self.args().items() if k != name}

    @property
    def active(self) -> bool:
        return bool(self.args())


def project_query(*, province: str | None = None, stage: str | None = None, filters: Filters | None = None):
    """The public list's query (one row per project, its public list facts), filtered."""
    f = filters or Filters(province=province, stage=stage)
    query = (select(Project.id, Project.cui, Project.name, PublicEntity.name, PublicEntity.level, Project.stage,
                    current_amount_expr().label("amount"), _actual_progress(), Project.multidepartmental)
             .join(PublicEntity, PublicEntity.id == Project.entity_id))
    if f.stage in stages.STAGES:
        query = query.where(Project.stage == f.stage)
    if f.level:
        query = query.where(PublicEntity.level == f.level)
    if f.province == MULTI:
        query = query.where(Project.multidepartmental.is_(True))
    elif f.province and re.fullmatch(r"\d{4}", f.province):
        query = query.where(Project.multidepartmental.is_(False), Project.id.in_(
            select(ProjectLocation.project_id).where(ProjectLocation.ubigeo.like(f"{f.province}%"))))
    if f.district:
        query = query.where(Project.id.in_(select(ProjectLocation.project_id)
                                           .where(ProjectLocation.ubigeo == f.district)))
    if f.q:
        for word in f.q.split()[:6]:
            pattern = f"%{_like_escape(fold(word))}%"
            query = query.where(_folded(Project.name).like(pattern, escape="\\")
                                | func.coalesce(Project.cui, "").like(pattern, escape="\\")
                                | _folded(PublicEntity.name).like(pattern, escape="\\")
                                | _folded(func.coalesce(PublicEntity.short_name, "")).like(pattern, escape="\\"))
    return query


SORTABLE = {"name": Project.name, "stage": Project.stage, "amount": current_amount_expr()}


def project_page(*, province: str | None = None, stage: str | None = None, filters: Filters | None = None):
    """One page of the public list (?page=, ?sort=name|stage|amount, ?dir=): a COUNT and a page query."""
    from portfolio.listing import paginate

    page = paginate(project_query(province=province, stage=stage, filters=filters), sortable=SORTABLE, default_sort="name",
                    tiebreak=Project.id, per_page=50, scalars=False)
    page.items = [PublicProjectRow(*row) for row in page.items]
    return page


def project_rows(*, province: str | None = None, stage: str | None = None,
                 filters: Filters | None = None) -> list[PublicProjectRow]:
    """Every project (open data downloads), in name order, in one statement."""
    query = project_query(province=province, stage=stage, filters=filters).order_by(Project.name, Project.id)
    return [PublicProjectRow(*row) for row in db.session.execute(query)]


@dataclass
class PublicProject:
    project: Project
    amount: Decimal
    financiers: list[tuple[str, Decimal]]
    timeline: list[tuple[dt.date, str | None, str]]  # (event date, from, to)
    milestones: list[tuple[str, dt.date, dt.date | None, str, Decimal | None, Decimal | None]]
    certified: Decimal
    planned_physical: Decimal | None
    actual_physical: Decimal | None

    @property
    def locations(self) -> list[str]:
        return [ubigeo.describe(loc.ubigeo) for loc in self.project.locations]

    @property
    def sector_label(self) -> str:
        return SECTORS.get(self.project.sector, self.project.sector)

    @property
    def mechanism_label(self) -> str:
        return MECHANISMS.get(self.project.mechanism, self.project.mechanism)


def public_project(project_id: int, today: dt.date | None = None) -> PublicProject:
    today = today or clock.today()
    project = db.session.get(Project, project_id)
    if project is None:
        raise NotFound("El proyecto no existe.")
    amount = db.session.scalar(select(current_amount_expr()).where(Project.id == project_id))
    financiers = [(name, Decimal(share) / 100) for name, share in db.session.execute(
        select(func.coalesce(Company.trade_name, Company.legal_name), ProjectMember.share_hundredths)
        .join(Company, Company.id == ProjectMember.company_id).where(ProjectMember.project_id == project_id)
        .order_by(ProjectMember.position, ProjectMember.id))]
    timeline = list(db.session.execute(
        select(StageTransition.occurred_on, StageTransition.from_stage, StageTransition.to_stage)
        .where(StageTransition.project_id == project_id)
        .order_by(StageTransition.occurred_on, StageTransition.at, StageTransition.id)).all())
    milestones = [(MILESTONE_KINDS.get(kind, kind), planned, actual, MILESTONE_STATUSES.get(status, status),
                   None if pp is None else Decimal(pp) / 100, None if ap is None else Decimal(ap) / 100)
                  for kind, planned, actual, status, pp, ap in db.session.execute(
                      select(Milestone.kind, Milestone.planned_date, Milestone.actual_date, Milestone.status,
                             Milestone.planned_physical, Milestone.actual_physical)
                      .where(Milestone.project_id == project_id).order_by(Milestone.planned_date, Milestone.id))]
    certified = db.session.scalar(select(money_sum(Certificate.amount)).where(
        Certificate.project_id == project_id, Certificate.status == CertificateStatus.EMITIDO))
    progress = db.session.execute(select(
        func.max(Milestone.planned_physical).filter(Milestone.planned_date <= today),
        func.max(Milestone.actual_physical)).where(Milestone.project_id == project_id)).one()
    return PublicProject(project, amount, financiers, timeline, milestones, certified,
                         None if progress[0] is None else Decimal(progress[0]) / 100,
                         None if progress[1] is None else Decimal(progress[1]) / 100)
