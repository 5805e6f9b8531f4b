"""Project portfolio by spreadsheet: creates and updates through the projects services, whose transitions,
preconditions and CIPRL caps show up in the preview on their row; nothing is written before confirmation."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import func, select

from portfolio import db
from tests.imports.conftest import batch_id_from, error_rows, upload, xlsx

HEADERS = ["CUI", "Nombre", "Entidad", "Función", "Monto referencial", "Monto adjudicado", "Etapa",
           "Fecha de priorización", "Fecha de convocatoria", "Fecha de buena pro", "Fecha de convenio",
           "Fecha de inicio", "Empresas", "Ubigeo", "Supervisora", "Informe previo"]


def row(**kw):
    values = {"CUI": None, "Nombre": "Adquisición de equipos policiales", "Entidad": "MININTER",
              "Función": "Orden público y seguridad", "Monto referencial": "92,000,000.00", "Monto adjudicado": None,
              "Etapa": None, "Fecha de priorización": None, "Fecha de convocatoria": None, "Fecha de buena pro": None,
              "Fecha de convenio": None, "Fecha de inicio": None, "Empresas": None, "Ubigeo": "multidepartamental",
              "Supervisora": None, "Informe previo": None}
    values.update(kw)
    return [values[h] for h in HEADERS]


def sheet(*rows):
    return xlsx([HEADERS, *rows], sheet="Proyectos")


def projects(app):
    from portfolio.projects.models import Project

    with app.app_context():
        return {p.cui or p.name: (p.stage, p.reference_amount, p.entity.short_name)
                for p in db.session.scalars(select(Project))}


def project_count(app):
    from portfolio.projects.models import Project

    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Project))


def test_creates_projects_and_walks_their_stages(app, login_as):
    staff = login_as("staff")
    data = sheet(row(CUI="2456789", Etapa="Actos previos", **{"Fecha de priorización": "15/03/2026"}),
                 row(Nombre="Ómnibus para intervención inmediata", Entidad="Instituto Nacional Penitenciario",
                     **{"Monto referencial": "S/ 10,000,000.00", "Función": "Justicia (sistema penitenciario)"}))
    before = project_count(app)
    batch_id = batch_id_from(upload(staff, "proyectos", data))
    page = staff.get(f"/importar/lotes/{batch_id}").get_data(as_text=True)
    assert 'data-count="crear">2<' in page and "etapas: Actos previos" in page
    assert project_count(app) == before
    assert staff.post(f"/importar/lotes/{batch_id}/confirmar").status_code == 302
    found = projects(app)
    assert found["2456789"] == ("actos_previos", Decimal("92000000.00"), "MININTER")
    assert found["Ómnibus para intervención inmediata"] == ("priorizado", Decimal("10000000.00"), "INPE")
    from portfolio.projects.models import Project, StageTransition

    with app.app_context():
        project = db.session.scalar(select(Project).where(Project.cui == "2456789"))
        moves = db.session.scalars(select(StageTransition.to_stage).where(StageTransition.project_id == project.id)
                                   .order_by(StageTransition.id)).all()
        assert moves == ["priorizado", "actos_previos"]
        assert project.prioritized_on == dt.date(2026, 3, 15)


def test_updates_by_cui_and_leaves_equal_rows_alone(app, login_as):
    staff = login_as("staff")
    staff.post(f"/importar/lotes/{batch_id_from(upload(staff, 'proyectos', sheet(row(CUI='2456789'), row(CUI='1234567', Nombre='Laboratorio forense digital')))) }/confirmar")
    data = sheet(row(CUI="2456789", **{"Monto referencial": "95,500,000.00"}),
                 row(CUI="1234567", Nombre="Laboratorio forense digital"))
    batch_id = batch_id_from(upload(staff, "proyectos", data))
    page = staff.get(f"/importar/lotes/{batch_id}").get_data(as_text=True)
    assert 'data-count="cambiar">1<' in page and 'data-count="sin_cambios">1<' in page
    assert "Cambia: Monto referencial" in page
    staff.post(f"/importar/lotes/{batch_id}/confirmar")
    assert projects(app)["2456789"][1] == Decimal("95500000.00")
    again = upload(staff, "proyectos", data)
    assert again.status_code == 200 and "Este archivo ya fue importado" in again.get_data(as_text=True)


def test_stage_preconditions_from_the_projects_service_appear_on_their_row(app, login_as):
    staff = login_as("staff")
    before = project_count(app)
    data = sheet(row(CUI="7654321", Etapa="En proceso de selección"),  # no informe previo de Contraloría
                 row(CUI="7654322", Nombre="Otro", Etapa="Actos previos"))
    response = upload(staff, "proyectos", data)
    text = response.get_data(as_text=True)
    assert response.status_code == 422
    assert ("<td>2</td><td>Etapa</td><td><code>En proceso de selección</code></td><td>Registre la referencia del "
            "informe previo de la Contraloría antes de convocar.") in text
    assert [r[0] for r in error_rows(text)] == ["2"]
    assert project_count(app) == before


def test_ciprl_cap_is_enforced_through_the_service(app, login_as, make_company):
    """La Libertad's regional government had a zero CIPRL cap in 2019: a convenio signed then is refused."""
    from portfolio.orgs.models import Company

    company_id = make_company()
    with app.app_context():
        ruc = db.session.get(Company, company_id).ruc
    staff = login_as("staff")
    data = sheet(row(CUI="5555555", Nombre="Videovigilancia Trujillo", Entidad="Gobierno Regional La Libertad",
                     Ubigeo="130101", Etapa="Convenio suscrito", Empresas=f"{ruc} 100",
                     **{"Monto adjudicado": "5,000,000.00", "Fecha de buena pro": "10/01/2019",
                        "Fecha de convenio": "01/02/2019", "Informe previo": "IP-001-2018",
                        "Fecha de convocatoria": "01/12/2018"}))
    before = project_count(app)
    response = upload(staff, "proyectos", data)
    text = response.get_data(as_text=True)
    assert response.status_code == 422
    assert ("<td>2</td><td>Etapa</td><td><code>Convenio suscrito</code></td><td>Excede el tope CIPRL 2019 de Gobierno "
            "Regional La Libertad: tope S/\u00a00.00") in text
    assert project_count(app) == before


