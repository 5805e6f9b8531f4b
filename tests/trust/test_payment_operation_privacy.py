"""One bank operation is one payment, and a company that types another company's operation number learns
nothing about that payment: the refusal is the same whatever the other payment's data."""
from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import func, select

from portfolio import db
from portfolio.errors import DomainError
from portfolio.trust.models import Contribution, Payment
from portfolio.trust.services import contributions
from tests.support import insert_user
from tests.trust.conftest import TODAY, D, World, key, make_company, run
from tests.trust.test_pages import declare


def other_company(world: World):
    company = make_company()
    return company, insert_user("company", company.id)


def refusal(world, contribution, amount, operation, actor, paid_on=TODAY, bank="BCP") -> str:
    with pytest.raises(DomainError) as info:
        world.pay(contribution, amount, operation=operation, actor=actor, paid_on=paid_on, bank=bank)
    return info.value.message


def test_another_companys_operation_is_refused_without_revealing_it(world):
    mine = world.declare().value
    first = world.pay(mine, D("100.00"), operation="OP-445566").value
    company, user = other_company(world)
    theirs = run(lambda: contributions.declare(company_id=company.id, month=dt.date(2026, 5, 1),
                                               payroll=D("1000000.00"), headcount=3, actor=user, key=key(),
                                               today=TODAY)).value
    before = db.session.scalar(select(func.count(Payment.id)))
    # the same data, other data, another date, another amount: one and the same answer
    answers = {refusal(world, theirs, D("100.00"), "OP-445566", user),
               refusal(world, theirs, D("250.00"), "op-445566", user),
               refusal(world, theirs, D("100.00"), "OP-445566", user, paid_on=TODAY - dt.timedelta(days=3))}
    assert len(answers) == 1
    message = answers.pop()
    assert "otros datos" not in message and "ya fue registrada" not in message
    assert "100.00" not in message and world.company.legal_name not in message
    assert db.session.scalar(select(func.count(Payment.id))) == before
    assert db.session.get(Payment, first.id).contribution_id == mine.id  # the first company's payment stands
    # the owner still gets the precise answer about its own payment
    with pytest.raises(DomainError, match="otros datos"):
        world.pay(mine, D("200.00"), operation="OP-445566")


def test_the_refusal_is_the_same_for_any_other_company_payment(world):
    a = world.declare().value
    world.pay(a, D("100.00"), operation="OP-111111")
    b_company, b_user = other_company(world)
    b = run(lambda: contributions.declare(company_id=b_company.id, month=dt.date(2026, 4, 1), payroll=D("500000.00"),
                                          headcount=2, actor=b_user, key=key(), today=TODAY)).value
    world.pay(b, D("300.00"), operation="OP-222222", actor=b_user, paid_on=TODAY - dt.timedelta(days=10))
    c_company, c_user = other_company(world)
    c = run(lambda: contributions.declare(company_id=c_company.id, month=dt.date(2026, 5, 1), payroll=D("900000.00"),
                                          headcount=2, actor=c_user, key=key(), today=TODAY)).value
    assert refusal(world, c, D("50.00"), "OP-111111", c_user) == refusal(world, c, D("50.00"), "OP-222222", c_user)


def test_http_refusal_shows_no_other_company_data(app, login_as):
    first, second = login_as("company"), login_as("company")
    declare(first)
    declare(second)
    with app.app_context():
        ids = {cid: company for cid, company in db.session.execute(select(Contribution.id, Contribution.company_id))}
        first_cid = next(c for c, company in ids.items() if company == first.user["company_id"])
        second_cid = next(c for c, company in ids.items() if company == second.user["company_id"])
    data = {"paid_on": dt.date.today().isoformat(), "bank": "BCP", "operation_number": "90817263"}
    ok = first.post(f"/fideicomiso/empresa/declaraciones/{first_cid}/pagar",
                    {**data, "amount": "123.45", "idem": uuid.uuid4().hex}, follow_redirects=True)
    assert "Pago registrado" in ok.get_data(as_text=True)
    page = second.post(f"/fideicomiso/empresa/declaraciones/{second_cid}/pagar",
                       {**data, "amount": "10.00", "idem": uuid.uuid4().hex}, follow_redirects=True)
    html = page.get_data(as_text=True)
    assert "comuníquese con el fiduciario" in html
    assert "otros datos" not in html and "123.45" not in html
    with app.app_context():
        assert db.session.scalar(select(func.count(Payment.id)).where(Payment.contribution_id == second_cid)) == 0
