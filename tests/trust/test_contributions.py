"""Contributions: amount due, rectification by difference, payments, overpayment rule, statuses, ageing."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from portfolio import db
from portfolio.errors import Conflict, DomainError, Forbidden, NotFound
from portfolio.trust import ledger
from portfolio.trust.models import Payment
from portfolio.trust.services import books, contributions
from tests.support import insert_user
from tests.trust.conftest import TODAY, key, ledger_snapshot, make_company, run

D = Decimal


def receivable(world):
    return ledger.account(db.session, f"1200-{world.company.ruc}").balance


def test_amount_due_is_rate_times_payroll_rounded_half_up(world):
    c = world.declare(payroll=D("1234567.89")).value  # 0.15 % = 1851.851835 → 1851.85
    assert c.amount_due == D("1851.85")
    assert c.versions[0].rate_pct == "0.15"
    assert c.due_date == dt.date(2026, 6, 15)
    assert receivable(world) == D("1851.85")
    c2 = world.declare(month=dt.date(2026, 4, 1), payroll=D("1000.00")).value  # 1.50
    assert c2.amount_due == D("1.50")
    assert contributions.amount_due(D("3.00"), dt.date(2026, 1, 1))[0] == D("0.00")  # 0.0045 → 0.00
    assert contributions.amount_due(D("3.34"), dt.date(2026, 1, 1))[0] == D("0.01")  # 0.00501 → 0.01


def test_month_declared_twice_is_refused_without_writing(world):
    world.declare()
    before = ledger_snapshot()
    with pytest.raises(DomainError, match="Ya declaró 05/2026"):
        world.declare(payroll=D("5.00"))
    db.session.rollback()
    assert ledger_snapshot() == before


@pytest.mark.parametrize("payroll", [D("0.00"), D("-10.00"), D("10.001")])
def test_bad_payroll_is_refused(world, payroll):
    before = ledger_snapshot()
    with pytest.raises(DomainError):
        world.declare(payroll=payroll)
    db.session.rollback()
    assert ledger_snapshot() == before


def test_future_month_refused(world):
    with pytest.raises(DomainError, match="futuro"):
        world.declare(month=dt.date(2026, 7, 1))


def test_replay_same_key_returns_first_result_other_payload_refused(world):
    first = world.declare(key="k1")
    again = world.declare(key="k1")
    assert again.replayed and again.value.id == first.value.id
    assert receivable(world) == D("1500.00")
    with pytest.raises(Conflict):
        world.declare(key="k1", payroll=D("2000000.00"))


def test_rectification_posts_only_the_difference(world):
    c = world.declare().value
    contributions.rectify(contribution_id=c.id, payroll=D("1200000.00"), headcount=12, reason="Omitimos bonos",
                          actor=world.company_user, key=key(), today=TODAY)
    assert c.amount_due == D("1800.00") and c.current_version == 2
    assert [v.difference for v in c.versions] == [D("1500.00"), D("300.00")]
    assert receivable(world) == D("1800.00")
    contributions.rectify(contribution_id=c.id, payroll=D("900000.00"), headcount=9, reason="Error",
                          actor=world.company_user, key=key(), today=TODAY)
    assert c.amount_due == D("1350.00") and receivable(world) == D("1350.00")
    assert ledger.verify(db.session) == []


def test_rectification_cannot_go_below_what_is_paid(world):
    c = world.declare().value
    world.confirm(world.pay(c, D("1000.00")).value)
    with pytest.raises(DomainError, match="menor que lo ya pagado"):
        contributions.rectify(contribution_id=c.id, payroll=D("600000.00"), headcount=5, reason="x",
                              actor=world.company_user, key=key(), today=TODAY)


def test_payment_confirm_posts_and_statuses_move(world):
    c = world.declare().value
    early = dt.date(2026, 6, 10)
    assert c.status(early) == "pendiente"
    p = world.pay(c, D("500.00")).value
    assert p.status == "registrado" and c.amount_paid == 0  # not posted until the trustee confirms
    world.confirm(p)
    assert c.status(early) == "parcial" and c.amount_paid == D("500.00")
    assert c.status(dt.date(2026, 6, 16)) == "vencido" and c.status(TODAY) == "vencido"
    world.confirm(world.pay(c, D("1000.00")).value)
    assert c.status(dt.date(2026, 12, 1)) == "pagado"
    assert world.position()["available"] == D("1500.00") and receivable(world) == 0
    assert ledger.verify(db.session) == []


@pytest.mark.parametrize("amount", [D("0.00"), D("-1.00"), D("1.001")])
def test_bad_payment_amounts_refused(world, amount):
    c = world.declare().value
    with pytest.raises(DomainError):
        world.pay(c, amount)


def test_overpayment_is_refused_including_pending_registrations(world):
    c = world.declare().value
    with pytest.raises(DomainError, match="excede lo adeudado"):
        world.pay(c, D("1500.01"))
    world.pay(c, D("1000.00"))
    with pytest.raises(DomainError, match=r"S/\s500\.00"):
        world.pay(c, D("500.01"))
    world.pay(c, D("500.00"))


def test_same_bank_operation_is_recognised_not_duplicated(world):
    c = world.declare().value
    first = world.pay(c, D("100.00"), operation="OP-778899").value
    again = world.pay(c, D("100.00"), operation="op-778899").value
    assert again.id == first.id
    assert db.session.query(Payment).filter_by(contribution_id=c.id).count() == 1
    with pytest.raises(DomainError, match="otros datos"):
        world.pay(c, D("200.00"), operation="OP-778899")


def test_confirm_twice_and_reject_after_confirm_refused(world):
    c = world.declare().value
    p = world.pay(c, D("100.00")).value
    world.confirm(p)
    with pytest.raises(DomainError, match="confirmado"):
        world.confirm(p)
    with pytest.raises(DomainError):
        contributions.reject_payment(payment_id=p.id, note="x", actor=world.trustee, key=key())


def test_reject_payment_frees_room(world):
    c = world.declare().value
    p = world.pay(c, D("1500.00")).value
    contributions.reject_payment(payment_id=p.id, note="No figura en el banco", actor=world.trustee, key=key())
    assert p.status == "rechazado"
    world.pay(c, D("1500.00"))


def test_reverse_confirmed_payment_with_linked_entry(world):
    c = world.declare().value
    p = world.pay(c, D("700.00")).value
    world.confirm(p)
    contributions.reverse_payment(payment_id=p.id, reason="Cheque rechazado", actor=world.trustee, key=key(),
                                  today=TODAY)
    assert p.status == "revertido" and c.amount_paid == 0 and world.position()["available"] == 0
    reversal = db.session.get(ledger.Entry, p.reversal_entry_id)
    assert reversal.reverses_id == p.entry_id
    assert ledger.verify(db.session) == []


def test_roles_and_company_scope(world):
    c = world.declare().value
    other = insert_user("company", make_company().id)
    with pytest.raises(NotFound):
        world.pay(c, D("1.00"), actor=other)
    with pytest.raises(NotFound):
        contributions.rectify(contribution_id=c.id, payroll=D("1.00"), headcount=1, reason="x", actor=other,
                              key=key(), today=TODAY)
    with pytest.raises(NotFound):
        contributions.declare(company_id=world.company.id, month=dt.date(2026, 3, 1), payroll=D("1.00"),
                              headcount=1, actor=other, key=key(), today=TODAY)
    with pytest.raises(Forbidden):
        world.confirm(world.pay(c, D("1.00")).value, actor=world.staff)
    admin = insert_user("admin")
    with pytest.raises(Forbidden):
        world.declare(month=dt.date(2026, 2, 1), actor=admin)


def test_closed_period_blocks_postings_dated_in_it(world):
    c = world.declare(month=dt.date(2026, 4, 1), today=dt.date(2026, 5, 8)).value  # the ledger starts in May
    p = world.pay(c, D("10.00")).value
    run(lambda: books.record_bank_balance(on=dt.date(2026, 5, 31), balance=D("0.00"), note=None, actor=world.trustee,
                                          key=key(), today=TODAY))
    run(lambda: books.close_period(month=dt.date(2026, 5, 1), actor=world.trustee, key=key(), today=TODAY))
    before = ledger_snapshot()
    with pytest.raises(DomainError, match="cerrado"):
        world.confirm(p, today=dt.date(2026, 5, 30))
    db.session.rollback()
    assert ledger_snapshot() == before


def test_arrears_ageing_buckets_and_company_statement_tie(world):
    for month, payroll in ((dt.date(2026, 1, 1), D("1000000.00")), (dt.date(2026, 3, 1), D("2000000.00")),
                           (dt.date(2026, 5, 1), D("3000000.00"))):
        world.declare(month=month, payroll=payroll)
    # due 15/02 (125 days late on 20/06), 15/04 (66 days), 15/06 (5 days)
    rows = books.arrears_ageing(TODAY, company_id=world.company.id)
    assert len(rows) == 1
    assert rows[0]["buckets"] == [D("4500.00"), D("0.00"), D("3000.00"), D("1500.00")]
    assert rows[0]["total"] == D("9000.00")
    statement = books.company_statement(world.company, dt.date(2026, 1, 1), TODAY)
    assert statement["opening"] == 0 and statement["closing"] == D("9000.00") and statement["ties"]
    assert statement["charges"] == D("9000.00") and statement["credits"] == 0


def test_rate_is_effective_dated(world):
    from portfolio.rules import add_rule_value

    add_rule_value(key="trust.contribution_rate_pct", value="0.20", effective_from=dt.date(2026, 3, 1),
                   resolution_number="002-2026-CT", resolution_date=dt.date(2026, 2, 1), legal_basis="Ordenanza de prueba",
                   actor=world.trustee)
    db.session.commit()
    before = world.declare(month=dt.date(2026, 2, 1), payroll=D("1000000.00")).value
    after = world.declare(month=dt.date(2026, 3, 1), payroll=D("1000000.00")).value
    assert before.amount_due == D("1500.00") and after.amount_due == D("2000.00")
    assert after.versions[0].rate_pct == "0.20"


def test_collection_summary_pledged_vs_collected(world):
    c = world.declare().value
    world.confirm(world.pay(c, D("600.00")).value)
    summary = books.collection_summary()
    assert summary == {"declared": D("1500.00"), "collected": D("600.00"), "owed": D("900.00")}


def _audit_after(action, contribution):
    from portfolio.audit import AuditEntry

    rows = db.session.scalars(select(AuditEntry).where(AuditEntry.action == action,
                                                       AuditEntry.object_id == str(contribution.id))
                              .order_by(AuditEntry.id)).all()
    return [(r.actor_id, r.after_data) for r in rows]


def test_trustee_declares_and_rectifies_on_behalf_of_any_company(world):
    """The trustee may declare and rectify for any active company: the same amount, versions and ledger
    posting of the difference as the company itself, and the audit row names the company acted for."""
    other = make_company()
    mine = world.declare(actor=world.trustee).value
    theirs = run(lambda: contributions.declare(company_id=other.id, month=dt.date(2026, 5, 1), payroll=D("2000000.00"),
                                               headcount=20, actor=world.trustee, key=key(), today=TODAY)).value
    assert (mine.company_id, mine.amount_due, theirs.company_id, theirs.amount_due) == (
        world.company.id, D("1500.00"), other.id, D("3000.00"))
    assert mine.versions[0].declared_by_id == world.trustee.id
    assert receivable(world) == D("1500.00")
    assert ledger.account(db.session, f"1200-{other.ruc}").balance == D("3000.00")
    run(lambda: contributions.rectify(contribution_id=theirs.id, payroll=D("2200000.00"), headcount=21, reason="Bonos",
                                      actor=world.trustee, key=key(), today=TODAY))
    assert theirs.current_version == 2 and [v.difference for v in theirs.versions] == [D("3000.00"), D("300.00")]
    assert ledger.account(db.session, f"1200-{other.ruc}").balance == D("3300.00")
    assert _audit_after("trust.declare", theirs)[0] == (world.trustee.id, {
        "month": "2026-05-01", "payroll": "2000000.00", "headcount": 20, "amount_due": "3000.00",
        "en_nombre_de": other.ruc})
    actor, after = _audit_after("trust.rectify", theirs)[0]
    assert actor == world.trustee.id and after["en_nombre_de"] == other.ruc and after["difference"] == "300.00"
    assert ledger.verify(db.session) == []


def test_company_user_declares_only_for_itself_and_its_audit_names_no_principal(world):
    other = make_company()
    theirs = run(lambda: contributions.declare(company_id=other.id, month=dt.date(2026, 5, 1), payroll=D("1000.00"),
                                               headcount=1, actor=world.trustee, key=key(), today=TODAY)).value
    with pytest.raises(NotFound):
        contributions.declare(company_id=other.id, month=dt.date(2026, 4, 1), payroll=D("1.00"), headcount=1,
                              actor=world.company_user, key=key(), today=TODAY)
    db.session.rollback()
    with pytest.raises(NotFound):
        contributions.rectify(contribution_id=theirs.id, payroll=D("2000.00"), headcount=1, reason="x",
                              actor=world.company_user, key=key(), today=TODAY)
    db.session.rollback()
    mine = world.declare().value
    assert "en_nombre_de" not in _audit_after("trust.declare", mine)[0][1]
    from portfolio.auth.models import User

    # The database forbids a company user without a company; the service does not rely on it: such an actor
    # (here a transient object) acts for nobody, never for everyone.
    orphan = User(id=-1, email="sin-empresa@prueba.pe", name="Sin empresa", role="company", company_id=None, active=True)
    with pytest.raises(Forbidden):
        contributions.declare(company_id=other.id, month=dt.date(2026, 4, 1), payroll=D("1.00"), headcount=1,
                              actor=orphan, key=key(), today=TODAY)


@pytest.mark.parametrize("role", ["staff", "board", "auditor", "admin"])
def test_other_roles_may_neither_declare_nor_rectify(world, role):
    c = world.declare().value
    actor = insert_user(role)
    before = ledger_snapshot()
    with pytest.raises(Forbidden):
        contributions.declare(company_id=world.company.id, month=dt.date(2026, 4, 1), payroll=D("1.00"), headcount=1,
                              actor=actor, key=key(), today=TODAY)
    with pytest.raises(Forbidden):
        contributions.rectify(contribution_id=c.id, payroll=D("2.00"), headcount=1, reason="x", actor=actor,
                              key=key(), today=TODAY)
    db.session.rollback()
    assert ledger_snapshot() == before


def test_trustee_keeps_every_rule_of_the_company(world):
    """Same month twice, future month, rectification below what is paid, replayed key, inactive company."""
    c = world.declare(actor=world.trustee, key="t-1").value
    assert world.declare(actor=world.trustee, key="t-1").replayed
    with pytest.raises(Conflict):
        world.declare(actor=world.trustee, key="t-1", payroll=D("5.00"))
    with pytest.raises(DomainError, match=f"{world.company.legal_name} ya declaró 05/2026"):
        world.declare(actor=world.trustee)
    with pytest.raises(DomainError, match="futuro"):
        world.declare(actor=world.trustee, month=dt.date(2026, 7, 1))
    world.confirm(world.pay(c, D("1000.00")).value)
    with pytest.raises(DomainError, match="menor que lo ya pagado"):
        run(lambda: contributions.rectify(contribution_id=c.id, payroll=D("600000.00"), headcount=5, reason="x",
                                          actor=world.trustee, key=key(), today=TODAY))
    dormant = make_company()
    dormant.active = False
    db.session.flush()
    with pytest.raises(DomainError, match="inactiva"):
        run(lambda: contributions.declare(company_id=dormant.id, month=dt.date(2026, 5, 1), payroll=D("1.00"),
                                          headcount=1, actor=world.trustee, key=key(), today=TODAY))
