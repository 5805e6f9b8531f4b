"""The ledger core: balanced entries, floors, idempotency, immutability, reversals, two-phase, periods."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError

from portfolio import db
from portfolio.errors import Conflict
from portfolio.trust import ledger
from tests.trust.conftest import TODAY, key, ledger_snapshot

D = Decimal


@pytest.fixture
def accounts(ctx):
    s = db.session
    bank = ledger.get_or_create_account(s, "T-BANK", "Banco", "asset")
    hold = ledger.get_or_create_account(s, "T-HOLD", "Comprometido", "asset")
    income = ledger.get_or_create_account(s, "T-INC", "Ingresos", "income")
    expense = ledger.get_or_create_account(s, "T-EXP", "Gasto", "expense")
    loose = ledger.get_or_create_account(s, "T-LOOSE", "Sin piso", "asset", no_negative=False)
    return bank, hold, income, expense, loose


def post(bank, income, amount, k=None, day=TODAY):
    return ledger.post_entry(db.session, key=k or key(), kind="prueba", memo="prueba", effective_date=day,
                             lines=ledger.transfer_lines(bank, income, amount))


def test_balanced_entry_updates_cached_balances(accounts):
    bank, _hold, income, *_ = accounts
    post(bank, income, D("100.25"))
    assert bank.balance == D("100.25") and income.balance == D("100.25")
    assert ledger.verify(db.session) == []


@pytest.mark.parametrize("lines", [
    "one_line", "unbalanced", "both_sides", "three_decimals", "negative",
])
def test_malformed_entries_are_refused(accounts, lines):
    bank, _hold, income, *_ = accounts
    bad = {
        "one_line": [(bank, D("1.00"), D("0"))],
        "unbalanced": [(bank, D("1.00"), D("0.00")), (income, D("0.00"), D("0.99"))],
        "both_sides": [(bank, D("1.00"), D("1.00")), (income, D("0.00"), D("0.00"))],
        "three_decimals": [(bank, D("1.001"), D("0.00")), (income, D("0.00"), D("1.001"))],
        "negative": [(bank, D("-1.00"), D("0.00")), (income, D("0.00"), D("-1.00"))],
    }[lines]
    before = ledger_snapshot()
    with pytest.raises(ledger.LedgerError):
        ledger.post_entry(db.session, key=key(), kind="x", memo="x", effective_date=TODAY, lines=bad)
    assert ledger_snapshot() == before


def test_no_negative_floor(accounts):
    bank, hold, income, expense, loose = accounts
    post(bank, income, D("50.00"))
    with pytest.raises(ledger.InsufficientFunds, match="Fondos insuficientes"):
        post(expense, bank, D("50.01"))
    assert bank.balance == D("50.00")
    post(loose, bank, D("50.00"))
    post(expense, loose, D("80.00"))  # a floor-free account may go negative
    assert loose.balance == D("-30.00")


def test_entry_key_is_unique(accounts):
    bank, _hold, income, *_ = accounts
    post(bank, income, D("1.00"), k="mismo")
    with pytest.raises(IntegrityError):
        with db.session.begin_nested():
            post(bank, income, D("1.00"), k="mismo")


def test_claim_same_payload_replays_other_payload_refused(ctx):
    first = ledger.claim(db.session, "clave-1", "cmd", {"a": D("1.00")})
    assert not first.replay
    first.command.result_type, first.command.result_id = "X", 7
    again = ledger.claim(db.session, "clave-1", "cmd", {"a": D("1.00")})
    assert again.replay and again.command.result_id == 7
    with pytest.raises(Conflict, match="otros datos"):
        ledger.claim(db.session, "clave-1", "cmd", {"a": D("2.00")})


def test_entries_and_postings_cannot_be_changed_by_the_orm(accounts):
    bank, _hold, income, *_ = accounts
    entry = post(bank, income, D("10.00"))
    entry.memo = "cambiado"
    with pytest.raises(ledger.ImmutableLedger):
        db.session.flush()
    db.session.rollback()


def test_entries_and_postings_cannot_be_changed_in_the_database(accounts, isolated):
    bank, _hold, income, *_ = accounts
    entry = post(bank, income, D("10.00"))
    for sql in ("UPDATE ledger_postings SET debit = 1 WHERE entry_id = :id",
                "DELETE FROM ledger_postings WHERE entry_id = :id",
                "UPDATE ledger_entries SET memo = 'x' WHERE id = :id",
                "DELETE FROM ledger_entries WHERE id = :id"):
        with pytest.raises(DBAPIError, match="solo inserción"):
            with db.session.begin_nested():
                db.session.execute(text(sql), {"id": entry.id})


def test_a_posting_carries_its_entrys_date_or_the_database_refuses_it(accounts, isolated):
    """Postings carry their entry's date (an account's postings of a period come from one index range); the
    database refuses a posting without it or with another date, whoever writes it."""
    bank, _hold, income, *_ = accounts
    day = TODAY - dt.timedelta(days=3)
    entry = post(bank, income, D("10.00"), day=day)
    assert {p.effective_date for p in entry.postings} == {day}
    for value in (None, TODAY):
        with pytest.raises(DBAPIError, match="la fecha del movimiento debe ser la de su asiento"):
            with db.session.begin_nested():
                db.session.execute(text("INSERT INTO ledger_postings (entry_id, account_id, debit, credit, "
                                        "effective_date) VALUES (:e, :a, 100, 0, :d)"),
                                   {"e": entry.id, "a": bank.id, "d": value})
    assert ledger.verify(db.session) == []


def test_reversal_links_to_original_and_happens_once(accounts):
    bank, _hold, income, *_ = accounts
    entry = post(bank, income, D("10.00"))
    reversal = ledger.reverse(db.session, entry.id, key=key(), effective_date=TODAY, memo="error")
    assert reversal.reverses_id == entry.id
    assert bank.balance == 0 and income.balance == 0
    with pytest.raises(ledger.LedgerError, match="ya fue revertido"):
        ledger.reverse(db.session, entry.id, key=key(), effective_date=TODAY, memo="otra vez")
    with pytest.raises(ledger.LedgerError, match="no se revierte"):
        ledger.reverse(db.session, reversal.id, key=key(), effective_date=TODAY, memo="x")
    assert ledger.verify(db.session) == []


def test_two_phase_reserve_post_in_tranches_then_closed(accounts):
    bank, hold, income, expense, _ = accounts
    post(bank, income, D("100.00"))
    t = ledger.reserve(db.session, key=key(), source=bank, holding=hold, target=expense, amount=D("60.00"),
                       effective_date=TODAY, memo="reserva")
    assert (bank.balance, hold.balance) == (D("40.00"), D("60.00"))
    ledger.post_pending(db.session, t.id, D("20.00"), key=key(), effective_date=TODAY, memo="tramo 1")
    assert t.status == "pending"
    with pytest.raises(ledger.LedgerError, match="excede"):
        ledger.post_pending(db.session, t.id, D("40.01"), key=key(), effective_date=TODAY, memo="x")
    ledger.post_pending(db.session, t.id, D("40.00"), key=key(), effective_date=TODAY, memo="tramo 2")
    assert t.status == "posted" and expense.balance == D("60.00") and hold.balance == 0
    with pytest.raises(ledger.LedgerError, match="ejecutada"):
        ledger.void_pending(db.session, t.id, key=key(), effective_date=TODAY, memo="x")
    assert ledger.verify(db.session) == []


def test_two_phase_void_releases_remainder_once(accounts):
    bank, hold, income, expense, _ = accounts
    post(bank, income, D("100.00"))
    t = ledger.reserve(db.session, key=key(), source=bank, holding=hold, target=expense, amount=D("70.00"),
                       effective_date=TODAY, memo="reserva")
    ledger.post_pending(db.session, t.id, D("30.00"), key=key(), effective_date=TODAY, memo="tramo")
    ledger.void_pending(db.session, t.id, key=key(), effective_date=TODAY, memo="anula")
    assert t.status == "voided" and t.voided_amount == D("40.00") and bank.balance == D("70.00")
    with pytest.raises(ledger.LedgerError, match="anulada"):
        ledger.void_pending(db.session, t.id, key=key(), effective_date=TODAY, memo="x")
    assert ledger.verify(db.session) == []


def test_reserve_beyond_floor_is_refused(accounts):
    bank, hold, income, expense, _ = accounts
    post(bank, income, D("10.00"))
    with pytest.raises(ledger.InsufficientFunds):
        ledger.reserve(db.session, key=key(), source=bank, holding=hold, target=expense, amount=D("10.01"),
                       effective_date=TODAY, memo="x")


def test_closed_period_refuses_postings(accounts):
    bank, _hold, income, *_ = accounts
    post(bank, income, D("1.00"), day=dt.date(2026, 5, 3))
    ledger.close_period(db.session, dt.date(2026, 5, 1), today=TODAY)
    with pytest.raises(ledger.LedgerError, match="cerrado"):
        post(bank, income, D("1.00"), day=dt.date(2026, 5, 31))
    post(bank, income, D("1.00"), day=dt.date(2026, 6, 1))
    with pytest.raises(ledger.LedgerError, match="ya está cerrado"):
        ledger.close_period(db.session, dt.date(2026, 5, 1), today=TODAY)
    with pytest.raises(ledger.LedgerError, match="terminado"):
        ledger.close_period(db.session, dt.date(2026, 6, 1), today=TODAY)


def test_verify_detects_a_tampered_cached_balance(accounts):
    bank, _hold, income, *_ = accounts
    post(bank, income, D("5.00"))
    bank.balance = D("6.00")
    db.session.flush()
    problems = ledger.verify(db.session)
    assert any("T-BANK" in p and "caché" in p for p in problems)
