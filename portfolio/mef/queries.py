"""Reads of MEF's execution figures, shared by the project pages, the portal and the exports.

``execution_by_year(project_id)`` is the public entry point for one project (the CSV export calls it): the
current version of each year. ``totals`` aggregates the current versions by year, level of government or
province for the portal. Every figure is a ``Decimal``; «% avance» is devengado / PIM.
"""
from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from portfolio import db
from portfolio.mef.models import FIGURES, MefExecution
from portfolio.money import money_sum

ZERO = Decimal("0.00")
MULTI = "multidepartamental"
MEF_CONSULTA_URL = "https://ofi5.mef.gob.pe/ssi/Ssi/Index?codigo={cui}&tipo=2"
MEF_CONSULTA_NAME = "Consulta de inversiones (MEF · Invierte.pe)"


def consulta_url(cui: str | None) -> str | None:
    """The public MEF/Invierte.pe page of a CUI (a plain link; nothing is fetched). ``MEF_CONSULTA_URL``."""
    if not (cui and len(cui) == 7 and cui.isdigit()):
        return None
    from flask import current_app, has_app_context

    template = current_app.config.get("MEF_CONSULTA_URL") if has_app_context() else None
    return (template or MEF_CONSULTA_URL).replace("{cui}", cui)


def percent(part: Decimal | None, whole: Decimal | None) -> Decimal | None:
    if part is None or not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"))


@functools.cache
def is_current():
    """SQL condition: the row is the latest version of its project and year (built once: SQL expressions are
    immutable, and building this one costs more than running it)."""
    newer = aliased(MefExecution)
    return MefExecution.version == (select(func.max(newer.version))
                                    .where(newer.project_id == MefExecution.project_id, newer.year == MefExecution.year)
                                    .correlate(MefExecution).scalar_subquery())


@dataclass(frozen=True)
class YearExecution:
    year: int
    pia: Decimal
    pim: Decimal
    certificado: Decimal
    comprometido: Decimal
    devengado: Decimal
    girado: Decimal
    through_month: int
    version: int
    source_file: str
    first_row: int
    last_row: int
    row_count: int
    recorded_at: dt.datetime
    batch_id: int

    @property
    def avance(self) -> Decimal | None:
        return percent(self.devengado, self.pim)


def _year(row: MefExecution) -> YearExecution:
    return YearExecution(row.year, *(getattr(row, f) for f in FIGURES), row.through_month, row.version,
                         row.source_file, row.first_row, row.last_row, row.row_count, row.recorded_at, row.batch_id)


def execution_by_year(project_id: int) -> list[YearExecution]:
    """The project's current MEF figures, one per year, oldest first (empty when MEF's file never named it)."""
    rows = db.session.scalars(select(MefExecution).where(MefExecution.project_id == project_id, is_current())
                              .order_by(MefExecution.year))
    return [_year(r) for r in rows]


def current_by_project(project_ids: Iterable[int]) -> dict[int, dict[int, MefExecution]]:
    """{project id: {year: current version}} for many projects, in one statement (the import's plan)."""
    ids = set(project_ids)
    result: dict[int, dict[int, MefExecution]] = {}
    if not ids:
        return result
    for row in db.session.scalars(select(MefExecution).where(MefExecution.project_id.in_(ids), is_current())):
        result.setdefault(row.project_id, {})[row.year] = row
    return result


def history(project_id: int) -> list[MefExecution]:
    """Every version of every year, newest first (staff page)."""
    return list(db.session.scalars(select(MefExecution).where(MefExecution.project_id == project_id)
                                   .order_by(MefExecution.year.desc(), MefExecution.version.desc())))


@dataclass(frozen=True)
class Comparison:
    """Typed (budget lines, to date) vs MEF (Σ years, current versions): devengado and girado."""

    typed_accrued: Decimal
    typed_paid: Decimal
    mef_accrued: Decimal
    mef_paid: Decimal
    years: int

    @property
    def accrued_difference(self) -> Decimal:
        return self.typed_accrued - self.mef_accrued

    @property
    def paid_difference(self) -> Decimal:
        return self.typed_paid - self.mef_paid

    @property
    def differs(self) -> bool:
        return bool(self.accrued_difference or self.paid_difference)


def comparison(project_id: int) -> Comparison | None:
    """None when MEF has no figures for the project."""
    from portfolio.projects.models import BudgetLine

    mef = db.session.execute(select(money_sum(MefExecution.devengado), money_sum(MefExecution.girado),
                                    func.count(MefExecution.id))
                             .where(MefExecution.project_id == project_id, is_current())).one()
    if not mef[2]:
        return None
    typed = db.session.execute(select(money_sum(BudgetLine.accrued), money_sum(BudgetLine.paid))
                               .where(BudgetLine.project_id == project_id)).one()
    return Comparison(typed[0] or ZERO, typed[1] or ZERO, mef[0] or ZERO, mef[1] or ZERO, mef[2])


