"""Periods close in order, from the month of the first entry, and only when the bank statement balance of
the month's last day equals the ledger's bank accounts; the trustee's form offers the next month."""
from __future__ import annotations

import datetime as dt
import re
import uuid
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portfolio import db
from portfolio.errors import DomainError
from portfolio.trust import ledger
from portfolio.trust.services import books
from tests.trust.conftest import TODAY, World, key, ledger_snapshot, run

D = Decimal
APRIL, MAY = dt.date(2026, 4, 1), dt.date(2026, 5, 1)


def april_and_may(w: World) -> None:
    """April: a declaration and a confirmed payment (the bank holds S/ 1,500.00); May: a declaration."""
    c = w.declare(month=dt.date(2026, 3, 1), today=dt.date(2026, 4, 8)).value
    payment = w.pay(c, c.amount_due, paid_on=dt.date(2026, 4, 14)).value
    w.confirm(payment, today=dt.date(2026, 4, 20))
    w.declare(month=APRIL, today=dt.date(2026, 5, 8))


def bank(w: World, day: dt.date, amount: str):
    return run(lambda: books.record_bank_balance(on=day, balance=D(amount), note=None, actor=w.trustee, key=key(),
                                                 today=TODAY))


def close(w: World, month: dt.date):
    return run(lambda: books.close_period(month=month, actor=w.trustee, key=key(), today=TODAY))


def periods() -> int:
    return db.session.scalar(select(func.count(ledger.Period.id)))


def refused(w: World, month: dt.date, message: str) -> None:
    before = (ledger_snapshot()[:3], periods())
    with pytest.raises(DomainError) as info:
        close(w, month)
    assert message in info.value.message, info.value.message
    assert (ledger_snapshot()[:3], periods()) == before


def test_an_empty_ledger_has_no_period_to_close(world):
    assert books.next_period_to_close() is None
    refused(world, MAY, "no tiene asientos")


def test_periods_close_in_order_from_the_month_of_the_first_entry(world):
    april_and_may(world)
    assert books.next_period_to_close() == APRIL
    refused(world, dt.date(2026, 3, 1), "el próximo a cerrar es abril de 2026")  # before the first entry
    refused(world, MAY, "el próximo a cerrar es abril de 2026")  # April still open
    bank(world, dt.date(2026, 4, 30), "1500.00")
    close(world, APRIL)
    assert books.next_period_to_close() == MAY
    refused(world, APRIL, "ya está cerrado")
    bank(world, dt.date(2026, 5, 31), "1500.00")
    close(world, MAY)
    refused(world, dt.date(2026, 6, 1), "ya terminado")
    assert ledger.verify(db.session) == []
    # October-style postings into a closed month are refused, so the closed balances stay what they were
    later = world.declare(month=MAY, today=TODAY).value
    with pytest.raises(DomainError, match="cerrado"):
        world.confirm(world.pay(later, D("10.00")).value, today=dt.date(2026, 5, 31))


def test_a_month_closes_only_when_the_bank_statement_matches_the_ledger(world):
    april_and_may(world)
    refused(world, APRIL, "registre primero el saldo del extracto bancario al 30/04/2026")
    bank(world, dt.date(2026, 4, 30), "2734.56")
    refused(world, APRIL, "el extracto bancario al 30/04/2026 (S/\u00a02,734.56) no coincide con el libro mayor "
                          "(S/\u00a01,500.00); diferencia S/\u00a01,234.56")
    assert books.next_period_to_close() == APRIL


def test_closing_freezes_the_months_figures(world):
    april_and_may(world)
    bank(world, dt.date(2026, 4, 30), "1500.00")
    period = close(world, APRIL).value
    entries_in_april = db.session.scalars(select(ledger.Entry).where(
        ledger.Entry.effective_date >= APRIL, ledger.Entry.effective_date < MAY)).all()
    assert period.entry_count == len(entries_in_april) == 2
    assert period.entry_total == sum((e.total for e in entries_in_april), D("0.00"))
    assert period.last_entry_id == max(e.id for e in entries_in_april)


def test_trustee_form_offers_the_next_month_in_spanish_and_refuses_skipping_one(app, login_as):
    with app.app_context():
        w = World()
        april_and_may(w)
        db.session.commit()
    trustee = login_as("trustee")
    html = trustee.get("/fideicomiso/fiduciario").get_data(as_text=True)
    assert re.search(r'<option selected value="2026-04">abril de 2026</option>', html), html
    assert "Próximo periodo a cerrar: <strong>abril de 2026</strong>" in html
    assert "falta registrar el saldo del extracto bancario al 30/04/2026" in html
    page = trustee.post("/fideicomiso/periodos/cerrar", {"month": "2026-05", "idem": uuid.uuid4().hex},
                        follow_redirects=True).get_data(as_text=True)
    assert "Los periodos se cierran en orden: el próximo a cerrar es abril de 2026." in page
    page = trustee.post("/fideicomiso/periodos/cerrar", {"month": "2026-04", "idem": uuid.uuid4().hex},
                        follow_redirects=True).get_data(as_text=True)
    assert "registre primero el saldo del extracto bancario al 30/04/2026" in page
    with app.app_context():
        assert periods() == 0


def test_demo_seed_closes_in_order_and_verifies(app, ctx):
    from portfolio import seeding

    seeding.load_demo()
    db.session.commit()
    closed = db.session.scalars(select(ledger.Period.month).order_by(ledger.Period.month)).all()
    first_entry = db.session.scalar(select(func.min(ledger.Entry.effective_date)))
    assert closed and closed[0] == first_entry.replace(day=1)
    assert all(b == ledger.next_month(a) for a, b in zip(closed, closed[1:], strict=False))
    for month in closed:
        assert books.month_end_reconciliation(month)["difference"] == 0
    result = app.test_cli_runner().invoke(args=["ledger", "verify"])
    assert result.exit_code == 0, result.output
