"""Companies and public entities: validation, uniqueness, caps, optimistic locking, lists."""
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portfolio import db
from portfolio.audit import AuditEntry
from portfolio.orgs.models import Company, EntityCap, PublicEntity

VALID = {"ruc": "20512333797", "legal_name": "Seguridad Norteña S.A.C.", "sector": "servicios", "ubigeo": "130105"}


def company_count(app):
    with app.app_context():
        return db.session.scalar(select(func.count(Company.id)))


def test_staff_registers_a_company_and_it_is_audited(login_as, app):
    staff = login_as("staff")
    response = staff.post("/organizaciones/empresas/nueva", VALID)
    assert response.status_code == 302
    with app.app_context():
        company = db.session.scalar(select(Company).where(Company.ruc == VALID["ruc"]))
        assert company.legal_name == VALID["legal_name"]
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "company.create",
                                                           AuditEntry.object_id == str(company.id)))
        assert entry.actor_email == staff.user["email"] and entry.after_data["ruc"] == VALID["ruc"]
    assert "La Esperanza" in staff.get(response.location).get_data(as_text=True)


@pytest.mark.parametrize("ruc, message", [
    ("20512333798", "dígito verificador"),
    ("2051233379", "11 dígitos"),
    ("30512333797", "empezar con 10, 15, 17 o 20"),
    ("2051233379A", "11 dígitos"),
])
def test_invalid_ruc_is_refused_with_spanish_message(login_as, app, ruc, message):
    before = company_count(app)
    response = login_as("staff").post("/organizaciones/empresas/nueva", {**VALID, "ruc": ruc})
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert company_count(app) == before


def test_duplicate_ruc_is_refused(login_as, app):
    staff = login_as("staff")
    assert staff.post("/organizaciones/empresas/nueva", VALID).status_code == 302
    before = company_count(app)
    response = staff.post("/organizaciones/empresas/nueva", {**VALID, "legal_name": "Otra S.A."})
    assert "Ya existe un registro con ese RUC." in response.get_data(as_text=True)
    assert company_count(app) == before


@pytest.mark.parametrize("ubigeo", ["999999", "13010", "abcdef", "130199"])
def test_invalid_ubigeo_is_refused(login_as, app, ubigeo):
    before = company_count(app)
    response = login_as("staff").post("/organizaciones/empresas/nueva", {**VALID, "ubigeo": ubigeo})
    assert "Ubigeo inválido" in response.get_data(as_text=True)
    assert company_count(app) == before


def test_second_concurrent_edit_gets_a_conflict(login_as, make_company, app):
    company_id = make_company(legal_name="Original S.A.")
    first, second = login_as("staff"), login_as("admin")
    with app.app_context():
        company = db.session.get(Company, company_id)
        form = {"ruc": company.ruc, "sector": company.sector, "ubigeo": company.ubigeo, "active": "y",
                "version": str(company.version)}
    assert first.post(f"/organizaciones/empresas/{company_id}/editar", {**form, "legal_name": "Primero S.A."}).status_code == 302
    stale = second.post(f"/organizaciones/empresas/{company_id}/editar", {**form, "legal_name": "Segundo S.A."})
    assert "Otra persona modificó este registro" in stale.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Company, company_id).legal_name == "Primero S.A."


def test_entity_level_decides_certificate_type(ctx):
    inpe = db.session.scalar(select(PublicEntity).where(PublicEntity.short_name == "INPE"))
    gore = db.session.scalar(select(PublicEntity).where(PublicEntity.short_name == "GRLL"))
    assert inpe.certificate_type == "CIPGN"
    assert gore.certificate_type == "CIPRL"


def test_la_libertad_zero_cap_2019_is_seeded(ctx):
    gore = db.session.scalar(select(PublicEntity).where(PublicEntity.short_name == "GRLL"))
    cap = db.session.scalar(select(EntityCap).where(EntityCap.entity_id == gore.id, EntityCap.year == 2019))
    assert cap.amount == Decimal("0.00") and "cero" in cap.legal_basis


