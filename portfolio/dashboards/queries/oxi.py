"""Read-only aggregate queries over the Obras por Impuestos tables (owned by portfolio.projects).

Every function issues a fixed number of statements, whatever the number of projects, milestones or
certificates: sums and counts happen in SQL, lists are LIMITed.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import and_, case, func, select

from portfolio import db
from portfolio.money import money_sum
from portfolio.orgs.models import LEVELS, PublicEntity
from portfolio.projects import stages, tallies
from portfolio.projects.models import (
    Certificate,
    CertificateHolding,
    Milestone,
    Project,
    ProjectMember,
    StageTransition,
    TaxDeclaration,
)
from portfolio.projects.queries import CapUsage, ciprl_cap_usage, current_amount_expr
from portfolio.projects.vocab import CLOSED_STAGES, CertificateStatus, MilestoneStatus, Stage
from portfolio.read_cache import kept_by_data_version
from portfolio.rules import rule_value

ZERO = Decimal("0.00")
LIST_LIMIT = 10
# How far along a stage is, for "most advanced first": side states sit next to where they happen.
PROGRESS_ORDER = {**{stage: i for i, stage in enumerate(stages.MAIN_STAGES)}, Stage.DESIERTO: 2, Stage.SUSPENDIDO: 5,
                  Stage.CANCELADO: -1}


@kept_by_data_version
def pipeline() -> list[tuple[str, int, Decimal]]:
    """(stage, count, S/) for every stage in order, from the projects' tallies."""
    rows = tallies.by_stage()
    return [(stage, *rows.get(stage, (0, ZERO))) for stage in stages.STAGES]


@kept_by_data_version
def by_level() -> list[tuple[str, int, Decimal]]:
    """(level label, projects, S/) per level of government, excluding cancelled projects."""
    rows = dict((level, (count, total)) for level, count, total in db.session.execute(
        select(PublicEntity.level, func.count(Project.id), money_sum(current_amount_expr()))
        .join(PublicEntity, PublicEntity.id == Project.entity_id)
        .where(Project.stage != Stage.CANCELADO).group_by(PublicEntity.level)))
    return [(LEVELS[level], *rows[level]) for level in LEVELS if level in rows]


@kept_by_data_version
def by_entity(limit: int = LIST_LIMIT) -> list[tuple[int, str, str, int, Decimal]]:
    """(entity id, name, level label, projects, S/), largest first."""
    total = money_sum(current_amount_expr()).label("total")
    rows = db.session.execute(
        select(PublicEntity.id, PublicEntity.name, PublicEntity.level, func.count(Project.id), total)
        .join(PublicEntity, PublicEntity.id == Project.entity_id).where(Project.stage != Stage.CANCELADO)
        .group_by(PublicEntity.id, PublicEntity.name, PublicEntity.level)
        .order_by(total.desc(), PublicEntity.name).limit(limit))
    return [(i, name, LEVELS.get(level, level), count, amount) for i, name, level, count, amount in rows]


@dataclass
class Overdue:
    project_id: int
    project_name: str
    milestone: str
    planned_date: dt.date
    days_late: int


@kept_by_data_version
def overdue_milestones(today: dt.date, limit: int = LIST_LIMIT) -> tuple[int, list[Overdue]]:
    """Milestones still «programado» whose planned date has passed: (how many, the oldest ``limit``)."""
    condition = and_(Milestone.status == MilestoneStatus.PROGRAMADO, Milestone.actual_date.is_(None), Milestone.planned_date < today)
    count = db.session.scalar(select(func.count(Milestone.id)).where(condition))
    rows = db.session.execute(
        select(Project.id, Project.name, Milestone.kind, Milestone.description, Milestone.planned_date)
        .join(Project, Project.id == Milestone.project_id).where(condition)
        .order_by(Milestone.planned_date, Milestone.id).limit(limit))
    from portfolio.projects.models import MILESTONE_KINDS

    return count, [Overdue(pid, name, MILESTONE_KINDS.get(kind, kind) + (f" — {desc}" if desc else ""), planned,
                           (today - planned).days) for pid, name, kind, desc, planned in rows]


@dataclass
class Stalled:
    project_id: int
    name: str
    stage: str
    since: dt.datetime
    days: int

    @property
    def stage_label(self) -> str:
        return stages.label(self.stage)


@kept_by_data_version
def stalled_projects(today: dt.date, limit: int = LIST_LIMIT) -> tuple[int, int, list[Stalled]]:
    """Open projects with no stage transition in ``dashboards.stalled_days`` days:
    (threshold in days, how many, the longest-stalled ``limit``)."""
    days = int(rule_value("dashboards.stalled_days", on=today))
    cutoff = dt.datetime.combine(today - dt.timedelta(days=days), dt.time.min, tzinfo=dt.UTC)
    last = (select(StageTransition.project_id, func.max(StageTransition.at).label("at"))
            .group_by(StageTransition.project_id).subquery())
    since = func.coalesce(last.c.at, Project.created_at)
    base = (select(Project.id, Project.name, Project.stage, since.label("since"))
            .outerjoin(last, last.c.project_id == Project.id)
            .where(Project.stage.not_in(CLOSED_STAGES), since < cutoff))
    count = db.session.scalar(select(func.count()).select_from(base.subquery()))
    rows = db.session.execute(base.order_by(since, Project.id).limit(limit)).all()
    result = []
    for pid, name, stage, at in rows:
        at = at if isinstance(at, dt.datetime) else dt.datetime.fromisoformat(str(at))
        at = at if at.tzinfo else at.replace(tzinfo=dt.UTC)
        result.append(Stalled(pid, name, stage, at, (today - at.date()).days))
    return days, count, result


