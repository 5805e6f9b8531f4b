"""A refused trust action shows its message once (form-level and field messages alike)."""
from __future__ import annotations

import re
import uuid

from sqlalchemy import select

from portfolio import clock, db
from portfolio.trust.models import Contribution
from tests.trust.test_pages import declare, setup_disbursement


def alerts(page) -> list[str]:
    """The text of each flashed alert on the page."""
    html = page.get_data(as_text=True)
    return [re.sub(r"<[^>]+>", "", m).strip() for m in re.findall(r'<div class="alert[^"]*"[^>]*>(.*?)</div>', html,
                                                                   flags=re.S)]


def test_refused_payment_flashes_its_message_once(app, login_as):
    company = login_as("company")
    declare(company)
    with app.app_context():
        cid = db.session.scalar(select(Contribution.id).where(Contribution.company_id == company.user["company_id"]))
    page = company.post(f"/fideicomiso/empresa/declaraciones/{cid}/pagar",
                        {"paid_on": clock.today().isoformat(), "bank": "BCP", "operation_number": "778812",
                         "amount": "1,500.01", "idem": uuid.uuid4().hex}, follow_redirects=True)
    refusals = [a for a in alerts(page) if "no acepta pagos en exceso" in a]
    assert len(refusals) == 1, alerts(page)


def test_refused_execution_flashes_its_message_once(app, login_as):
    info = setup_disbursement(app)
    trustee = login_as("trustee")
    d = info["disbursement"]
    page = trustee.post(f"/fideicomiso/desembolsos/{d}/ejecutar",
                        {f"e{d}-amount": "100.00", f"e{d}-reference": "TRF-1", f"e{d}-idem": uuid.uuid4().hex},
                        follow_redirects=True)
    assert len([a for a in alerts(page) if "aún no tiene el quórum" in a]) == 1, alerts(page)


def test_invalid_form_flashes_each_message_once(app, login_as):
    company = login_as("company")
    declare(company)
    with app.app_context():
        cid = db.session.scalar(select(Contribution.id).where(Contribution.company_id == company.user["company_id"]))
    page = company.post(f"/fideicomiso/empresa/declaraciones/{cid}/pagar",
                        {"paid_on": clock.today().isoformat(), "bank": "BCP", "operation_number": "778812",
                         "amount": "1.001", "idem": uuid.uuid4().hex}, follow_redirects=True)
    assert len([a for a in alerts(page) if "tiene más de dos decimales" in a]) == 1, alerts(page)
