"""Projects and amounts per stage read from the tallies the database keeps (migration 0026,
``portfolio.tallies``) instead of grouping every project: the pipeline, the dashboards' and the portal's
figures by stage, and the count of a projects list filtered by nothing the tallies do not hold."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from portfolio import tallies
from portfolio.money import money_sum
from portfolio.projects.models import Project, ProjectTally


def _recount():
    p = Project
    return select(p.stage, p.is_demo, func.count(), money_sum(p.list_amount)).group_by(p.stage, p.is_demo)


PROJECTS = tallies.Tally(ProjectTally, ("stage", "is_demo"), ("row_count", "amount"), "proyectos", _recount)


def by_stage(demo: bool | None = None) -> dict[str, tuple[int, Decimal]]:
    """``{stage: (projects, S/ of their list_amount)}`` for the stages that have projects; ``demo`` True or
    False: only the demo projects or only the real ones."""
    t = ProjectTally
    rows = tallies.grouped(PROJECTS, "stage", func.coalesce(func.sum(t.row_count), 0), money_sum(t.amount),
                           where=() if demo is None else (t.is_demo.is_(demo),))
    return {stage: (count, amount) for stage, count, amount in rows if count}


def problems() -> list[str]:
    """Stages whose tallies do not add up to the projects (for ``ledger verify``), in Spanish."""
    return tallies.problems(PROJECTS)