@kept_by_data_version
def certificates_vs_caps(year: int) -> tuple[list[CapUsage], Decimal, Decimal]:
    """Per entity with a CIPRL cap for ``year``: the cap rule's own figures (cap, used, remaining: what the
    certificate and convenio services would still accept), largest cap first; plus the certificates issued
    in the year by type (CIPRL, CIPGN). A fixed number of statements."""
    caps = sorted((u for u in ciprl_cap_usage(year=year) if u.cap is not None),
                  key=lambda u: (-u.cap, u.name))
    totals = dict(db.session.execute(
        select(Certificate.cert_type, money_sum(Certificate.amount))
        .where(Certificate.status == CertificateStatus.EMITIDO, Certificate.issue_date >= dt.date(year, 1, 1),
               Certificate.issue_date <= dt.date(year, 12, 31)).group_by(Certificate.cert_type)).all())
    return caps, totals.get("CIPRL", ZERO), totals.get("CIPGN", ZERO)


# --- company -------------------------------------------------------------------------------------------

@dataclass
class CompanyProject:
    id: int
    name: str
    stage: str
    amount: Decimal
    share_hundredths: int
    planned_physical: int | None
    actual_physical: int | None

    @property
    def stage_label(self) -> str:
        return stages.label(self.stage)

    @property
    def share(self) -> Decimal:
        return Decimal(self.share_hundredths) / 100

    @property
    def planned_pct(self) -> Decimal | None:
        return None if self.planned_physical is None else Decimal(self.planned_physical) / 100

    @property
    def actual_pct(self) -> Decimal | None:
        return None if self.actual_physical is None else Decimal(self.actual_physical) / 100


@kept_by_data_version
def company_projects(company_id: int, today: dt.date, limit: int = LIST_LIMIT) -> tuple[int, list[CompanyProject]]:
    """How many projects the company finances, and the ``limit`` most advanced in the pipeline (then by
    name) with its share and physical progress (planned to date vs latest actual)."""
    mine = and_(ProjectMember.project_id == Project.id, ProjectMember.company_id == company_id)
    count = db.session.scalar(select(func.count(Project.id)).join(ProjectMember, mine))
    planned = (select(func.max(Milestone.planned_physical)).where(Milestone.project_id == Project.id,
                                                                  Milestone.planned_date <= today)
               .correlate(Project).scalar_subquery())
    actual = (select(func.max(Milestone.actual_physical)).where(Milestone.project_id == Project.id)
              .correlate(Project).scalar_subquery())
    rows = db.session.execute(
        select(Project.id, Project.name, Project.stage, current_amount_expr(), ProjectMember.share_hundredths,
               planned, actual)
        .join(ProjectMember, mine)
        .order_by(case(PROGRESS_ORDER, value=Project.stage, else_=-1).desc(),
                  Project.name, Project.id).limit(limit))
    return count, [CompanyProject(*row) for row in rows]


@dataclass
class CompanyCertificates:
    by_status: dict[str, Decimal]
    tax_year: int
    tax: Decimal | None
    share_pct: Decimal
    applied_this_year: Decimal

    @property
    def may_apply(self) -> Decimal | None:
        from portfolio.money import round_money

        return None if self.tax is None else round_money(self.tax * self.share_pct / 100)

    @property
    def remaining(self) -> Decimal | None:
        return None if self.may_apply is None else self.may_apply - self.applied_this_year


@kept_by_data_version
def company_certificates(company_id: int, today: dt.date) -> CompanyCertificates:
    by_status = dict(db.session.execute(
        select(Certificate.status, money_sum(CertificateHolding.amount))
        .join(Certificate, Certificate.id == CertificateHolding.certificate_id)
        .where(CertificateHolding.company_id == company_id).group_by(Certificate.status)).all())
    applied = db.session.scalar(
        select(money_sum(CertificateHolding.amount)).join(Certificate, Certificate.id == CertificateHolding.certificate_id)
        .where(CertificateHolding.company_id == company_id, Certificate.status == CertificateStatus.EMITIDO,
               Certificate.issue_date >= dt.date(today.year, 1, 1), Certificate.issue_date <= today))
    tax = db.session.scalar(select(TaxDeclaration.amount).where(TaxDeclaration.company_id == company_id,
                                                                TaxDeclaration.year == today.year - 1))
    return CompanyCertificates(by_status, today.year - 1, tax, rule_value("oxi.tax_share_pct", on=today), applied)


# --- overview ------------------------------------------------------------------------------------------

@kept_by_data_version
def totals() -> dict[str, object]:
    """Headline figures of the portfolio in one statement."""
    row = db.session.execute(select(
        func.count(Project.id),
        money_sum(case((Project.stage != Stage.CANCELADO, current_amount_expr()), else_=0)),
        func.count(case((Project.stage == Stage.EN_EJECUCION, 1))),
        func.count(case((Project.stage.in_(stages.CONVENIO_STAGES), 1))),
    )).one()
    certified = db.session.scalar(select(money_sum(Certificate.amount)).where(Certificate.status == CertificateStatus.EMITIDO))
    return {"projects": row[0], "amount": row[1], "in_execution": row[2], "with_convenio": row[3],
            "certified": certified}
