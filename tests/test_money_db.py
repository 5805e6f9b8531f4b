"""Money round-trips exactly form → database → page on SQLite and PostgreSQL."""
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from portfolio import db
from portfolio.money import format_money
from portfolio.orgs.models import EntityCap, PublicEntity

caps = st.decimals(min_value=Decimal("0"), max_value=Decimal("999999999999.99"), places=2)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(amount=caps)
def test_money_column_round_trips_exactly(ctx, amount):
    entity = db.session.scalar(select(PublicEntity).where(PublicEntity.level == "distrital").limit(1))
    nested = db.session.begin_nested()
    cap = EntityCap(entity=entity, year=2099, amount=amount, legal_basis="prueba")
    db.session.add(cap)
    db.session.flush()
    db.session.expire(cap)
    assert cap.amount == amount
    assert isinstance(cap.amount, Decimal)
    nested.rollback()


def test_database_sums_are_exact(ctx):
    """SQLite would sum NUMERIC as floats; céntimos make SUM exact."""
    entity = db.session.scalar(select(PublicEntity).where(PublicEntity.level == "distrital").limit(1))
    for year, amount in enumerate(["0.10", "0.20", "300250.43", "0.01"], start=2090):
        db.session.add(EntityCap(entity=entity, year=year, amount=Decimal(amount), legal_basis="prueba"))
    db.session.flush()
    total = db.session.scalar(select(func.sum(EntityCap.amount)).where(EntityCap.year >= 2090))
    assert total == Decimal("300250.74") and isinstance(total, Decimal)  # no float noise


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(amount=caps)
def test_cap_form_to_page_round_trip(login_as, amount, app):
    staff = login_as("staff")
    with app.app_context():
        entity_id = db.session.scalar(select(PublicEntity.id).where(PublicEntity.name.like("Municipalidad Distrital de Moche")))
    typed = format_money(amount, symbol=False)
    response = staff.post(f"/organizaciones/entidades/{entity_id}/topes", {
        "cap-year": "2031", "cap-amount": typed, "cap-legal_basis": "DS de prueba"})
    assert response.status_code == 302, response.get_data(as_text=True)
    page = staff.get(f"/organizaciones/entidades/{entity_id}").get_data(as_text=True)
    assert format_money(amount) in page
    with app.app_context():
        stored = db.session.scalar(select(EntityCap.amount).where(EntityCap.entity_id == entity_id, EntityCap.year == 2031))
    assert stored == amount
