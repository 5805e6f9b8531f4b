"""A company's payment registration does not depend on other companies' data: registering a bank operation
number that another company already registered gets exactly the answer a fresh number gets (uniqueness is
per company). The trust still counts one bank transfer once: the trustee confirms one payment per bank +
operation number (service refusal, partial unique index) and is shown the other company's payment."""
from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from portfolio import clock, db
from portfolio.errors import DomainError
from portfolio.trust.models import Contribution, Payment
from portfolio.trust.services import contributions
from portfolio.trust.services.verify import domain_problems
from portfolio.trust.vocab import PaymentStatus
from tests.support import insert_user
from tests.trust.conftest import TODAY, D, World, key, ledger_snapshot, make_company, run
from tests.trust.test_pages import declare


def other_company(world: World, month=dt.date(2026, 5, 1), payroll=D("1000000.00")):  # noqa: B008
    """A second company with its own declaration (S/ 1,500.00 due for S/ 1,000,000.00 of payroll)."""
    company = make_company()
    user = insert_user("company", company.id)
    contribution = run(lambda: contributions.declare(company_id=company.id, month=month, payroll=payroll,
                                                     headcount=3, actor=user, key=key(), today=TODAY)).value
    return company, user, contribution


def answer(world, contribution, amount, operation, actor, paid_on=TODAY, bank="BCP"):
    """What the service tells a company: ("ok", payment) or ("refused", field, message)."""
    try:
        payment = world.pay(contribution, amount, operation=operation, actor=actor, paid_on=paid_on, bank=bank).value
    except DomainError as exc:
        return ("refused", exc.field, exc.message)
    return ("ok", payment)


def test_another_companys_operation_gets_the_answer_a_fresh_number_gets(world):
    mine = world.declare().value
    first = world.pay(mine, D("100.00"), operation="OP-445566").value
    _, b_user, theirs = other_company(world)
    _, c_user, fresh = other_company(world)
    # accepted alike: B's own payment, registered like C's with a number nobody used
    used, new = answer(world, theirs, D("250.00"), "op-445566", b_user), answer(world, fresh, D("250.00"),
                                                                                "OP-990011", c_user)
    assert used[0] == new[0] == "ok"
    b_payment, c_payment = used[1], new[1]
    assert b_payment.id != first.id and b_payment.company_id == theirs.company_id
    assert (b_payment.status, b_payment.amount, b_payment.bank, b_payment.operation_number) == \
        (PaymentStatus.REGISTRADO, D("250.00"), "BCP", "OP-445566")
    assert (c_payment.status, c_payment.amount) == (PaymentStatus.REGISTRADO, D("250.00"))
    # refused alike, with the same field and message (the overpayment rule), nothing about A
    assert answer(world, theirs, D("5000.00"), "OP-445566", b_user)[0] == "refused"
    over_used = answer(world, theirs, D("5000.00"), "OP-445567", b_user)
    over_new = answer(world, fresh, D("5000.00"), "OP-990012", c_user)
    assert over_used == over_new and over_used[0] == "refused"
    assert "100.00" not in over_used[2] and world.company.legal_name not in over_used[2]
    # A's payment stands untouched
    db.session.expire_all()
    assert (db.session.get(Payment, first.id).contribution_id, db.session.get(Payment, first.id).amount) == \
        (mine.id, D("100.00"))


def test_the_same_companys_retry_is_recognised_and_other_data_refused_precisely(world):
    mine = world.declare().value
    first = world.pay(mine, D("100.00"), operation="OP-445566").value
    _, b_user, theirs = other_company(world)
    b_first = world.pay(theirs, D("300.00"), operation="OP-445566", actor=b_user).value
    # each company's retry returns its own first payment, never the other's
    assert world.pay(mine, D("100.00"), operation=" op-445566 ").value.id == first.id
    assert world.pay(theirs, D("300.00"), operation="OP-445566", actor=b_user).value.id == b_first.id
    assert db.session.scalar(select(func.count(Payment.id)).where(Payment.operation_number == "OP-445566")) == 2
    # the same company reusing its number with other data gets the precise message (about its own payment)
    with pytest.raises(DomainError, match="ya fue registrada por su empresa con otros datos"):
        world.pay(theirs, D("200.00"), operation="OP-445566", actor=b_user)
    with pytest.raises(DomainError, match="ya fue registrada por su empresa con otros datos"):
        world.pay(mine, D("100.00"), operation="OP-445566", paid_on=TODAY - dt.timedelta(days=3))


