"""The projects by stage kept by database triggers (migration 0026): the pipeline, the dashboards and the portal
read them, and they add up to grouping the projects themselves through the services, raw SQL and the demo
flag; ``ledger verify`` notices a tally that does not add up."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select, text, update

from portfolio import db
from portfolio.dashboards.queries import oxi as oxi_dashboard
from portfolio.money import money_sum
from portfolio.projects import queries, tallies
from portfolio.projects.models import Project, ProjectTally
from portfolio.public import queries as public_queries


def _reader(role: str, company_id: int | None = None):
    return type("Reader", (), {"role": role, "company_id": company_id, "is_authenticated": True, "is_active": True})()


STAFF = _reader("staff")


def _grouped(demo: bool | None = None) -> dict[str, tuple[int, Decimal]]:
    query = select(Project.stage, func.count(), money_sum(Project.list_amount)).group_by(Project.stage)
    if demo is not None:
        query = query.where(Project.is_demo.is_(demo))
    return {stage: (count, amount) for stage, count, amount in db.session.execute(query)}


def _assert_tallies_match():
    for demo in (None, True, False):
        assert tallies.by_stage(demo) == _grouped(demo), demo
    for demo, flag in (("", None), ("si", True), ("no", False)):
        rows = {r.stage: (r.count, r.amount) for r in queries.pipeline(STAFF, demo=demo) if r.count}
        assert rows == _grouped(flag), demo
    assert tallies.problems() == []


def test_stage_tallies_add_up_to_the_projects(oxi):
    for stage in ("priorizado", "adjudicado", "convenio_suscrito", "convenio_suscrito", "en_ejecucion"):
        oxi.project(stage)
    db.session.flush()
    assert sum(count for count, _ in tallies.by_stage().values()) == db.session.scalar(select(func.count(Project.id)))
    _assert_tallies_match()
    # changes behind the services' back move projects and amounts between keys
    p = Project.__table__
    first, second, third = db.session.scalars(select(Project.id).order_by(Project.id).limit(3)).all()
    db.session.execute(update(p).where(p.c.id == first).values(stage="cancelado"))
    db.session.execute(update(p).where(p.c.id == second).values(is_demo=True, awarded_amount=None))
    db.session.execute(update(p).where(p.c.id == third).values(variations_total=p.c.variations_total + 12345))
    db.session.execute(update(p).where(p.c.awarded_amount.is_(None)).values(reference_amount=p.c.reference_amount + 7))
    _assert_tallies_match()
    assert _grouped(True) and _grouped(False)
    # every reader of the figures by stage sees the same numbers
    grouped = _grouped()
    assert {s: (c, a) for s, c, a in oxi_dashboard.pipeline() if c} == grouped
    assert public_queries.overview()["projects"] == sum(c for c, _ in grouped.values())


def test_a_company_pipeline_counts_only_its_own_projects(oxi, make_company):
    mine = oxi.project("adjudicado")
    oxi.project("adjudicado")
    company = mine.members[0].company
    user = _reader("company", company.id)
    rows = {r.stage: r.count for r in queries.pipeline(user) if r.count}
    assert rows == {"adjudicado": 1}
    assert {r.stage: r.count for r in queries.pipeline(STAFF) if r.count}["adjudicado"] >= 2


def test_verify_reports_a_stage_tally_that_does_not_add_up(oxi):
    oxi.project("priorizado")
    db.session.execute(text("INSERT INTO project_tallies (stage, is_demo, row_count, amount, compacted) "
                            "VALUES ('priorizado', FALSE, 1, 0, FALSE)"))
    found = tallies.problems()
    assert len(found) == 1 and found[0].startswith("Totales de proyectos priorizado · False"), found
    assert db.session.scalar(select(func.count(ProjectTally.id))) >= 2