def test_zero_cap_accepted_and_negative_or_three_decimals_refused(login_as, app):
    staff = login_as("staff")
    with app.app_context():
        entity_id = db.session.scalar(select(PublicEntity.id).where(PublicEntity.name.like("%Huanchaco")))
    url = f"/organizaciones/entidades/{entity_id}/topes"
    ok = staff.post(url, {"cap-year": "2027", "cap-amount": "0.00", "cap-legal_basis": "DS 123-2026-EF"})
    assert ok.status_code == 302
    for amount, message in [("-1.00", "negativo"), ("10.005", "más de dos decimales"), ("1e6", "Monto inválido")]:
        bad = staff.post(url, {"cap-year": "2028", "cap-amount": amount, "cap-legal_basis": "DS"})
        assert bad.status_code == 422 and message in bad.get_data(as_text=True)
    with app.app_context():
        years = db.session.scalars(select(EntityCap.year).where(EntityCap.entity_id == entity_id)).all()
    assert 2027 in years and 2028 not in years


def test_national_entity_has_no_ciprl_cap(login_as, app):
    staff = login_as("staff")
    with app.app_context():
        inpe_id = db.session.scalar(select(PublicEntity.id).where(PublicEntity.short_name == "INPE"))
    response = staff.post(f"/organizaciones/entidades/{inpe_id}/topes",
                          {"cap-year": "2027", "cap-amount": "100.00", "cap-legal_basis": "DS"})
    assert "usan CIPGN" in response.get_data(as_text=True)


def test_company_list_searches_filters_sorts_and_paginates(login_as, make_company):
    for i in range(30):
        make_company(legal_name=f"Lista Prueba {i:02d} S.A.", sector="energia" if i % 2 else "comercio")
    staff = login_as("staff")
    page = staff.get("/organizaciones/empresas?q=Lista+Prueba&sector=energia&sort=name&dir=desc").get_data(as_text=True)
    assert "Lista Prueba 29" in page and "Lista Prueba 28" not in page
    assert "Mostrando 1–15 de 15" in page
    page2 = staff.get("/organizaciones/empresas?q=Lista+Prueba&sort=name&page=2").get_data(as_text=True)
    assert "Lista Prueba 25" in page2 and "Lista Prueba 00" not in page2
    assert "Mostrando 26–30 de 30" in page2
    # hostile paging and sorting arguments fall back to defaults instead of failing
    for query in ["page=-3", "page=abc", "sort=password_hash", "dir=sideways", "per_page=100000"]:
        assert staff.get(f"/organizaciones/empresas?{query}").status_code == 200


def test_company_users_cannot_see_organization_pages(login_as, make_company):
    company = login_as("company")
    assert company.get("/organizaciones/empresas").status_code == 403
    assert company.get(f"/organizaciones/empresas/{company.user['company_id']}").status_code == 403


def test_built_in_form_messages_are_spanish(login_as, app):
    staff = login_as("staff")
    with app.app_context():
        entity_id = db.session.scalar(select(PublicEntity.id).where(PublicEntity.name.like("%Salaverry")))
    response = staff.post(f"/organizaciones/entidades/{entity_id}/topes",
                          {"cap-year": "dos mil", "cap-amount": "1.00", "cap-legal_basis": "DS",
                           "cap-published_on": "31/02/2026"})
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Not a valid" not in body
    assert "válid" in body


def test_edit_without_or_with_forged_version_is_a_conflict_not_an_error(login_as, make_company, app):
    company_id = make_company(legal_name="Versión S.A.")
    staff = login_as("staff")
    for body in ({}, {"version": "abc"}, {"version": "999"}):
        response = staff.post(f"/organizaciones/empresas/{company_id}/editar", {**body, "legal_name": "Cambiada S.A."})
        assert response.status_code == 200, body
        assert "Otra persona modificó este registro" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Company, company_id).legal_name == "Versión S.A."