def registered(client) -> int:
    with client.c.application.app_context():
        return db.session.scalar(select(Contribution.id).where(Contribution.company_id == client.user["company_id"]))


def flashes(client):
    with client.c.session_transaction() as session:
        return session.get("_flashes", [])


def post_payment(client, contribution_id, operation, amount):
    data = {"paid_on": clock.today().isoformat(), "bank": "BCP", "operation_number": operation,
            "amount": amount, "idem": uuid.uuid4().hex}
    response = client.post(f"/fideicomiso/empresa/declaraciones/{contribution_id}/pagar", data)
    location = re.sub(r"/\d+", "/N", response.headers.get("Location", ""))
    return response.status_code, location, flashes(client)


def test_http_answer_for_another_companys_operation_is_a_fresh_numbers(app, login_as):
    a, b, c = login_as("company"), login_as("company"), login_as("company")
    for client in (a, b, c):
        declare(client)
    a_cid, b_cid, c_cid = registered(a), registered(b), registered(c)
    assert post_payment(a, a_cid, "90817263", "123.45")[2] == [
        ("success", "Pago registrado. El fiduciario lo confirmará contra el extracto bancario.")]
    used, new = post_payment(b, b_cid, "90817263", "10.00"), post_payment(c, c_cid, "55501234", "10.00")
    assert used == new  # status code, where it goes back to (id aside), flashed messages
    assert used[0] == 302 and used[2][0][0] == "success"
    # a refusal is the same too: an amount above what B and C owe
    assert post_payment(b, b_cid, "90817264", "9999.00") == post_payment(c, c_cid, "55501235", "9999.00")
    assert post_payment(b, b_cid, "90817263", "9999.00")[2] == post_payment(c, c_cid, "55501234", "9999.00")[2]
    b.get(f"/fideicomiso/empresa/declaraciones/{b_cid}")  # shows (and drains) the flashed answers above
    page = b.get(f"/fideicomiso/empresa/declaraciones/{b_cid}").get_data(as_text=True)
    with app.app_context():
        from portfolio.orgs.models import Company

        a_name = db.session.get(Company, a.user["company_id"]).legal_name
        assert db.session.scalar(select(func.count(Payment.id)).where(Payment.contribution_id == b_cid)) == 1
    assert "90817263" in page and "S/\u00a010.00" in page
    assert a_name not in page and "123.45" not in page and "otros datos" not in page


def two_companies_one_operation(world, operation="OP-777000", a_amount="100.00", b_amount="100.00"):
    mine = world.declare().value
    a = world.pay(mine, D(a_amount), operation=operation).value
    b_company, b_user, theirs = other_company(world)
    b = world.pay(theirs, D(b_amount), operation=operation, actor=b_user).value
    return a, b, b_company


def test_the_trustee_confirms_one_payment_per_bank_operation(world):
    a, b, b_company = two_companies_one_operation(world)
    world.confirm(b)
    before = ledger_snapshot()
    with pytest.raises(DomainError) as info:
        world.confirm(a)
    message = info.value.message
    assert "La operación BCP OP-777000 ya está confirmada" in message
    assert b_company.legal_name in message and b_company.ruc in message and "Rechace este pago" in message
    assert ledger_snapshot() == before
    db.session.expire_all()
    assert db.session.get(Payment, a.id).status == PaymentStatus.REGISTRADO
    run(lambda: contributions.reject_payment(payment_id=a.id, note="Operación de otra empresa", actor=world.trustee,
                                             key=key()))
    assert domain_problems() == []


def test_another_bank_with_the_same_number_is_another_operation(world):
    a, _, _ = two_companies_one_operation(world)
    _, c_user, third = other_company(world, month=dt.date(2026, 4, 1))
    c = world.pay(third, D("100.00"), operation="OP-777000", bank="BBVA", actor=c_user).value
    world.confirm(a)
    assert world.confirm(c).value.status == PaymentStatus.CONFIRMADO


