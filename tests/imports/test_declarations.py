"""Payroll declarations by spreadsheet: preview, confirmation exactly once, rectification, scope and ledger parity."""
from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from sqlalchemy import select

from portfolio import db
from tests.imports.conftest import DECL_HEADERS, batch_id_from, csv_bytes, error_rows, upload, xlsx


def two_month_rows(ruc: str) -> list[list]:
    return [[ruc, "03/2026", "1,000,000.00", 50], [ruc, dt.datetime(2026, 4, 1), "S/ 1,200,000.50", 52]]


def two_months(ruc: str) -> bytes:
    return xlsx([DECL_HEADERS, *two_month_rows(ruc)])


def ruc_of(app, company_id: int) -> str:
    from portfolio.orgs.models import Company

    with app.app_context():
        return db.session.get(Company, company_id).ruc


def contributions_of(app, company_id):
    from portfolio.trust.models import Contribution

    with app.app_context():
        rows = db.session.scalars(select(Contribution).where(Contribution.company_id == company_id)
                                  .order_by(Contribution.month)).all()
        return [(r.month, r.amount_due, r.current_version) for r in rows]


def test_preview_writes_nothing_but_the_pending_batch_then_confirm_applies(app, company_client, counts):
    before = counts()
    batch_id = batch_id_from(upload(company_client, "declaraciones", two_months(company_client.ruc), "planilla.xlsx"))
    page = company_client.get(f"/importar/lotes/{batch_id}").get_data(as_text=True)
    assert 'data-count="crear">2<' in page and "03/2026" in page and "04/2026" in page
    assert "aporte S/\u00a01,500.00" in page and "aporte S/\u00a01,800.00" in page  # 0.15 % of payroll, rounded half up
    middle = counts()
    assert {k: middle[k] - before[k] for k in middle} == {k: int(k == "ImportBatch") for k in middle}

    response = company_client.post(f"/importar/lotes/{batch_id}/confirmar")
    assert response.status_code == 302
    assert contributions_of(app, company_client.company_id) == [
        (dt.date(2026, 3, 1), Decimal("1500.00"), 1), (dt.date(2026, 4, 1), Decimal("1800.00"), 1)]
    page = company_client.get(f"/importar/lotes/{batch_id}").get_data(as_text=True)
    assert "Importación aplicada" in page and "2 declaradas." in page and "0 rectificadas" not in page
    assert "declaradas: 2 · rectificadas: 0 · sin cambios: 0." in page  # the kind's own words, past tense
    assert page.count("<td>Declarada</td>") == 2 and "Se declarará" not in page


def test_replayed_confirm_applies_nothing(app, company_client, counts):
    batch_id = batch_id_from(upload(company_client, "declaraciones", two_months(company_client.ruc)))
    assert company_client.post(f"/importar/lotes/{batch_id}/confirmar").status_code == 302
    after_first = counts()
    replay = company_client.post(f"/importar/lotes/{batch_id}/confirmar", follow_redirects=True)
    assert replay.status_code == 200
    assert "ya fue aplicada" in replay.get_data(as_text=True)
    assert counts() == after_first


def test_same_file_again_says_so_and_changes_nothing(app, company_client, counts):
    data = two_months(company_client.ruc)
    company_client.post(f"/importar/lotes/{batch_id_from(upload(company_client, 'declaraciones', data))}/confirmar")
    before = counts()
    again = upload(company_client, "declaraciones", data, "otra-vez.xlsx")
    assert again.status_code == 200
    assert "Este archivo ya fue importado" in again.get_data(as_text=True)
    assert counts() == before


def test_different_file_with_the_same_rows_shows_them_unchanged(app, company_client, counts):
    company_client.post(
        f"/importar/lotes/{batch_id_from(upload(company_client, 'declaraciones', two_months(company_client.ruc)))}/confirmar")
    before = counts()
    same_rows_as_csv = csv_bytes([DECL_HEADERS, [company_client.ruc, "03/2026", "1000000", 50],
                                  [company_client.ruc, "2026-04", "1200000.50", 52]], delimiter=";")
    response = upload(company_client, "declaraciones", same_rows_as_csv, "planilla.csv")
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'data-count="sin_cambios">2<' in text and "no hay cambios que aplicar" in text
    assert 'id="import-confirm"' not in text
    assert counts() == before


