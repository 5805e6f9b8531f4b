"""Any amount typed into a money field — however many digits, signs or separators — gets a Spanish
message or an exact value: never a server error, never a write when it is refused."""
from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from portfolio import clock, db
from portfolio.money import MAX_AMOUNT, MoneyError, parse_money
from portfolio.orgs.models import PublicEntity
from portfolio.projects.models import Project
from portfolio.trust.models import Contribution, Disbursement, Payment
from tests.trust.conftest import new_ruc

MONTH = (clock.today().replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")


def _group(digits: str) -> str:
    head = len(digits) % 3 or 3
    return ",".join([digits[:head]] + [digits[i:i + 3] for i in range(head, len(digits), 3)])


@st.composite
def typed_amounts(draw) -> str:
    """What a person might type: 1–60 digits, a sign or «S/», thousands separators, a decimal part."""
    digits = draw(st.text(alphabet="0123456789", min_size=1, max_size=60))
    if draw(st.booleans()):
        digits = _group(digits)
    elif draw(st.booleans()):
        at = draw(st.integers(min_value=0, max_value=len(digits)))
        digits = digits[:at] + draw(st.sampled_from([",", ".", " ", ",,", "."])) + digits[at:]
    decimals = draw(st.sampled_from(["", ".", ".5", ".50", ".05", ".505", ".123456789"]))
    prefix = draw(st.sampled_from(["", "-", "+", "S/ ", "S/", "-S/ ", "- ", "--"]))
    return prefix + digits + decimals


def _long(n: int, sign: str = "") -> str:
    return sign + "9" * n


@pytest.mark.parametrize("text", [_long(27), _long(28), _long(60), _long(27, "-"), _long(30) + ".50",
                                  _group("1" * 27), "S/ " + _group("9" * 40) + ".99"])
def test_parse_money_refuses_huge_amounts_with_a_spanish_message(text):
    with pytest.raises(MoneyError, match="excede el máximo|negativo"):
        parse_money(text, allow_negative=False)
    with pytest.raises(MoneyError, match="excede el máximo"):
        parse_money(text, allow_negative=True)


def test_parse_money_refuses_huge_decimals_and_integers():
    for value in (Decimal("9" * 27), Decimal("1E+30"), Decimal("-" + "9" * 40 + ".5"), 10 ** 40):
        with pytest.raises(MoneyError, match="excede el máximo"):
            parse_money(value, allow_negative=True)


@settings(max_examples=400, deadline=None)
@given(text=typed_amounts(), allow_negative=st.booleans())
def test_parse_money_answers_every_typed_amount(text, allow_negative):
    try:
        value = parse_money(text, allow_negative=allow_negative)
    except MoneyError as exc:
        assert str(exc)  # a Spanish message, nothing else
        return
    assert isinstance(value, Decimal) and value.as_tuple().exponent == -2
    assert abs(value) <= MAX_AMOUNT and (allow_negative or value >= 0)
    plain = text.replace("S/", "").replace(" ", "").replace(",", "")
    assert value == Decimal(plain)  # exact: nothing rounded away


def test_trust_services_refuse_huge_amounts(ctx):
    from portfolio.errors import DomainError
    from tests.trust.conftest import World

    world = World()
    contribution = world.declare().value
    with pytest.raises(DomainError, match="excede el máximo"):
        world.pay(contribution, Decimal("9" * 30))


# -- real form posts --------------------------------------------------------------------------------


@pytest.fixture
def money_forms(app, login_as):
    """The four money forms the issue names, each logged in as the role that uses it, with what they need."""
    from tests.trust.conftest import World

    company = login_as("company")
    staff = login_as("staff")
    with app.app_context():
        world = World()
        db.session.commit()
        entity_id = db.session.scalar(select(PublicEntity.id).order_by(PublicEntity.id).limit(1))
        program_id, org_id = world.program.id, world.org.id
    company.post("/fideicomiso/empresa/declarar", {"month": MONTH, "payroll": "1,000,000.00", "headcount": "10",
                                                   "idem": uuid.uuid4().hex})
    with app.app_context():
        contribution_id = db.session.scalar(select(Contribution.id).where(
            Contribution.company_id == company.user["company_id"]))
    tokens = {"company": company.csrf_token(), "staff": staff.csrf_token()}

    def post(name: str, amount: str):
        who, url, data = {
            "planilla": (company, "/fideicomiso/empresa/declarar",
                         {"month": (clock.today().replace(day=1) - dt.timedelta(days=70)).strftime("%Y-%m"),
                          "payroll": amount, "headcount": "10"}),
            "pago": (company, f"/fideicomiso/empresa/declaraciones/{contribution_id}/pagar",
                     {"amount": amount, "paid_on": clock.today().isoformat(), "bank": "BCP",
                      "operation_number": uuid.uuid4().hex[:12].upper()}),
            "desembolso": (staff, "/fideicomiso/desembolsos/nuevo",
                           {"program_id": str(program_id), "organization_id": str(org_id),
                            "year": str(clock.today().year), "amount": amount, "purpose": "Equipamiento",
                            "invoices": f"{new_ruc()} F001-{uuid.uuid4().int % 10**6}"}),
            "proyecto": (staff, "/proyectos/nuevo",
                         {"name": f"Proyecto {uuid.uuid4().hex[:6]}", "entity_id": str(entity_id),
                          "sector": "orden_publico", "mechanism": "oxi", "locations": "130101",
                          "reference_amount": amount}),
        }[name]
        token = tokens["company" if who is company else "staff"]
        return who.post(url, {**data, "idem": uuid.uuid4().hex, "csrf_token": token}, follow_redirects=True)

    return post


FORMS = ("planilla", "pago", "desembolso", "proyecto")


def _written(app) -> tuple[int, ...]:
    from portfolio.trust import ledger

    with app.app_context():
        return tuple(db.session.scalar(select(func.count(m.id)))
                     for m in (Contribution, Payment, Disbursement, Project, ledger.Entry))


@pytest.mark.parametrize("amount", [_long(27), _long(26) + ".99", _group("9" * 45), "-" + _long(30), _long(60)])
@pytest.mark.parametrize("form", FORMS)
def test_huge_amount_in_a_money_form_gets_a_spanish_message_and_writes_nothing(app, money_forms, form, amount):
    before = _written(app)
    response = money_forms(form, amount)
    body = response.get_data(as_text=True)
    assert response.status_code != 500 and "Error interno" not in body
    assert "excede el máximo permitido" in body or "no puede ser negativo" in body
    assert _written(app) == before


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(amount=typed_amounts())
def test_every_typed_amount_in_every_money_form_is_answered(app, money_forms, amount):
    try:
        parse_money(amount)
        refusal = None
    except MoneyError as exc:
        refusal = str(exc)
    for form in FORMS:
        before = _written(app)
        response = money_forms(form, amount)
        body = response.get_data(as_text=True)
        assert response.status_code != 500 and "Error interno" not in body, (form, amount)
        if refusal is not None:
            assert refusal.replace("«", "&laquo;") in body or refusal in body, (form, amount, refusal)
            assert _written(app) == before, (form, amount)