def test_illegal_stage_move_and_unknown_references(app, login_as):
    staff = login_as("staff")
    staff.post(f"/importar/lotes/{batch_id_from(upload(staff, 'proyectos', sheet(row(CUI='2456789', Etapa='Actos previos'))))}/confirmar")
    data = sheet(row(CUI="2456789", Etapa="Priorizado"),
                 row(CUI="3333333", Entidad="Ministerio de la Felicidad"),
                 row(CUI="4444444", Empresas="20512333797 60; 2013131295 40"),
                 row(CUI="123", Función="Turismo"))
    response = upload(staff, "proyectos", data)
    text = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Un proyecto en «Actos previos» no puede pasar a «Priorizado»." in text
    assert "No hay una entidad pública registrada con ese nombre, sigla o RUC." in text
    assert "no tiene la forma «RUC participación»" in text
    assert "Valor no reconocido; use uno de:" in text
    assert projects(app)["2456789"][0] == "actos_previos"


def test_only_staff_imports_projects(app, login_as):
    assert login_as("trustee").get("/importar/proyectos/").status_code == 403
    assert login_as("company").get("/importar/proyectos/plantilla.xlsx").status_code == 403


def test_consortium_and_several_transitions_in_one_row(app, login_as, make_company):
    """A consortium (60/40) awarded in one row: members are set, then the project walks
    priorizado → actos_previos → en_seleccion → adjudicado through the service, each step recorded.
    Showing the preview (which dry-runs the services) writes nothing."""
    from portfolio.orgs.models import Company
    from portfolio.projects.models import Project, StageTransition

    first, second = make_company(), make_company()
    with app.app_context():
        rucs = [db.session.get(Company, c).ruc for c in (first, second)]
    staff = login_as("staff")
    data = sheet(row(CUI="8888888", Etapa="Adjudicado", Empresas=f"{rucs[0]} 60; {rucs[1]}: 40%",
                     **{"Monto adjudicado": "90,000,000.00", "Fecha de buena pro": "20/02/2026",
                        "Fecha de convocatoria": "10/01/2026", "Informe previo": "IP-123-2025-CG"}))
    batch_id = batch_id_from(upload(staff, "proyectos", data))
    before = project_count(app)
    page = staff.get(f"/importar/lotes/{batch_id}").get_data(as_text=True)
    assert "etapas: Actos previos → En proceso de selección → Adjudicado (buena pro)" in page
    assert project_count(app) == before
    assert staff.post(f"/importar/lotes/{batch_id}/confirmar").status_code == 302
    with app.app_context():
        project = db.session.scalar(select(Project).where(Project.cui == "8888888"))
        assert project.stage == "adjudicado" and project.awarded_amount == Decimal("90000000.00")
        assert [(m.company_id, m.share_hundredths) for m in project.members] == [(first, 6000), (second, 4000)]
        moves = db.session.scalars(select(StageTransition.to_stage).where(StageTransition.project_id == project.id)
                                   .order_by(StageTransition.id)).all()
        assert moves == ["priorizado", "actos_previos", "en_seleccion", "adjudicado"]