def test_changed_rows_rectify_through_the_trust_service(app, company_client, counts):
    company_client.post(
        f"/importar/lotes/{batch_id_from(upload(company_client, 'declaraciones', two_months(company_client.ruc)))}/confirmar")
    data = xlsx([DECL_HEADERS, [company_client.ruc, "03/2026", "1,000,000.00", 50],  # unchanged
                 [company_client.ruc, "04/2026", "2,000,000.00", 60],  # rectified
                 [company_client.ruc, "05/2026", "100.00", 1]])  # new
    batch_id = batch_id_from(upload(company_client, "declaraciones", data))
    page = company_client.get(f"/importar/lotes/{batch_id}").get_data(as_text=True)
    for code, n in (("crear", 1), ("cambiar", 1), ("sin_cambios", 1)):
        assert f'data-count="{code}">{n}<' in page
    assert "aporte S/\u00a01,800.00 → S/\u00a03,000.00" in page
    assert "Se rectificarán" in page and "<td>Se rectificará</td>" in page and "<td>Se declarará</td>" in page
    company_client.post(f"/importar/lotes/{batch_id}/confirmar")
    assert contributions_of(app, company_client.company_id) == [
        (dt.date(2026, 3, 1), Decimal("1500.00"), 1), (dt.date(2026, 4, 1), Decimal("3000.00"), 2),
        (dt.date(2026, 5, 1), Decimal("0.15"), 1)]


def test_rectification_below_what_is_paid_is_an_error_on_its_row(app, company_client, counts):
    from portfolio.trust.models import Contribution
    from portfolio.trust.services import contributions

    company_client.post(
        f"/importar/lotes/{batch_id_from(upload(company_client, 'declaraciones', two_months(company_client.ruc)))}/confirmar")
    from portfolio.auth.models import User

    with app.app_context():
        user = db.session.get(User, company_client.user["id"])
        march = db.session.scalar(select(Contribution).where(Contribution.company_id == company_client.company_id,
                                                             Contribution.month == dt.date(2026, 3, 1)))
        contributions.register_payment(contribution_id=march.id, amount=Decimal("1500.00"), paid_on=dt.date(2026, 4, 10),
                                       bank="BCP", operation_number="OP-0001", actor=user, key=uuid.uuid4().hex)
        db.session.commit()
    before = counts()
    response = upload(company_client, "declaraciones", xlsx([DECL_HEADERS, [company_client.ruc, "03/2026", "500000.00", 50]]))
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "menor que lo ya pagado o registrado (S/\u00a01,500.00)" in text
    assert counts() == before


def test_confirmation_re_checks_and_applies_nothing_when_the_data_changed(app, company_client, counts):
    """Between preview and confirmation the company is deactivated: every row is refused, nothing is written."""
    from portfolio.orgs.models import Company

    batch_id = batch_id_from(upload(company_client, "declaraciones", two_months(company_client.ruc)))
    with app.app_context():
        db.session.get(Company, company_client.company_id).active = False
        db.session.commit()
    before = counts()
    response = company_client.post(f"/importar/lotes/{batch_id}/confirmar", follow_redirects=True)
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Los datos cambiaron desde la vista previa; no se aplicó nada. Fila 2, RUC: La empresa está inactiva." in text
    assert counts() == before
    assert contributions_of(app, company_client.company_id) == []
    assert 'data-status="pendiente"' in text


def test_another_user_cannot_see_or_confirm_my_batch(app, company_client, login_as, counts):
    batch_id = batch_id_from(upload(company_client, "declaraciones", two_months(company_client.ruc)))
    intruder = login_as("company")
    before = counts()
    assert intruder.get(f"/importar/lotes/{batch_id}").status_code == 404
    assert intruder.post(f"/importar/lotes/{batch_id}/confirmar").status_code == 404
    assert intruder.post(f"/importar/lotes/{batch_id}/descartar").status_code == 404
    assert counts() == before


def test_discarded_batch_cannot_be_confirmed(app, company_client, counts):
    batch_id = batch_id_from(upload(company_client, "declaraciones", two_months(company_client.ruc)))
    assert company_client.post(f"/importar/lotes/{batch_id}/descartar").status_code == 302
    before = counts()
    response = company_client.post(f"/importar/lotes/{batch_id}/confirmar", follow_redirects=True)
    assert "ya fue aplicada o descartada" in response.get_data(as_text=True)
    assert counts()["Contribution"] == before["Contribution"]


@pytest.mark.parametrize("role", ["board", "staff", "auditor", "admin"])
def test_only_companies_and_the_trustee_import_declarations(app, login_as, make_company, counts, role):
    client = login_as(role)
    ruc = ruc_of(app, make_company())
    before = counts()
    assert client.get("/importar/declaraciones/").status_code == 403
    assert client.get("/importar/declaraciones/plantilla.xlsx").status_code == 403
    assert upload(client, "declaraciones", two_months(ruc)).status_code == 403
    assert counts() == before