@dataclass(frozen=True)
class TotalRow:
    key: str
    label: str
    projects: int
    pim: Decimal
    devengado: Decimal
    girado: Decimal

    @property
    def avance(self) -> Decimal | None:
        return percent(self.devengado, self.pim)


DIMENSIONS = {"anio": "Año", "nivel": "Nivel de gobierno", "provincia": "Provincia"}


def totals(dimension: str, *, year: int | None = None) -> list[TotalRow]:
    """PIM, devengado and girado of the current versions grouped by ``anio``, ``nivel`` or ``provincia``
    (optionally one year). By province a project located in two provinces counts in both; multidepartmental
    projects are their own group."""
    from portfolio.orgs import ubigeo
    from portfolio.orgs.models import LEVELS, PublicEntity
    from portfolio.projects.models import Project, ProjectLocation

    sums = (func.count(func.distinct(MefExecution.project_id)), money_sum(MefExecution.pim),
            money_sum(MefExecution.devengado), money_sum(MefExecution.girado))
    base = select().select_from(MefExecution).where(is_current())
    if year is not None:
        base = base.where(MefExecution.year == year)
    if dimension == "anio":
        rows = db.session.execute(base.add_columns(MefExecution.year, *sums).group_by(MefExecution.year)
                                  .order_by(MefExecution.year))
        return [TotalRow(str(y), str(y), n, *(v or ZERO for v in vals)) for y, n, *vals in rows]
    if dimension == "nivel":
        rows = db.session.execute(base.add_columns(PublicEntity.level, *sums)
                                  .join(Project, Project.id == MefExecution.project_id)
                                  .join(PublicEntity, PublicEntity.id == Project.entity_id)
                                  .group_by(PublicEntity.level))
        found = {level: (n, vals) for level, n, *vals in rows}
        return [TotalRow(level, label, found[level][0], *(v or ZERO for v in found[level][1]))
                for level, label in LEVELS.items() if level in found]
    if dimension == "provincia":
        province = func.substr(ProjectLocation.ubigeo, 1, 4)
        places = (select(ProjectLocation.project_id.label("pid"), province.label("province"))
                  .join(Project, Project.id == ProjectLocation.project_id)
                  .where(Project.multidepartmental.is_(False)).distinct().subquery())
        rows = db.session.execute(base.add_columns(places.c.province, *sums)
                                  .join(places, places.c.pid == MefExecution.project_id)
                                  .group_by(places.c.province).order_by(places.c.province))
        result = [TotalRow(code, ubigeo.province_name(code + "01") or code, n, *(v or ZERO for v in vals))
                  for code, n, *vals in rows]
        multi = db.session.execute(base.add_columns(*sums).join(Project, Project.id == MefExecution.project_id)
                                   .where(Project.multidepartmental.is_(True))).one()
        if multi[0]:
            result.append(TotalRow(MULTI, "Multidepartamental", multi[0], *(v or ZERO for v in multi[1:])))
        return result
    raise ValueError(dimension)


def years() -> list[int]:
    """Years with MEF figures, newest first."""
    return list(db.session.scalars(select(MefExecution.year).distinct().order_by(MefExecution.year.desc())))


def latest_by_project(project_ids: Iterable[int]) -> dict[int, tuple[Decimal, Decimal]]:
    """{project id: (Σ devengado, Σ girado)} over the current versions of every year (lists, exports)."""
    ids = set(project_ids)
    if not ids:
        return {}
    rows = db.session.execute(select(MefExecution.project_id, money_sum(MefExecution.devengado),
                                     money_sum(MefExecution.girado))
                              .where(MefExecution.project_id.in_(ids), is_current())
                              .group_by(MefExecution.project_id))
    return {pid: (dev or ZERO, gir or ZERO) for pid, dev, gir in rows}


@dataclass(frozen=True)
class ProjectMef:
    """A project's MEF execution for the open data: Σ devengado and girado over the current version of every
    year (accumulated, comparable with the typed figures), the years summed, and the month of the latest."""

    devengado: Decimal
    girado: Decimal
    years: tuple[int, ...]
    through_month: int

    @property
    def last_year(self) -> int:
        return self.years[-1]


def open_data_by_project() -> dict[int, ProjectMef]:
    """{project id: ProjectMef} for every project MEF's files named, in one statement (the bulk ZIP)."""
    rows = db.session.execute(select(MefExecution.project_id, MefExecution.year, MefExecution.devengado,
                                     MefExecution.girado, MefExecution.through_month)
                              .where(is_current()).order_by(MefExecution.project_id, MefExecution.year))
    grouped: dict[int, list] = {}
    for pid, year, dev, gir, month in rows:
        grouped.setdefault(pid, []).append((year, dev, gir, month))
    return {pid: ProjectMef(sum((r[1] for r in years), ZERO), sum((r[2] for r in years), ZERO),
                            tuple(r[0] for r in years), years[-1][3]) for pid, years in grouped.items()}
