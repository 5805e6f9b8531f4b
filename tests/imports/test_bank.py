"""Bank statement reconciliation: exact matches are confirmed (on request) through the trust service;
discrepancies and unmatched lines on either side are listed and change nothing."""
from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest

from portfolio import db
from tests.imports.conftest import BANK_HEADERS, batch_id_from, csv_bytes, upload, xlsx


@pytest.fixture
def payments(app, make_user):
    """A company with two declared months and four registered payments (one of them already confirmed)."""
    from portfolio.auth.models import User
    from portfolio.orgs.models import Company
    from portfolio.trust.services import contributions

    owner = make_user("company")
    trustee = make_user("trustee")
    with app.app_context():
        actor = db.session.get(User, owner["id"])
        march = contributions.declare(company_id=owner["company_id"], month=dt.date(2026, 3, 1),
                                      payroll=Decimal("2000000.00"), headcount=40, actor=actor, key=uuid.uuid4().hex).value
        april = contributions.declare(company_id=owner["company_id"], month=dt.date(2026, 4, 1),
                                      payroll=Decimal("2000000.00"), headcount=40, actor=actor, key=uuid.uuid4().hex).value
        ids = {}
        for op, contribution, amount in (("OP-1001", march, "1000.00"), ("OP-1002", march, "500.00"),
                                         ("OP-1003", april, "700.00"), ("OP-1004", april, "800.00")):
            ids[op] = contributions.register_payment(
                contribution_id=contribution.id, amount=Decimal(amount), paid_on=dt.date(2026, 4, 12), bank="BCP",
                operation_number=op, actor=actor, key=uuid.uuid4().hex).value.id
        contributions.confirm_payment(payment_id=ids["OP-1004"], actor=db.session.get(User, trustee["id"]),
                                      key=uuid.uuid4().hex)
        ruc = db.session.get(Company, owner["company_id"]).ruc
        db.session.commit()
    return {"ids": ids, "ruc": ruc}


def statement(ruc):
    return xlsx([BANK_HEADERS,
                 [dt.datetime(2026, 4, 12), 1000, "op-1001", "ABONO APORTE", ruc],       # exact
                 ["12/04/2026", "S/ 550.00", "OP-1002", "ABONO", None],                 # same op, other amount
                 ["13/04/2026", "99.00", "OP-9999", "ABONO DESCONOCIDO", None],         # nobody registered it
                 ["14/04/2026", "800.00", "OP-1004", "ABONO", ruc]],                    # already confirmed
                sheet="Extracto")


def statuses(app, ids):
    from portfolio.trust.models import Payment

    with app.app_context():
        return {op: db.session.get(Payment, pid).status for op, pid in ids.items()}


def test_reconciliation_preview_lists_every_side(app, login_as, payments, counts):
    trustee = login_as("trustee")
    before = counts()
    batch_id = batch_id_from(upload(trustee, "extracto", statement(payments["ruc"])))
    text = trustee.get(f"/importar/lotes/{batch_id}").get_data(as_text=True)
    assert 'data-count="cambiar">1<' in text and 'data-count="sin_cambios">1<' in text
    assert "Operación OP-1001 del 12/04/2026 por S/\u00a01,000.00" in text
    assert "Mismo número de operación, monto distinto: registrado S/\u00a0500.00" in text
    assert "Ningún pago registrado con este número de operación." in text
    assert "operación OP-1003" in text and "sin abono en el extracto" in text
    assert "ya confirmado" in text
    after = counts()
    assert {k: after[k] - before[k] for k in after} == {k: int(k == "ImportBatch") for k in after}


def test_confirm_confirms_only_exact_matches_once(app, login_as, payments, counts):
    from portfolio.trust import ledger
    from portfolio.trust.services.verify import domain_problems

    trustee = login_as("trustee")
    data = statement(payments["ruc"])
    batch_id = batch_id_from(upload(trustee, "extracto", data))
    before = counts()
    assert trustee.post(f"/importar/lotes/{batch_id}/confirmar").status_code == 302
    assert statuses(app, payments["ids"]) == {"OP-1001": "confirmado", "OP-1002": "registrado",
                                             "OP-1003": "registrado", "OP-1004": "confirmado"}
    after = counts()
    assert after["Entry"] - before["Entry"] == 1
    applied = trustee.get(f"/importar/lotes/{batch_id}").get_data(as_text=True)
    assert "pagos confirmados: 1" in applied and "<td>Confirmado</td>" in applied and "Se confirmará" not in applied
    replay = trustee.post(f"/importar/lotes/{batch_id}/confirmar", follow_redirects=True)
    assert "ya fue aplicada" in replay.get_data(as_text=True)
    assert counts() == after
    again = upload(trustee, "extracto", data)
    assert again.status_code == 200 and "Este archivo ya fue importado" in again.get_data(as_text=True)
    assert counts() == after
    with app.app_context():
        assert ledger.verify(db.session) + domain_problems() == []


