"""A company's payroll system declares, rectifies, pays and reads its statement through the API; another
company's ids are the same 404 as missing ones; money is a two-decimal string."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portfolio import clock, db
from portfolio.audit import AuditEntry
from portfolio.trust.models import Contribution, Payment

PROBLEM = "application/problem+json"


def _last_month():
    today = clock.today()
    first = today.replace(day=1)
    prev = (first.replace(year=first.year - 1, month=12) if first.month == 1 else first.replace(month=first.month - 1))
    return f"{prev:%Y-%m}", prev


def test_declare_rectify_pay_and_statement(app, api_as):
    api = api_as("company")
    month, first = _last_month()
    r = api.post("/declarations", {"month": month, "payroll": "1234567.00", "headcount": 40})
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["amount_due"] == "1851.85" and body["month"] == month and body["versions"][0]["payroll"] == "1234567.00"
    declaration_id = body["id"]

    r = api.post(f"/declarations/{declaration_id}/rectifications",
                 {"payroll": "1300000.00", "headcount": 41, "reason": "Faltó una boleta"})
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["amount_due"] == "1950.00" and r.get_json()["version"] == 2

    r = api.post(f"/declarations/{declaration_id}/payments",
                 {"amount": "1950.00", "paid_on": clock.today().isoformat(), "bank": "BCP", "operation_number": "OP-12345"})
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["status"] == "registrado" and r.get_json()["amount"] == "1950.00"

    listing = api.get("/declarations").get_json()
    assert [d["id"] for d in listing["items"]] == [declaration_id] and listing["next_cursor"] is None
    statement = api.get(f"/statement?start={first.isoformat()}&end={clock.today().isoformat()}")
    assert statement.status_code == 200, statement.get_json()
    s = statement.get_json()
    assert s["charges"] == "1950.00" and s["closing_balance"] == "1950.00"  # the payment is not confirmed yet
    with app.app_context():
        rows = db.session.scalars(select(AuditEntry).where(AuditEntry.actor_id == api.user["id"])).all()
        assert {r.action for r in rows} == {"trust.declare", "trust.rectify", "trust.payment.register"}
        assert all("clave de API «Pruebas»" in r.actor_email for r in rows)


@pytest.mark.parametrize("payroll", [1234567, 1234567.5, "1234567.555", "1.2e6", "NaN", "1,234,567.00", "-5.00",
                                     "12345.6", " 12.00", "", None, True])
def test_money_is_a_two_decimal_string(app, api_as, payroll):
    api = api_as("company")
    month, _ = _last_month()
    r = api.post("/declarations", {"month": month, "payroll": payroll, "headcount": 3})
    assert r.status_code == 422 and r.mimetype == PROBLEM
    problem = r.get_json()
    assert problem["status"] == 422 and [e["field"] for e in problem["errors"]] == ["payroll"]
    assert "dos decimales" in problem["errors"][0]["detail"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Contribution)) == 0


def test_same_key_same_payload_replays_other_payload_conflicts(app, api_as):
    api = api_as("company")
    month, _ = _last_month()
    payload = {"month": month, "payroll": "1000.00", "headcount": 2}
    first = api.post("/declarations", payload, key="nomina-2026-11-a")
    again = api.post("/declarations", payload, key="nomina-2026-11-a")
    assert first.status_code == again.status_code == 201
    assert first.get_json() == again.get_json() and again.headers["Idempotent-Replayed"] == "true"
    other = api.post("/declarations", payload | {"headcount": 3}, key="nomina-2026-11-a")
    assert other.status_code == 409 and other.mimetype == PROBLEM and "otros datos" in other.get_json()["detail"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Contribution)) == 1


def test_post_needs_key_json_and_a_token(app, api_as, client):
    api = api_as("company")
    month, _ = _last_month()
    r = api.c.post("/api/v1/declarations", json={"month": month, "payroll": "1.00", "headcount": 1},
                   headers=api.headers())
    assert r.status_code == 400 and r.get_json()["errors"][0]["field"] == "Idempotency-Key"
    r = api.post("/declarations", raw="month=2026-10", content_type="application/x-www-form-urlencoded")
    assert r.status_code == 415 and r.mimetype == PROBLEM
    r = api.post("/declarations", raw="{no es json")
    assert r.status_code == 400 and r.mimetype == PROBLEM
    r = client.c.post("/api/v1/declarations", json={"month": month, "payroll": "1.00", "headcount": 1})
    assert r.status_code == 401 and r.mimetype == PROBLEM and "Bearer" in r.headers["WWW-Authenticate"]


def test_another_companys_declaration_is_not_found(app, api_as):
    a, b = api_as("company"), api_as("company")
    month, _ = _last_month()
    mine = a.post("/declarations", {"month": month, "payroll": "5000.00", "headcount": 2}).get_json()["id"]
    missing = b.get("/declarations/999999")
    for response in (b.get(f"/declarations/{mine}"),
                     b.post(f"/declarations/{mine}/rectifications", {"payroll": "6000.00", "headcount": 2, "reason": "x"}),
                     b.post(f"/declarations/{mine}/payments", {"amount": "1.00", "paid_on": clock.today().isoformat(),
                                                              "bank": "BCP", "operation_number": "OP-99999"})):
        assert response.status_code == 404 == missing.status_code
        assert response.get_json()["detail"] == missing.get_json()["detail"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Payment)) == 0
        assert db.session.get(Contribution, mine).current_version == 1


def test_the_trustee_declares_on_behalf_and_a_company_only_for_itself(app, api_as, make_company):
    trustee, company = api_as("trustee"), api_as("company")
    target = make_company()
    month, _ = _last_month()
    assert trustee.post("/declarations", {"month": month, "payroll": "1000.00", "headcount": 1}).status_code == 422
    done = trustee.post("/declarations", {"company_id": target, "month": month, "payroll": "1000.00", "headcount": 1})
    assert done.status_code == 201 and done.get_json()["company_id"] == target
    with app.app_context():
        row = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "trust.declare",
                                                         AuditEntry.object_id == str(done.get_json()["id"])))
        assert row.after_data["en_nombre_de"] and "clave de API" in row.actor_email
    other = company.post("/declarations", {"company_id": target, "month": month, "payroll": "1000.00", "headcount": 1})
    missing = company.post("/declarations", {"company_id": 2**31 - 1, "month": month, "payroll": "1.00", "headcount": 1})
    assert other.status_code == missing.status_code == 404 and other.get_json()["detail"] == missing.get_json()["detail"]
