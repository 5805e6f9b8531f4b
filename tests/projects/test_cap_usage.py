"""The CIPRL cap rule has one function (``queries.ciprl_cap_usage``); the certificate and convenio services,
the staff dashboard, the MEF workbook and the entity page all read it, so they cannot disagree."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from portfolio import clock, db, seeding
from portfolio.dashboards.queries import oxi as dashboard
from portfolio.errors import DomainError
from portfolio.money import format_money
from portfolio.orgs.models import PublicEntity
from portfolio.projects import caps, certificates, execution, queries
from portfolio.projects.models import Certificate, Project, StageTransition, Variation
from portfolio.projects.stages import Check
from tests.support import STAFF_ACTOR

from .conftest import MPT, D
from .test_exports_mef import book, build, full_project, money, resumen_block

CENT = Decimal("0.01")
YEAR = 2026
IN_DEMO_YEAR = dt.datetime(YEAR, 12, 1, 17, 0, tzinfo=dt.UTC)  # a day of the demo's year, 12:00 in Lima


def _accepts(entity, amount: Decimal) -> bool:
    check = Check()
    caps.check_ciprl_cap(entity, YEAR, amount, D(YEAR, 6, 1), check, "este certificado")
    return not check.reasons


def test_dashboard_headroom_is_what_the_cap_rule_still_accepts_on_the_demo_data(oxi):
    seeding.load_demo()
    rows, _ciprl, _cipgn = dashboard.certificates_vs_caps(YEAR)
    by_name = {row.name: row for row in rows}
    # MPT: cap 25 M; the 2026 convenio of S/ 18.5 M + S/ 1.1 M of adendas is already committed. The S/ 5.2 M
    # certificate issued on it is inside that commitment, so it is not counted again.
    mpt = by_name[MPT]
    assert (mpt.cap, mpt.committed, mpt.issued, mpt.prior) == (
        Decimal("25000000.00"), Decimal("19600000.00"), Decimal("8200000.00"), Decimal("0.00"))
    assert mpt.remaining == Decimal("5400000.00")
    assert len(rows) == 5
    for row in rows:
        entity = db.session.get(PublicEntity, row.entity_id)
        assert row.remaining == row.cap - caps.ciprl_usage(row.entity_id, YEAR)
        if row.available > 0:
            assert _accepts(entity, row.available), row.name
        assert not _accepts(entity, row.available + CENT), row.name


def test_the_certificate_service_accepts_exactly_the_dashboard_headroom(oxi):
    seeding.load_demo()
    oxi.cap(MPT, 2025, "90000000.00")
    older = oxi.project("en_ejecucion", entity=MPT, convenio_on=D(2025, 5, 5), awarded_amount="9000000.00")
    milestone = oxi.milestone(older, amount="9000000.00")
    headroom = next(r for r in dashboard.certificates_vs_caps(YEAR)[0] if r.name == MPT).remaining
    with pytest.raises(DomainError, match="Excede el tope CIPRL 2026"):
        certificates.add_certificate(project=older, number="T-1", amount=headroom + CENT, issue_date=D(YEAR, 8, 1),
                                     milestone_id=milestone.id, actor=STAFF_ACTOR)
    certificates.add_certificate(project=older, number="T-2", amount=headroom, issue_date=D(YEAR, 8, 1),
                                 milestone_id=milestone.id, actor=STAFF_ACTOR)
    after = next(r for r in dashboard.certificates_vs_caps(YEAR)[0] if r.name == MPT)
    assert after.remaining == 0 and after.prior == headroom


def test_staff_dashboard_shows_the_rules_headroom_not_cap_minus_issued(app, login_as):
    with clock.frozen(IN_DEMO_YEAR):  # the dashboard shows the current year's caps: the demo's are for YEAR
        with app.app_context():
            seeding.load_demo()
            db.session.commit()
        html = login_as("staff").get("/").get_data(as_text=True)
    assert 'id="topes"' in html
    assert format_money(Decimal("5400000.00")) in html  # what the app still accepts for MPT
    assert format_money(Decimal("19800000.00")) not in html  # cap − certificates issued: not a headroom


def _at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(15), tzinfo=dt.UTC)


def _project_with_history(entity_id: int, convenio_on: dt.date, *, signed_in_system: dt.date, amount: str) -> Project:
    """A project whose history was recorded on past dates (rows written directly, as an import would)."""
    project = Project(name=f"Historia {convenio_on} {signed_in_system}", entity_id=entity_id, sector="orden_publico",
                      stage="en_ejecucion", awarded_amount=Decimal(amount), awarded_on=convenio_on - dt.timedelta(days=20),
                      convenio_on=convenio_on)
    db.session.add(project)
    db.session.flush()
    db.session.add_all([
        StageTransition(project_id=project.id, from_stage="priorizado", to_stage="adjudicado",
                        at=_at(convenio_on - dt.timedelta(days=20))),
        StageTransition(project_id=project.id, from_stage="adjudicado", to_stage="convenio_suscrito",
                        at=_at(signed_in_system)),
        StageTransition(project_id=project.id, from_stage="convenio_suscrito", to_stage="en_ejecucion",
                        at=_at(signed_in_system + dt.timedelta(days=10))),
    ])
    db.session.flush()
    return project


def test_usage_as_of_a_date_leaves_out_what_happened_later(oxi):
    entity_id = oxi.entity(MPT).id
    project = _project_with_history(entity_id, D(YEAR, 3, 2), signed_in_system=D(YEAR, 3, 2), amount="1000000.00")
    # Signed on paper on 01/04 but recorded as «convenio suscrito» only on 10/06: until then it was «adjudicado».
    _project_with_history(entity_id, D(YEAR, 4, 1), signed_in_system=D(YEAR, 6, 10), amount="2000000.00")
    older = _project_with_history(entity_id, D(2025, 5, 1), signed_in_system=D(2025, 5, 1), amount="900000.00")
    db.session.add_all([
        Variation(project_id=project.id, kind="monto", amount_delta=Decimal("120000.45"), approved_on=D(YEAR, 6, 1),
                  legal_reference="Adenda 1"),
        Certificate(project_id=project.id, cert_type="CIPRL", number="H-1", amount=Decimal("300000.00"),
                    issue_date=D(YEAR, 5, 10), status="emitido"),
        Certificate(project_id=older.id, cert_type="CIPRL", number="H-2", amount=Decimal("100000.01"),
                    issue_date=D(YEAR, 7, 15), status="emitido"),
        Certificate(project_id=older.id, cert_type="CIPRL", number="H-3", amount=Decimal("7.00"),
                    issue_date=D(YEAR, 2, 15), status="anulado"),
    ])
    db.session.flush()

    def usage(as_of=None):
        found = queries.entity_ciprl_usage(entity_id, YEAR, as_of=as_of)
        return found.committed, found.issued, found.prior

    assert usage(D(YEAR, 3, 1)) == (0, 0, 0)  # the convenio came the next day
    assert usage(D(YEAR, 5, 31)) == (Decimal("1000000.00"), Decimal("300000.00"), 0)
    assert usage(D(YEAR, 6, 30)) == (Decimal("3120000.45"), Decimal("300000.00"), 0)
    assert usage(D(YEAR, 7, 31)) == (Decimal("3120000.45"), Decimal("400000.01"), Decimal("100000.01"))
    assert usage() == usage(D(YEAR, 12, 31)) == usage(D(YEAR + 1, 1, 31))
    assert caps.ciprl_usage(entity_id, YEAR, as_of=D(YEAR, 7, 31)) == Decimal("3220000.46")
    assert queries.entity_ciprl_usage(entity_id, 2025, as_of=D(2025, 12, 31)).committed == Decimal("900000.00")
    assert queries.ciprl_cap_usage(year=YEAR, as_of=D(2025, 12, 31)) == []  # a year after the date is not shown


def test_mef_cap_block_equals_the_rule_as_of_the_cutoff(oxi):
    oxi.cap(MPT, YEAR, "50000000.00")
    oxi.cap(MPT, 2025, "3000000.00")
    full_project(oxi, entity=MPT)
    older = oxi.project("en_ejecucion", entity=MPT, convenio_on=D(2025, 4, 1), prioritized_on=D(2025, 1, 10))
    milestone = oxi.milestone(older, amount="800000.00")
    certificates.add_certificate(project=older, number="P-1", amount="250000.00", issue_date=D(YEAR, 2, 1),
                                 milestone_id=milestone.id, actor=STAFF_ACTOR)
    certificates.add_certificate(project=older, number="P-2", amount="150000.00", issue_date=D(YEAR, 6, 20),
                                 milestone_id=milestone.id, actor=STAFF_ACTOR)
    execution.add_variation(project=older, kind="monto", amount_delta="50000.00", days_delta=None,
                            approved_on=D(2025, 9, 1), legal_reference="Adenda 2025", actor=STAFF_ACTOR)
    entity_id = older.entity_id
    for cutoff in (D(YEAR, 5, 31), D(YEAR, 11, 30)):
        _, rows, _ = resumen_block(book(build({"corte": cutoff.isoformat()}), values=True)["Resumen"],
                                   "Certificados emitidos vs topes CIPRL")
        expected = [u for u in queries.ciprl_cap_usage(as_of=cutoff) if u.entity_id == entity_id]
        got = [r for r in rows if r[0] == MPT]
        assert [(r[1], *(money(v) for v in r[2:])) for r in got] == [
            (u.year, u.cap, u.committed, u.issued, u.prior, u.cap - u.used) for u in expected]
        assert {u.year for u in expected} == {2025, YEAR}
    june = next(u for u in queries.ciprl_cap_usage(as_of=D(YEAR, 5, 31)) if u.entity_id == entity_id
                and u.year == YEAR)
    # On 31/05 only the February certificate of the 2025 convenio drew on the cap; the 2026 convenio was
    # recorded in the system (its stage history) after that date, so it was not committed yet.
    assert (june.committed, june.prior, june.used) == (0, Decimal("250000.00"), Decimal("250000.00"))


def test_entity_page_shows_cap_used_and_remaining_of_the_year(app, login_as):
    with clock.frozen(IN_DEMO_YEAR):  # the page shows the current year's cap: the demo's are for YEAR
        with app.app_context():
            seeding.load_demo()
            db.session.commit()
            entity_id = db.session.scalar(select(PublicEntity.id).where(PublicEntity.name == MPT))
            usage = queries.entity_ciprl_usage(entity_id, YEAR)
        html = login_as("auditor").get(f"/organizaciones/entidades/{entity_id}").get_data(as_text=True)
    assert f"Uso del tope CIPRL {YEAR}" in html
    assert f'id="uso-tope-tope">{format_money(usage.cap)}<' in html
    assert f'id="uso-tope-usado">{format_money(usage.used)}<' in html
    assert f'id="uso-tope-saldo">{format_money(usage.available)}<' in html
    assert 'id="uso-tope-saldo">S/\u00a05,400,000.00<' in html


def test_entity_page_without_a_cap_for_the_year_says_so(app, login_as):
    with app.app_context():
        entity_id = db.session.scalar(select(PublicEntity.id).where(PublicEntity.name == MPT))
    html = login_as("staff").get(f"/organizaciones/entidades/{entity_id}").get_data(as_text=True)
    assert 'id="uso-tope-sin-tope"' in html and 'id="uso-tope-tope">Sin tope registrado<' in html