def test_payer_ruc_that_differs_is_a_discrepancy_not_a_confirmation(app, login_as, payments, make_company):
    from portfolio.orgs.models import Company

    other = make_company()
    with app.app_context():
        other_ruc = db.session.get(Company, other).ruc
    trustee = login_as("trustee")
    data = csv_bytes([BANK_HEADERS, ["12/04/2026", "1,000.00", "OP-1001", "ABONO", other_ruc]], delimiter=";")
    response = upload(trustee, "extracto", data, "extracto.csv")
    assert response.status_code == 200  # nothing to confirm: not stored, shown directly
    text = response.get_data(as_text=True)
    assert f"pero el extracto indica el RUC {other_ruc}" in text
    assert "no hay nada que confirmar" in text and 'id="import-confirm"' not in text
    assert statuses(app, payments["ids"])["OP-1001"] == "registrado"


def test_statement_errors_by_row(app, login_as, payments, counts):
    trustee = login_as("trustee")
    data = xlsx([BANK_HEADERS, ["31/02/2026", "10.00", "OP-1001", "", ""], ["12/04/2026", "-10.00", "OP-2", "", ""],
                 ["12/04/2026", "10.001", "OP-1003", "", ""], ["12/04/2026", "10.00", "OP-1003", "", ""],
                 ["12/04/2026", "10.00", "OP-1003", "", ""]], sheet="Extracto")
    before = counts()
    response = upload(trustee, "extracto", data)
    text = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "La fecha 31/02/2026 no existe." in text
    assert "El monto no puede ser negativo." in text
    assert "Monto inválido: tiene más de dos decimales." in text
    assert text.count("Fila duplicada: la operación OP-1003 ya aparece en la fila 4.") == 2
    assert counts() == before


def test_only_the_trustee_reconciles(app, login_as):
    assert login_as("company").get("/importar/extracto/").status_code == 403
    assert login_as("staff").get("/importar/extracto/").status_code == 403


def register_same_operation(app, make_user, operation, amount):
    """Another company registers ``operation`` (BCP), which the ``payments`` fixture's company already used."""
    from portfolio.auth.models import User
    from portfolio.orgs.models import Company
    from portfolio.trust.services import contributions

    other = make_user("company")
    with app.app_context():
        actor = db.session.get(User, other["id"])
        month = contributions.declare(company_id=other["company_id"], month=dt.date(2026, 3, 1),
                                      payroll=Decimal("2000000.00"), headcount=5, actor=actor,
                                      key=uuid.uuid4().hex).value
        payment = contributions.register_payment(contribution_id=month.id, amount=Decimal(amount),
                                                 paid_on=dt.date(2026, 4, 12), bank="BCP", operation_number=operation,
                                                 actor=actor, key=uuid.uuid4().hex).value
        company = db.session.get(Company, other["company_id"])
        db.session.commit()
        return payment.id, company.legal_name, company.ruc


@pytest.mark.parametrize("other_amount", ["250.00", "1000.00"])
def test_an_operation_two_companies_registered_is_never_confirmed_by_the_import(app, login_as, make_user, payments,
                                                                                counts, other_amount):
    """Whether the other company's amount differs (one exact match) or not (two), the line is ambiguous: it is
    listed as a discrepancy naming both payments and nothing is confirmed."""
    other_id, other_name, other_ruc = register_same_operation(app, make_user, "OP-1001",
                                                              other_amount)
    trustee = login_as("trustee")
    before = counts()
    data = csv_bytes([BANK_HEADERS, ["12/04/2026", "1,000.00", "OP-1001", "ABONO", None]], delimiter=";")
    response = upload(trustee, "extracto", data, "extracto.csv")
    assert response.status_code == 200  # nothing to confirm: not stored, shown directly
    text = response.get_data(as_text=True)
    assert "no hay nada que confirmar" in text and 'id="import-confirm"' not in text
    assert other_name in text and other_ruc in text
    assert ("otra empresa registró la misma operación BCP" in text) == (other_amount != "1000.00")
    assert ("Varios pagos registrados tienen este número y monto" in text) == (other_amount == "1000.00")
    assert counts() == before
    assert statuses(app, {**payments["ids"], "other": other_id})["OP-1001"] == "registrado"
    assert statuses(app, {"other": other_id}) == {"other": "registrado"}


def test_a_rejected_twin_no_longer_blocks_the_exact_match(app, login_as, make_user, payments):
    from portfolio.auth.models import User
    from portfolio.trust.services import contributions

    other_id, _, _ = register_same_operation(app, make_user, "OP-1001", "250.00")
    trustee = login_as("trustee")
    with app.app_context():
        actor = db.session.get(User, trustee.user["id"])
        contributions.reject_payment(payment_id=other_id, note="No figura en el extracto", actor=actor,
                                     key=uuid.uuid4().hex)
        db.session.commit()
    batch_id = batch_id_from(upload(trustee, "extracto", statement(payments["ruc"])))
    assert trustee.post(f"/importar/lotes/{batch_id}/confirmar").status_code == 302
    assert statuses(app, payments["ids"])["OP-1001"] == "confirmado"
