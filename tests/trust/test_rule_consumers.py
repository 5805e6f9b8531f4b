"""The trust's figures have one function each (the books); the dashboards, the MEF workbook and the imports
read them, so a page can never show another number than the trust's books."""
from __future__ import annotations

import datetime as dt

import pytest

from portfolio import db
from portfolio.dashboards.queries import trust as trust_data
from portfolio.errors import DomainError
from portfolio.trust.services import books, contributions

from .conftest import TODAY, D, key, make_company, run


def _declare_for(world, company, month, payroll):
    return run(lambda: contributions.declare(company_id=company.id, month=month, payroll=payroll, headcount=5,
                                             actor=world.trustee, key=key(), today=TODAY)).value


def test_dashboard_ageing_buckets_are_the_books(world):
    other = make_company("Otra Empresa S.A.C.")
    db.session.commit()
    for month, payroll in ((dt.date(2026, 1, 1), D("1000000.00")), (dt.date(2026, 3, 1), D("2000000.00")),
                           (dt.date(2026, 5, 1), D("3000000.00"))):
        world.declare(month=month, payroll=payroll)
    _declare_for(world, other, dt.date(2026, 2, 1), D("9000000.00"))
    _declare_for(world, other, dt.date(2026, 4, 1), D("100000.00"))
    for as_of in (TODAY, TODAY + dt.timedelta(days=40), TODAY + dt.timedelta(days=100)):
        ledger_rows = books.arrears_ageing(as_of)
        dashboard = trust_data.ageing(as_of)
        assert len(ledger_rows) == 2
        assert ({r["company"]: (r["buckets"], r["total"]) for r in dashboard}
                == {r["company"]: (r["buckets"], r["total"]) for r in ledger_rows})
        assert [r["total"] for r in dashboard] == sorted((r["total"] for r in ledger_rows), reverse=True)
        totals = trust_data.ageing_totals(as_of)
        assert [label for label, _ in totals] == [label for label, _low, _high in books.AGE_BUCKETS]
        assert [value for _, value in totals] == [sum((r["buckets"][i] for r in ledger_rows), D("0.00"))
                                                  for i in range(len(books.AGE_BUCKETS))]
    mine = trust_data.ageing(TODAY, company_id=world.company.id)
    assert mine == books.arrears_ageing(TODAY, world.company.id)
    assert mine[0]["buckets"] == [D("4500.00"), D("0.00"), D("3000.00"), D("1500.00")]


def test_fund_position_is_one_figure_now_and_as_of_a_date(world):
    world.fund(D("1000.00"))
    disbursement = world.request(D("300.00")).value
    world.approve(disbursement)
    position = books.fund_position()
    assert position == {"bank": D("1000.00"), "reserved": D("300.00"), "available": D("700.00")}
    assert trust_data.fund_position() == position
    assert books.fund_position(as_of=TODAY) == position
    zero = {"bank": D("0.00"), "reserved": D("0.00"), "available": D("0.00")}
    assert books.fund_position(as_of=TODAY - dt.timedelta(days=1)) == zero



def test_import_preview_computes_the_contribution_and_floor_of_the_service(world):
    from portfolio.imports import adapters
    from portfolio.rules import add_rule_value

    add_rule_value(key="trust.contribution_rate_pct", value="0.17", effective_from=dt.date(2026, 4, 1),
                   resolution_number="002-2026-CT", resolution_date=dt.date(2026, 3, 1),
                   legal_basis="Acuerdo de prueba", actor=world.trustee, today=TODAY)
    preview = adapters.AmountDue()
    for month in (dt.date(2026, 3, 1), dt.date(2026, 4, 1)):
        for payroll in (D("333.33"), D("1000000.01"), D("12345.67"), D("2941.18")):
            assert preview(payroll, month) == contributions.amount_due(payroll, month)[0], (month, payroll)
    contribution = world.declare(month=dt.date(2026, 3, 1), payroll=D("1000000.00")).value  # S/ 1,500.00
    world.confirm(world.pay(contribution, D("400.00")).value)
    world.pay(contribution, D("300.00"), operation=" op 12-ab ")  # registered, awaiting confirmation
    floor = adapters.declarations_for([world.company.id], [contribution.month])[
        (world.company.id, contribution.month)]["floor"]
    assert floor == D("700.00")
    assert floor == contributions.rectification_floor(contribution.amount_paid,
                                                      contributions.pending_registered(contribution.id))
    with pytest.raises(DomainError, match=r"lo ya pagado o registrado \(S/\s700.00\)"):
        run(lambda: contributions.rectify(contribution_id=contribution.id, payroll=D("466000.00"), headcount=10,
                                          reason="Corrección", actor=world.company_user, key=key(), today=TODAY))
    operations = adapters.payments_by_operation([adapters.normalize_operation(" op 12-ab ")])
    assert list(operations) == ["OP12-AB"] == [contributions.normalize_operation("o p 1 2 - a b")]