def test_company_file_with_another_company_ruc_is_refused_on_that_row(app, company_client, make_company, counts):
    other = ruc_of(app, make_company())
    data = xlsx([DECL_HEADERS, [company_client.ruc, "03/2026", "1000.00", 5], [other, "03/2026", "1000.00", 5]])
    before = counts()
    response = upload(company_client, "declaraciones", data)
    assert response.status_code == 422
    assert "El archivo tiene 1 error." in response.get_data(as_text=True)
    assert error_rows(response.get_data(as_text=True)) == [
        ("3", "RUC", other, f"Este RUC no es el de su empresa ({company_client.ruc}); solo puede declarar para su "
                            "propia empresa.")]
    assert counts() == before
    assert contributions_of(app, company_client.company_id) == []


def test_trustee_imports_declarations_for_two_companies_in_one_file(app, login_as, make_company, counts):
    trustee = login_as("trustee")
    first, second = make_company(), make_company()
    page = trustee.get("/importar/declaraciones/")
    assert page.status_code == 200 and "en nombre de cualquier empresa activa" in page.get_data(as_text=True)
    template = trustee.get("/importar/declaraciones/plantilla.xlsx")
    assert template.status_code == 200 and template.data[:2] == b"PK"
    data = xlsx([DECL_HEADERS, [ruc_of(app, first), "03/2026", "1,000,000.00", 50],
                 [ruc_of(app, second), "03/2026", "S/ 2,000,000.00", 80],
                 [ruc_of(app, first), "04/2026", "1200000.50", 52]])
    batch_id = batch_id_from(upload(trustee, "declaraciones", data))
    text = trustee.get(f"/importar/lotes/{batch_id}").get_data(as_text=True)
    assert 'data-count="crear">3<' in text
    assert "Empresa de Prueba" in text and "aporte S/\u00a03,000.00" in text
    assert trustee.post(f"/importar/lotes/{batch_id}/confirmar").status_code == 302
    assert contributions_of(app, first) == [(dt.date(2026, 3, 1), Decimal("1500.00"), 1),
                                            (dt.date(2026, 4, 1), Decimal("1800.00"), 1)]
    assert contributions_of(app, second) == [(dt.date(2026, 3, 1), Decimal("3000.00"), 1)]
    applied = trustee.get(f"/importar/lotes/{batch_id}").get_data(as_text=True)
    assert "Ver las declaraciones y aportes de las empresas" in applied and "Ver mis declaraciones" not in applied
    # A second file from the trustee rectifies one company's month through the same service.
    again = xlsx([DECL_HEADERS, [ruc_of(app, second), "03/2026", "2,200,000.00", 81]])
    assert trustee.post(f"/importar/lotes/{batch_id_from(upload(trustee, 'declaraciones', again))}/confirmar"
                        ).status_code == 302
    assert contributions_of(app, second) == [(dt.date(2026, 3, 1), Decimal("3300.00"), 2)]


def test_trustee_rows_with_an_unknown_or_inactive_ruc_are_errors_on_their_rows(app, login_as, make_company, counts):
    from portfolio.orgs.models import Company

    trustee = login_as("trustee")
    active, dormant = make_company(), make_company()
    with app.app_context():
        db.session.get(Company, dormant).active = False
        db.session.commit()
    unknown = "20100070970"  # a valid RUC that no registered company has
    data = xlsx([DECL_HEADERS, [ruc_of(app, active), "03/2026", "1000.00", 5],
                 [unknown, "03/2026", "1000.00", 5], [ruc_of(app, dormant), "03/2026", "1000.00", 5]])
    before = counts()
    response = upload(trustee, "declaraciones", data)
    assert response.status_code == 422
    assert "El archivo tiene 2 errores." in response.get_data(as_text=True)
    assert error_rows(response.get_data(as_text=True)) == [
        ("3", "RUC", unknown, "No hay una empresa registrada con este RUC."),
        ("4", "RUC", ruc_of(app, dormant), "La empresa está inactiva.")]
    assert counts() == before


def ledger_shape(company_id):
    """The receivable balance of a company and the shape of every entry on it (kind, total, sides)."""
    from portfolio.orgs.models import Company
    from portfolio.trust import ledger
    from portfolio.trust.services.common import company_receivable

    account = company_receivable(db.session.get(Company, company_id))
    entries = db.session.scalars(select(ledger.Entry).join(ledger.Posting).where(
        ledger.Posting.account_id == account.id).order_by(ledger.Entry.id)).all()
    codes = {a.id: a.code for a in db.session.scalars(select(ledger.Account))}

    def side(p):
        return "cuenta por cobrar de la empresa" if p.account_id == account.id else codes[p.account_id]

    return account.balance, [(e.kind, e.total, sorted((side(p), p.debit, p.credit) for p in e.postings))
                             for e in entries]


