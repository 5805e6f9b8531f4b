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
        model = pending[1]  # a request like the others, for the organization the member is recused from
        db.session.add(Disbursement(program_id=model.program_id, organization_id=other_org.id, year=model.year,
                                    amount=model.amount, purpose=model.purpose, requested_by_id=model.requested_by_id,
                                    requested_on=model.requested_on))
        db.session.commit()
    html = client.get("/").get_data(as_text=True)
    assert kpi(html, "por-votar") == str(total - 1)  # all but the one voted and the recused one


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


def _contributions(app, company_id: int, rows: list[tuple[dt.date, str, str]]) -> None:
    """(due date, amount due, amount paid) rows for ``company_id``, one a month."""
    from portfolio.trust.models import Contribution

    with app.app_context():
        for due, amount, paid in rows:
            month = (due.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
            db.session.add(Contribution(company_id=company_id, month=month, due_date=due, amount_due=Decimal(amount),
                                        amount_paid=Decimal(paid)))
        db.session.commit()


def test_company_dashboard_shows_next_due_date_and_arrears_apart(app, login_as):
    import re

    from portfolio import clock

    with clock.frozen(dt.datetime(2026, 6, 10, 15, 0, tzinfo=dt.UTC)):
        late = login_as("company")
        _contributions(app, late.user["company_id"], [
            (dt.date(2026, 2, 15), "100.00", "100.00"),
            (dt.date(2026, 3, 15), "200.00", "50.00"),   # overdue since March
            (dt.date(2026, 4, 15), "300.00", "0.00"),    # overdue
            (dt.date(2026, 5, 15), "400.00", "400.00"),
            (dt.date(2026, 6, 15), "500.00", "0.00"),    # the next due date
        ])
        html = late.get("/").get_data(as_text=True)
        text = re.sub(r"[ \t\r\n]+", " ", re.sub(r"<[^>]+>", "", html))
        assert "Próximo vencimiento: 15/06/2026 · por pagar S/\u00a0500.00." in text
        alert = re.search(r'<div class="alert alert-danger"[^>]*id="aportes-en-mora">(.*?)</div>', html, re.S)
        assert alert, "arrears are highlighted"
        alert_text = re.sub(r"<[^>]+>", "", alert.group(1))
        assert "2 meses vencidos por S/\u00a0450.00" in alert_text and "15/03/2026" in alert_text
        assert kpi(html, "meses-mora") == "2" and kpi(html, "deuda-vencida") == format_money(Decimal("450.00"))

        current = login_as("company")
        _contributions(app, current.user["company_id"], [
            (dt.date(2026, 4, 15), "300.00", "300.00"),
            (dt.date(2026, 5, 15), "400.00", "400.00"),
            (dt.date(2026, 6, 10), "500.00", "0.00"),    # due today: not yet overdue
        ])
        html = current.get("/").get_data(as_text=True)
        text = re.sub(r"[ \t\r\n]+", " ", re.sub(r"<[^>]+>", "", html))
        assert "Próximo vencimiento: 10/06/2026 · por pagar S/\u00a0500.00." in text
        assert 'id="aportes-en-mora"' not in html and kpi(html, "meses-mora") == "0"