def test_the_database_refuses_a_second_confirmed_payment_of_one_operation(world):
    a, b, _ = two_companies_one_operation(world)
    world.confirm(a)
    # the service's check bypassed through the ORM
    payment = db.session.get(Payment, b.id)
    payment.status = PaymentStatus.CONFIRMADO
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
    # and through SQL
    with pytest.raises(IntegrityError):
        db.session.execute(text("UPDATE trust_payments SET status = 'confirmado' WHERE id = :id"), {"id": b.id})
    db.session.rollback()
    # nor can the number be written another way (lower case, spaces) to slip past the index: it is stored
    # normalised, so the index on the column is an index on the normalised number (the number of a payment is
    # history as well: the history trigger or the CHECK refuses the change, whichever the database runs first)
    with pytest.raises(DBAPIError):
        db.session.execute(text("UPDATE trust_payments SET operation_number = 'op-777 000', status = 'confirmado' "
                                "WHERE id = :id"), {"id": b.id})
    db.session.rollback()
    with pytest.raises(DBAPIError):
        db.session.execute(text("UPDATE trust_payments SET operation_number = 'op-777000' WHERE id = :id"),
                           {"id": b.id})
    db.session.rollback()
    db.session.expire_all()
    assert db.session.get(Payment, b.id).status == PaymentStatus.REGISTRADO
    # the index covers confirmed payments only: rejecting the second one is no conflict
    db.session.execute(text("UPDATE trust_payments SET status = 'rechazado' WHERE id = :id"), {"id": b.id})
    db.session.flush()
    assert db.session.scalar(select(Payment.status).where(Payment.id == b.id)) == PaymentStatus.RECHAZADO
    db.session.rollback()


def test_ledger_verify_passes_after_one_operation_registered_twice(world, app):
    a, b, _ = two_companies_one_operation(world, a_amount="100.00", b_amount="40.00")
    world.confirm(a)
    with pytest.raises(DomainError):
        world.confirm(b)
    result = app.test_cli_runner().invoke(args=["ledger", "verify"])
    assert result.exit_code == 0, result.output
    assert "conforme" in result.output


def test_the_trustee_sees_the_other_company_on_a_payment_to_confirm(app, login_as):
    a, b = login_as("company"), login_as("company")
    declare(a)
    declare(b)
    post_payment(a, registered(a), "88776655", "123.45")
    post_payment(b, registered(b), "88776655", "10.00")
    post_payment(b, registered(b), "11112222", "20.00")
    with app.app_context():
        from portfolio.orgs.models import Company

        names = {c.id: (c.legal_name, c.ruc) for c in db.session.scalars(select(Company))}
        ids = dict(db.session.execute(select(Payment.operation_number, Payment.id)
                                      .where(Payment.company_id == a.user["company_id"])).all())
        b_ids = dict(db.session.execute(select(Payment.operation_number, Payment.id)
                                        .where(Payment.company_id == b.user["company_id"])).all())
    trustee = login_as("trustee")
    html = trustee.get("/fideicomiso/fiduciario").get_data(as_text=True)
    flag_a = re.search(rf'data-testid="same-operation-{ids["88776655"]}">(.*?)</div>', html, re.S)
    flag_b = re.search(rf'data-testid="same-operation-{b_ids["88776655"]}">(.*?)</div>', html, re.S)
    assert flag_a and flag_b
    b_name, b_ruc = names[b.user["company_id"]]
    a_name, a_ruc = names[a.user["company_id"]]
    assert "Otra empresa registró la misma operación" in flag_a.group(1)
    assert b_name in flag_a.group(1) and b_ruc in flag_a.group(1) and "S/\u00a010.00" in flag_a.group(1)
    assert a_name in flag_b.group(1) and "S/\u00a0123.45" in flag_b.group(1)
    assert f'data-testid="same-operation-{b_ids["11112222"]}"' not in html
    # the companies themselves are told nothing
    for client, other in ((a, b_name), (b, a_name)):
        page = client.get(f"/fideicomiso/empresa/declaraciones/{registered(client)}").get_data(as_text=True)
        assert other not in page and "Otra empresa registró" not in page


def test_ledger_verify_reports_an_operation_confirmed_twice(world):
    """Without the index (dropped inside this test's transaction), ``verify`` still names the double count."""
    a, b, _ = two_companies_one_operation(world)
    world.confirm(a)
    db.session.execute(text("DROP INDEX uq_trust_payments_confirmed_operation"))
    db.session.execute(text("UPDATE trust_payments SET status = 'confirmado' WHERE id = :id"), {"id": b.id})
    assert "Operación BCP OP-777000: confirmada en 2 pagos (una operación bancaria es un pago)." in domain_problems()
    db.session.rollback()