@pytest.mark.parametrize("importer", ["company", "trustee"])
def test_imported_declarations_post_to_the_ledger_exactly_like_typed_ones(app, importer, login_as, make_company,
                                                                          make_user):
    """A company imports its two months, or the trustee imports two months for each of two companies in one
    file; another company types the same two months in the form's service. The ledger entries are the same
    amounts on the same kinds of accounts, and ``ledger verify`` finds nothing wrong."""
    from portfolio.auth.models import User
    from portfolio.trust import ledger
    from portfolio.trust.services import contributions
    from portfolio.trust.services.verify import domain_problems

    client = login_as(importer)
    targets = [client.user["company_id"]] if importer == "company" else [make_company(), make_company()]
    rows = [row for company_id in targets for row in two_month_rows(ruc_of(app, company_id))]
    client.post(f"/importar/lotes/{batch_id_from(upload(client, 'declaraciones', xlsx([DECL_HEADERS, *rows])))}/confirmar")
    typed = make_user("company")
    with app.app_context():
        actor = db.session.get(User, typed["id"])
        for month, payroll, heads in ((dt.date(2026, 3, 1), "1000000.00", 50), (dt.date(2026, 4, 1), "1200000.50", 52)):
            contributions.declare(company_id=typed["company_id"], month=month, payroll=Decimal(payroll), headcount=heads,
                                  actor=actor, key=uuid.uuid4().hex)
        db.session.commit()
        typed_balance, typed_shape = ledger_shape(typed["company_id"])
        assert typed_balance == Decimal("3300.00")
        assert [(kind, total) for kind, total, _ in typed_shape] == [("declaracion", Decimal("1500.00")),
                                                                     ("declaracion", Decimal("1800.00"))]
        for company_id in targets:
            assert ledger_shape(company_id) == (typed_balance, typed_shape)
        assert ledger.verify(db.session) + domain_problems() == []


def test_audit_trail_records_the_import(app, company_client):
    from portfolio.audit import AuditEntry

    batch_id = batch_id_from(upload(company_client, "declaraciones", two_months(company_client.ruc)))
    company_client.post(f"/importar/lotes/{batch_id}/confirmar")
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "imports.apply",
                                                           AuditEntry.object_id == str(batch_id)))
        assert entry is not None and entry.actor_id == company_client.user["id"]
        assert entry.after_data["count_declaradas"] == 2 and entry.after_data["rows"] == 2
        declares = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "trust.declare",
                                                               AuditEntry.actor_id == company_client.user["id"])).all()
        assert len(declares) == 2


def test_audit_rows_name_the_company_the_trustee_acted_for(app, login_as, make_company, company_client):
    from portfolio.audit import AuditEntry
    from portfolio.trust.models import Contribution

    trustee = login_as("trustee")
    first, second = make_company(), make_company()
    data = xlsx([DECL_HEADERS, [ruc_of(app, first), "03/2026", "1000.00", 5], [ruc_of(app, second), "03/2026", "2000.00", 5]])
    trustee.post(f"/importar/lotes/{batch_id_from(upload(trustee, 'declaraciones', data))}/confirmar")
    company_client.post(
        f"/importar/lotes/{batch_id_from(upload(company_client, 'declaraciones', two_months(company_client.ruc)))}/confirmar")
    with app.app_context():
        rows = db.session.execute(select(AuditEntry, Contribution.company_id).join(
            Contribution, AuditEntry.object_id == Contribution.id.cast(AuditEntry.object_id.type))
            .where(AuditEntry.action == "trust.declare")).all()
        by_trustee = {company_id: entry.after_data.get("en_nombre_de") for entry, company_id in rows
                      if entry.actor_id == trustee.user["id"]}
        assert by_trustee == {first: ruc_of(app, first), second: ruc_of(app, second)}
        own = [entry.after_data for entry, company_id in rows if entry.actor_id == company_client.user["id"]]
        assert len(own) == 2 and all("en_nombre_de" not in after for after in own)


def test_a_row_with_a_bad_cell_still_reports_its_other_problems(app, login_as, counts):
    """A payroll that does not parse does not hide the unknown RUC, the future month or the zero headcount
    of the same row: one upload lists every problem."""
    trustee = login_as("trustee")
    data = xlsx([DECL_HEADERS, ["20100070970", "03/2099", "x", 0]])
    before = counts()
    response = upload(trustee, "declaraciones", data)
    assert response.status_code == 422
    assert sorted(error_rows(response.get_data(as_text=True))) == sorted([
        ("2", "Planilla bruta", "x",
         "Monto inválido: use el formato 1,234,567.89 (punto decimal, hasta dos decimales)."),
        ("2", "RUC", "20100070970", "No hay una empresa registrada con este RUC."),
        ("2", "Periodo", "03/2099", "No se puede declarar un mes futuro."),
        ("2", "Número de trabajadores", "0", "Debe haber al menos 1 trabajador.")])
    assert counts() == before
