"""Balances per account and month: kept with the postings, read by ``balance_on``, checked by ``verify``;
balance changes deferred to the end of a money command, with the floor checked there."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select, text

from portfolio import db
from portfolio.trust import ledger
from portfolio.trust.services import contributions
from tests.trust.conftest import World, key, run
from tests.trust.test_ledger import accounts, post  # noqa: F401  (the fixture)

D = Decimal
DAYS = [dt.date(2026, 3, 31), dt.date(2026, 4, 1), dt.date(2026, 4, 15), dt.date(2026, 4, 30), dt.date(2026, 5, 2),
        dt.date(2026, 5, 20), dt.date(2026, 5, 31), dt.date(2026, 6, 10)]


def summed(account_ids, day):
    """The balance from every posting up to ``day`` (what ``balance_on`` must equal)."""
    total = D("0.00")
    for account_id in account_ids:
        acc = db.session.get(ledger.Account, account_id)
        for p in db.session.scalars(select(ledger.Posting).join(ledger.Entry).where(
                ledger.Posting.account_id == account_id, ledger.Entry.effective_date <= day)):
            total += acc.signed(p.debit, p.credit)
    return total


def test_balance_on_reads_whole_months_and_the_days_of_the_last_one(accounts):  # noqa: F811
    bank, _hold, income, expense, _loose = accounts
    for n, day in enumerate(DAYS):
        post(bank, income, D("100.00") + n, day=day)
        post(expense, bank, D("10.00") + n, day=day)
    rows = {(r.account_id, r.month): (r.debit, r.credit) for r in db.session.scalars(select(ledger.PeriodBalance))}
    assert rows[(bank.id, dt.date(2026, 4, 1))] == (D("100.00") * 3 + 1 + 2 + 3, D("10.00") * 3 + 1 + 2 + 3)
    assert set(m for _a, m in rows) == {dt.date(2026, m, 1) for m in (3, 4, 5, 6)}
    probe = DAYS + [dt.date(2026, 3, 1), dt.date(2026, 4, 14), dt.date(2026, 5, 1), dt.date(2026, 6, 30),
                    dt.date(2027, 1, 1), dt.date(2025, 12, 31)]
    for day in probe:
        for ids in ([bank.id], [income.id], [expense.id], [bank.id, expense.id]):
            assert ledger.balance_on(db.session, ids, day) == summed(ids, day), (day, ids)
    assert ledger.balance_on(db.session, [bank.id]) == bank.balance
    assert ledger.balance_on(db.session, []) == D("0.00")
    assert ledger.verify(db.session) == []
    # many days at once (the bank reconciliation): the same figures, in three statements whatever their number
    from flask import current_app

    from tests.support import count_statements

    for ids in ([bank.id], [bank.id, expense.id]):
        with count_statements(current_app) as sql:
            many = ledger.balances_on(db.session, ids, probe)
        assert len(sql) == 3, sql
        assert many == {day: summed(ids, day) for day in probe}, ids
    month_ends = [dt.date(2026, 3, 31), dt.date(2026, 4, 30)]
    with count_statements(current_app) as sql:
        ends = ledger.balances_on(db.session, [bank.id], month_ends)
    assert len(sql) == 2, sql  # whole months only: no postings read
    assert ends == {d: summed([bank.id], d) for d in month_ends}
    assert ledger.balances_on(db.session, [], probe) == dict.fromkeys(probe, D("0.00"))


def test_verify_detects_a_period_balance_that_differs_from_its_postings(accounts):  # noqa: F811
    bank, _hold, income, *_ = accounts
    post(bank, income, D("5.00"), day=dt.date(2026, 5, 3))
    db.session.execute(text("UPDATE ledger_period_balances SET debit = debit + 100 WHERE account_id = :a"),
                       {"a": bank.id})
    problems = ledger.verify(db.session)
    assert any("T-BANK" in p and "05/2026" in p and "saldo del periodo" in p for p in problems), problems


def test_load_period_balances_fills_an_empty_table_only(accounts):  # noqa: F811
    bank, _hold, income, *_ = accounts
    post(bank, income, D("5.00"))
    with pytest.raises(ledger.LedgerError, match="tabla vacía"):
        ledger.load_period_balances(db.session)


def test_deferred_block_applies_balances_at_its_end(accounts):  # noqa: F811
    bank, _hold, income, expense, _loose = accounts
    post(bank, income, D("50.00"))
    with ledger.deferred_balances(db.session):
        post(expense, bank, D("20.00"))
        post(bank, income, D("5.00"))
        committed = db.session.scalar(select(ledger.Account.balance).where(ledger.Account.id == bank.id))
        assert committed == D("50.00")  # not yet: the account row is untouched until the end
    assert bank.balance == D("35.00") and expense.balance == D("20.00")
    assert ledger.verify(db.session) == []


def test_deferred_block_refuses_at_its_end_what_does_not_fit(accounts):  # noqa: F811
    bank, _hold, income, expense, _loose = accounts
    post(bank, income, D("50.00"))
    with pytest.raises(ledger.InsufficientFunds, match="Fondos insuficientes en «Banco»: disponible S/\u00a050.00, "
                                                       "se requieren S/\u00a060.00"):
        with ledger.deferred_balances(db.session):
            post(expense, bank, D("30.00"))
            post(expense, bank, D("30.00"))  # 50 − 30 − 30 < 0: the statement at the end changes no balance
    assert db.session.scalar(select(ledger.Account.balance).where(ledger.Account.id == bank.id)) == D("50.00")


def test_a_deferred_entry_into_a_closed_month_writes_nothing_and_the_transaction_goes_on(accounts):  # noqa: F811
    """Inside a money command the entry is written only if its month is open (on PostgreSQL the check is part
    of the INSERT): refused in Spanish, nothing written (nor the transfer a reservation opens), and the same
    transaction can still post elsewhere."""
    bank, hold, income, expense, _loose = accounts
    post(bank, income, D("5.00"), day=dt.date(2026, 5, 3))
    ledger.close_period(db.session, dt.date(2026, 5, 1), today=dt.date(2026, 6, 20))
    entries = db.session.scalar(text("SELECT count(*) FROM ledger_entries"))
    postings = db.session.scalar(text("SELECT count(*) FROM ledger_postings"))
    with ledger.deferred_balances(db.session):
        with pytest.raises(ledger.LedgerError, match="El periodo 05/2026 está cerrado: no se puede registrar en él."):
            post(bank, income, D("1.00"), day=dt.date(2026, 5, 31))
        with pytest.raises(ledger.LedgerError, match="El periodo 05/2026 está cerrado"):
            ledger.reserve(db.session, key=key(), source=bank, holding=hold, target=expense, amount=D("1.00"),
                           effective_date=dt.date(2026, 5, 31), memo="Reserva en mayo")
        assert db.session.scalar(text("SELECT count(*) FROM ledger_entries")) == entries
        assert db.session.scalar(text("SELECT count(*) FROM ledger_postings")) == postings
        assert db.session.scalar(text("SELECT count(*) FROM ledger_transfers")) == 0
        june = post(bank, income, D("2.00"), day=dt.date(2026, 6, 1))
        opened = ledger.reserve(db.session, key=key(), source=bank, holding=hold, target=expense, amount=D("3.00"),
                                effective_date=dt.date(2026, 6, 2), memo="Reserva en junio")
    assert db.session.scalar(text("SELECT count(*) FROM ledger_postings WHERE entry_id = :e"), {"e": june.id}) == 2
    stored = db.session.execute(text("SELECT t.key, t.amount, t.status, e.kind FROM ledger_transfers t "
                                     "JOIN ledger_entries e ON e.transfer_id = t.id")).all()
    assert [tuple(row) for row in stored] == [(opened.key, 300, "pending", "reserva")]
    assert (opened.amount, opened.remaining, opened.status) == (D("3.00"), D("3.00"), "pending")
    assert bank.balance == D("4.00") and hold.balance == D("3.00")
    assert ledger.verify(db.session) == []


def test_a_command_records_its_result_with_its_balances(ctx):
    """The idempotency record's result is written at the end of the command (on PostgreSQL in the statement
    that applies the balances), also for a command that changes no balance; a replay finds it."""
    w = World()
    contribution = w.declare().value
    k = key()
    payment = run(lambda: contributions.register_payment(
        contribution_id=contribution.id, amount=contribution.amount_due, paid_on=w.today, bank="BCP",
        operation_number="OP-7788", actor=w.company_user, key=k, today=w.today)).value  # no balance changes
    c = key()
    w.confirm(payment, key=c)
    stored = dict(db.session.execute(text("SELECT key, result_type || ':' || result_id FROM ledger_commands "
                                          "WHERE key IN (:k, :c)"), {"k": k, "c": c}).all())
    assert stored == {k: f"Payment:{payment.id}", c: f"Payment:{payment.id}"}
    again = run(lambda: contributions.confirm_payment(payment_id=payment.id, actor=w.trustee, key=c))
    assert again.replayed and again.value.id == payment.id


@pytest.mark.parametrize("one_statement", [True, False], ids=["one-statement", "in-turn"])
def test_deferred_block_checks_the_floor_again_at_its_end(accounts, monkeypatch, one_statement):  # noqa: F811
    """Another command took the money while this one ran: the UPDATE at the end refuses, through the
    lowest point the balance reaches in the block's order (an increase after it does not hide it). On
    PostgreSQL both ways of sending the changes are checked (one statement; in turn, for a block over many rows)."""
    from portfolio.trust.ledger import balances

    if not one_statement:
        monkeypatch.setattr(balances, "ONE_STATEMENT_ROWS", 0)
    bank, _hold, income, expense, _loose = accounts
    post(bank, income, D("50.00"))
    with pytest.raises(ledger.InsufficientFunds, match="Fondos insuficientes"):
        with ledger.deferred_balances(db.session):
            post(expense, bank, D("40.00"))
            db.session.execute(text("UPDATE ledger_accounts SET balance = balance - 2000 WHERE id = :a"),
                               {"a": bank.id})  # as if a concurrent command had committed −S/ 20.00
            post(bank, income, D("30.00"))  # net −10 would fit 30, but the balance goes to −10 first
    assert db.session.scalar(select(ledger.Account.balance).where(ledger.Account.id == bank.id)) == D("30.00")


def test_every_money_command_defers_its_balances(ctx):
    """Through the services: the command's balances are applied once, at its end, and its key replays."""


    w = World()
    contribution = w.declare().value
    assert ledger.pending_changes(db.session) is None
    bank_before = ledger.balance_on(db.session, [ledger.account(db.session, "1011").id])
    payment = w.pay(contribution, contribution.amount_due).value
    k = key()
    w.confirm(payment, key=k)
    again = run(lambda: contributions.confirm_payment(
        payment_id=payment.id, actor=w.trustee, key=k))
    assert again.replayed
    bank = ledger.account(db.session, "1011")
    assert bank.balance == bank_before + contribution.amount_due
    assert ledger.verify(db.session) == []
