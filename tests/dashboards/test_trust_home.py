"""Trust figures on the board, trustee, company and overview dashboards tie to the database; recusal and
own votes leave a request out of a board member's queue."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import func, select

from portfolio import db
from portfolio.money import format_money
from portfolio.trust.models import ConflictOfInterest, Disbursement, Organization, Payment, Vote
from tests.dashboards.conftest import kpi


def test_trustee_dashboard_counts_what_is_waiting(app, login_as, populate_trust, make_company):
    client = login_as("trustee")
    populate_trust(4, make_company())
    html = client.get("/").get_data(as_text=True)
    with app.app_context():
        to_confirm = db.session.scalar(select(func.count()).select_from(Payment).where(Payment.status == "registrado"))
        approved = db.session.scalar(select(func.count()).select_from(Disbursement)
                                     .where(Disbursement.status.in_(("aprobado", "en_ejecucion"))))
    assert kpi(html, "por-confirmar") == str(to_confirm) and to_confirm >= 4
    assert kpi(html, "por-ejecutar") == str(approved) and approved >= 4
    assert kpi(html, "diferencias") == "4"  # every bank balance of S/ 1.00 differs from the empty ledger
    assert 'id="flujos"' in html and 'id="morosidad"' in html


def test_board_queue_skips_own_votes_and_recusals(app, login_as, populate_trust, make_company):
    client = login_as("board")
    populate_trust(3, make_company())
    me = client.user["id"]
    with app.app_context():
        pending = db.session.scalars(select(Disbursement).where(Disbursement.status == "solicitado")
                                     .order_by(Disbursement.id)).all()
        total = len(pending)
        db.session.add(Vote(disbursement_id=pending[0].id, user_id=me, decision="aprobar", comment="ok"))
        # a recusal covers every request of that organization
        other_org = Organization(ruc="20100070970", name="Asociación recusada", legal_status="constituida")
        db.session.add(other_org)
        db.session.flush()
        db.session.add(ConflictOfInterest(user_id=me, organization_id=other_org.id, description="Fundador"))
        pending[1].organization_id = other_org.id
        db.session.commit()
    html = client.get("/").get_data(as_text=True)
    assert kpi(html, "por-votar") == str(total - 2)


def test_company_dashboard_shows_its_contribution_status(app, login_as, populate_trust, make_company):
    client = login_as("company")
    populate_trust(3, client.user["company_id"])
    populate_trust(2, make_company())  # another company's arrears never show here
    html = client.get("/").get_data(as_text=True)
    assert kpi(html, "meses-mora") == "3"
    assert kpi(html, "deuda-vencida") == format_money(Decimal("450.00"))
    assert kpi(html, "meses-pagados") == "0"


def test_overview_fund_position_ties_to_the_ledger(app, login_as, ctx):
    from tests.trust.conftest import World

    world = World()
    world.fund(Decimal("300.00"), month=dt.date(2026, 5, 1))
    disbursement = world.request(Decimal("120.00")).value
    world.approve(disbursement)
    db.session.commit()
    from portfolio.trust.services import books

    position = books.fund_position()
    db.session.commit()
    db.session.remove()
    html = login_as("auditor").get("/").get_data(as_text=True)
    assert kpi(html, "banco") == format_money(position["bank"])
    assert kpi(html, "reservado") == format_money(position["reserved"]) == "S/\u00a0120.00"
    assert kpi(html, "disponible") == format_money(position["available"])
