"""A company or public entity created with «Nueva …» is active: it shows in the project form and the
trustee's lists at once (the «Activa» box appears only when editing)."""
from sqlalchemy import select

from portfolio import db
from portfolio.orgs.models import Company, PublicEntity


def test_new_company_is_active_and_offered_to_the_trustee(app, login_as):
    staff = login_as("staff")
    response = staff.post("/organizaciones/empresas/nueva", {"ruc": "20131312955", "legal_name": "Vigilancia Moche S.A.C.",
                                                             "sector": "servicios", "ubigeo": "130107"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Company.active).where(Company.ruc == "20131312955")) is True
    page = login_as("trustee").get("/fideicomiso/fiduciario/declarar").get_data(as_text=True)
    assert "Vigilancia Moche S.A.C. – RUC 20131312955" in page


def test_new_entity_is_active_and_offered_in_the_project_form(app, login_as):
    staff = login_as("staff")
    response = staff.post("/organizaciones/entidades/nueva", {"name": "Municipalidad Distrital de Prueba Norte",
                                                              "level": "distrital", "kind": "municipalidad",
                                                              "ubigeo": "130107"})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    with app.app_context():
        assert db.session.scalar(select(PublicEntity.active).where(
            PublicEntity.name == "Municipalidad Distrital de Prueba Norte")) is True
    assert "Municipalidad Distrital de Prueba Norte" in staff.get("/proyectos/nuevo").get_data(as_text=True)


def test_edit_can_still_deactivate(app, login_as):
    staff = login_as("staff")
    staff.post("/organizaciones/empresas/nueva", {"ruc": "10054148289", "legal_name": "Juan Pérez Seguridad",
                                                  "sector": "servicios"})
    with app.app_context():
        company = db.session.scalar(select(Company).where(Company.ruc == "10054148289"))
        company_id, version = company.id, company.version
    response = staff.post(f"/organizaciones/empresas/{company_id}/editar",
                          {"ruc": "10054148289", "legal_name": "Juan Pérez Seguridad", "sector": "servicios",
                           "version": str(version)})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Company, company_id).active is False
