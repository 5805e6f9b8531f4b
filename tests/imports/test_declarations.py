"""Payroll declarations by spreadsheet: preview, confirmation, exactly-once, scope, ledger parity."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select

from portfolio import db
from tests.imports.conftest import DECL_HEADERS, batch_id_from, upload, xlsx


def test_valid_file_previews_then_applies_once(app, company_client, counts):
    data = xlsx([DECL_HEADERS, [company_client.ruc, "03/2026", "1,000,000.00", 50],
                 [company_client.ruc, dt.datetime(2026, 4, 1), "S/ 1,200,000.50", 52]])
    before = counts()
    response = upload(company_client, "declaraciones", data, "planilla.xlsx")
    batch_id = batch_id_from(response)
    page = company_client.get(f"/importar/lotes/{batch_id}").get_data(as_text=True)
    assert "Declaración" in page and "03/2026" in page and "04/2026" in page
    assert 'data-count="crear">2<' in page
    middle = counts()
    assert {k: middle[k] - before[k] for k in middle} == {k: (1 if k == "ImportBatch" else 0) for k in middle}

    response = company_client.post(f"/importar/lotes/{batch_id}/confirmar")
    assert response.status_code == 302
    after = counts()
    assert after["Contribution"] - before["Contribution"] == 2
    from portfolio.trust.models import Contribution

    with app.app_context():
        rows = db.session.scalars(select(Contribution).where(Contribution.company_id == company_client.company_id)
                                  .order_by(Contribution.month)).all()
        assert [(r.month, r.amount_due) for r in rows] == [
            (dt.date(2026, 3, 1), Decimal("1500.00")), (dt.date(2026, 4, 1), Decimal("1800.00"))]
