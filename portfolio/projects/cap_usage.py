"""CIPRL cap usage of public entities (one rule for the cap checks, the staff dashboard, the MEF workbook and
the entity page), now or as of a date: convenios committed in the year plus certificates of earlier-year
convenios issued in it."""
from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Select, and_, case, extract, func, or_, select

from portfolio import clock, db
from portfolio.money import money_sum
from portfolio.orgs.models import CIPGN_LEVELS, EntityCap, PublicEntity, certificate_type_for
from portfolio.projects import stages
from portfolio.projects.models import (
    LIVE_CERTIFICATE_STATUSES,
    Certificate,
    Project,
    StageTransition,
    Variation,
)


def end_of_day_utc(day: dt.date) -> dt.datetime:
    """The first instant after business date ``day``, in UTC: system timestamps before it belong to ``day`` or earlier."""
    return clock.start_of_day(day + dt.timedelta(days=1)).astimezone(dt.UTC)


def stage_on_expr(as_of: dt.date | None):
    """SQL for a project's stage at the end of ``as_of`` (its current stage when ``as_of`` is None): the
    target of the last transition recorded by then; before the first one, that one's origin (or the initial
    stage); a project without history is in its current stage."""
    if as_of is None:
        return Project.stage
    reached = (select(StageTransition.to_stage)
               .where(StageTransition.project_id == Project.id, StageTransition.at < end_of_day_utc(as_of))
               .order_by(StageTransition.at.desc(), StageTransition.id.desc()).limit(1)
               .correlate(Project).scalar_subquery())
    origin = (select(func.coalesce(StageTransition.from_stage, stages.INITIAL_STAGE))
              .where(StageTransition.project_id == Project.id)
              .order_by(StageTransition.at, StageTransition.id).limit(1)
              .correlate(Project).scalar_subquery())
    return func.coalesce(reached, origin, Project.stage)


@dataclass(frozen=True)
class CapUsage:
    """One CIPRL entity and year, as the cap rule (portfolio.projects.caps) counts it."""

    entity_id: int
    name: str
    short_name: str | None
    year: int
    cap: Decimal | None  # None: no cap registered for the year
    committed: Decimal  # current convenio amounts of the convenios signed in the year
    issued: Decimal  # live certificates issued in the year
    prior: Decimal  # of those, the ones for convenios signed in earlier years (they draw on this year's cap)

    @property
    def used(self) -> Decimal:
        return self.committed + self.prior

    @property
    def remaining(self) -> Decimal | None:
        """Cap − used (negative when over the cap); None without a registered cap."""
        return None if self.cap is None else self.cap - self.used

    @property
    def available(self) -> Decimal | None:
        """The largest amount the cap rule still accepts this year (never negative)."""
        return None if self.cap is None else max(self.cap - self.used, Decimal("0.00"))


def _year_window(column, year: int | None, as_of: dt.date | None):
    conditions = []
    if year is not None:
        conditions += [column >= dt.date(year, 1, 1), column <= dt.date(year, 12, 31)]
    if as_of is not None:
        conditions.append(column <= as_of)
    return conditions


def ciprl_cap_usage(*, year: int | None = None, entity_ids: Collection[int] | Select | None = None,
                    as_of: dt.date | None = None) -> list[CapUsage]:
    """The CIPRL cap rule's figures per entity and year (CIPRL entities only), for every (entity, year) with a
    registered cap or any usage, in five statements whatever the number of projects.

    Usage of entity E in year Y = Σ current convenio amounts (awarded + monetary variations) of E's projects
    whose convenio was signed in Y and that are in a committed stage + Σ live certificates issued in Y for E's
    convenios signed in earlier years. ``year`` keeps one year; ``entity_ids`` (ids or a SELECT of ids) some
    entities. ``as_of``: the usage as it stood at the end of that day — only years up to its year, convenios
    signed, awards, variations approved and certificates issued by then, the stage recorded in the history at
    that moment (a certificate's status has no history: its current status counts)."""
    entities = select(PublicEntity.id).where(PublicEntity.level.not_in(CIPGN_LEVELS))
    if entity_ids is not None:
        entities = entities.where(PublicEntity.id.in_(entity_ids))
    last_year = as_of.year if as_of is not None else None
    caps_query = select(EntityCap.entity_id, EntityCap.year, EntityCap.amount).where(EntityCap.entity_id.in_(entities))
    if year is not None:
        caps_query = caps_query.where(EntityCap.year == year)
    if last_year is not None:
        caps_query = caps_query.where(EntityCap.year <= last_year)
    caps = {(e, y): amount for e, y, amount in db.session.execute(caps_query)}

    convenio_year = extract("year", Project.convenio_on)
    signed = [Project.entity_id.in_(entities), Project.convenio_on.is_not(None),
              stage_on_expr(as_of).in_(stages.COMMITTED_STAGES),
              *_year_window(Project.convenio_on, year, as_of)]
    if as_of is not None:
        signed.append(or_(Project.awarded_on.is_(None), Project.awarded_on <= as_of))
    committed: dict[tuple[int, int], Decimal] = {}
    for e, y, amount in db.session.execute(
            select(Project.entity_id, convenio_year, money_sum(Project.awarded_amount))
            .where(*signed).group_by(Project.entity_id, convenio_year)):
        committed[(e, int(y))] = amount
    approved = [Variation.approved_on <= as_of] if as_of is not None else []
    for e, y, amount in db.session.execute(
            select(Project.entity_id, convenio_year, money_sum(Variation.amount_delta))
            .join(Project, Project.id == Variation.project_id)
            .where(*signed, *approved).group_by(Project.entity_id, convenio_year)):
        committed[(e, int(y))] = committed.get((e, int(y)), Decimal("0.00")) + amount

    issue_year = extract("year", Certificate.issue_date)
    earlier = and_(Project.convenio_on.is_not(None), convenio_year < issue_year)
    certificates = {(e, int(y)): (issued, prior) for e, y, issued, prior in db.session.execute(
        select(Project.entity_id, issue_year, money_sum(Certificate.amount),
               money_sum(case((earlier, Certificate.amount), else_=0)))
        .join(Project, Project.id == Certificate.project_id)
        .where(Project.entity_id.in_(entities), Certificate.status.in_(LIVE_CERTIFICATE_STATUSES),
               *_year_window(Certificate.issue_date, year, as_of))
        .group_by(Project.entity_id, issue_year))}

    keys = set(caps) | set(committed) | set(certificates)
    names = {i: (name, short) for i, name, short in db.session.execute(
        select(PublicEntity.id, PublicEntity.name, PublicEntity.short_name)
        .where(PublicEntity.id.in_({e for e, _ in keys})))} if keys else {}
    zero = Decimal("0.00")
    return [CapUsage(e, *names[e], y, caps.get((e, y)), committed.get((e, y), zero),
                     *certificates.get((e, y), (zero, zero)))
            for e, y in sorted(keys, key=lambda k: (names[k[0]][0], k[1]))]


def entity_ciprl_usage(entity_id: int, year: int, *, as_of: dt.date | None = None) -> CapUsage | None:
    """The cap rule's figures of one entity and year (None for an entity that pays with CIPGN)."""
    rows = ciprl_cap_usage(year=year, entity_ids=[entity_id], as_of=as_of)
    if rows:
        return rows[0]
    entity = db.session.get(PublicEntity, entity_id)
    if entity is None or certificate_type_for(entity.level) != "CIPRL":
        return None
    zero = Decimal("0.00")
    return CapUsage(entity.id, entity.name, entity.short_name, year, None, zero, zero, zero)
