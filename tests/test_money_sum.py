"""One helper adds money up in SQL (``portfolio.money.money_sum``): exact céntimos handed out as Decimal soles,
zero for no rows, on SQLite and PostgreSQL; the projects, dashboards, portal and ledger all use it."""
from decimal import Decimal

from sqlalchemy import select

from portfolio import db
from portfolio.money import money_sum
from portfolio.orgs.models import EntityCap, PublicEntity


def test_money_sum_is_exact_and_zero_when_empty(ctx):
    entity = db.session.scalar(select(PublicEntity).where(PublicEntity.level == "distrital").limit(1))
    assert db.session.scalar(select(money_sum(EntityCap.amount)).where(EntityCap.year >= 2090)) == Decimal("0.00")
    for year, amount in enumerate(["0.10", "0.20", "300250.43", "0.01", "-0.00"], start=2090):
        db.session.add(EntityCap(entity=entity, year=year, amount=Decimal(amount), legal_basis="prueba"))
    db.session.flush()
    total = db.session.scalar(select(money_sum(EntityCap.amount)).where(EntityCap.year >= 2090))
    assert total == Decimal("300250.74") and str(total) == "300250.74"


def test_every_consumer_uses_the_one_helper():
    from portfolio.dashboards.queries import oxi
    from portfolio.projects import caps
    from portfolio.public import queries as portfolio_data
    from portfolio.trust import ledger

    assert oxi.money_sum is caps.money_sum is portfolio_data.money_sum is ledger.money_sum is money_sum
