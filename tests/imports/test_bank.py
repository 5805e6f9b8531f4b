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
