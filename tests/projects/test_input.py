"""Bad input through the pages: a Spanish message on the form and nothing written."""
from __future__ import annotations

import html

import pytest
from sqlalchemy import func, select

from portfolio import db
from portfolio.audit import AuditEntry
from portfolio.projects.models import (
    Certificate,
    Milestone,
    Project,
    ProjectMember,
    StageTransition,
    Variation,
)
from tests.support import STAFF_ACTOR

from .conftest import INPE


def _counts(app) -> dict[str, int]:
    with app.app_context():
        return {m.__name__: db.session.scalar(select(func.count()).select_from(m))
                for m in (Project, ProjectMember, StageTransition, Variation, Milestone, Certificate, AuditEntry)}


def _entity_id(app, name=INPE) -> int:
    from portfolio.orgs.models import PublicEntity

    with app.app_context():
        return db.session.scalar(select(PublicEntity.id).where(PublicEntity.name == name))


def _form(app, **kw) -> dict:
    data = {"name": "Comisaría modelo de Moche", "entity_id": str(_entity_id(app)), "sector": "orden_publico",
            "mechanism": "oxi", "locations": "130107", "reference_amount": "2,500,000.00"}
    data.update(kw)
    return data


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


@pytest.fixture
def staff(login_as):
    return login_as("staff")


def test_valid_project_is_created_in_priorizado(app, staff):
    response = staff.post("/proyectos/nuevo", _form(app, cui="2456789"))
    assert response.status_code == 302
    with app.app_context():
        project = db.session.scalar(select(Project).where(Project.cui == "2456789"))
        assert project.stage == "priorizado" and str(project.reference_amount) == "2500000.00"
        assert project.location_codes == ["130107"]


@pytest.mark.parametrize("fields,message", [
    ({"cui": "12345"}, "CUI inválido: el Código Único de Inversiones tiene exactamente 7 dígitos."),
    ({"cui": "12345678"}, "CUI inválido"),
    ({"cui": "12a4567"}, "CUI inválido"),
    ({"reference_amount": "-100.00"}, "El monto no puede ser negativo."),
    ({"reference_amount": "100.005"}, "Monto inválido: tiene más de dos decimales."),
    ({"awarded_amount": "1e6"}, "Monto inválido"),
    ({"locations": "999999"}, "Ubigeo inválido: 999999"),
    ({"locations": ""}, "Indique al menos un ubigeo o marque «multidepartamental»."),
    ({"convenio_on": "2026-03-01", "start_on": "2026-02-01"}, "La fecha de inicio no puede ser anterior a la suscripción"),
    ({"name": ""}, "Ingrese el nombre."),
    ({"convenio_on": "2026-13-45"}, "Fecha inválida: use dd/mm/aaaa (p. ej. 15/03/2026)."),
    ({"term_days": "doce"}, "No es un valor entero válido."),
    ({"sector": "inventado"}, "Opción inválida."),
])
def test_bad_project_input_is_refused_and_nothing_written(app, staff, fields, message):
    before = _counts(app)
    response = staff.post("/proyectos/nuevo", _form(app, **fields))
    assert response.status_code == 200
    assert message in _text(response)
    assert _counts(app) == before


def test_duplicate_cui_is_refused(app, staff, make_project):
    existing = make_project(cui="7654321")
    before = _counts(app)
    response = staff.post("/proyectos/nuevo", _form(app, cui="7654321"))
    assert "Ya existe un proyecto con el CUI 7654321." in _text(response)
    assert _counts(app) == before
    edit = staff.get(f"/proyectos/{existing['id']}/editar")
    assert edit.status_code == 200


@pytest.mark.parametrize("rows,message", [
    ([("a", "60"), ("b", "30")], "Las participaciones deben sumar exactamente 100 % (suman 90.00 %)."),
    ([("a", "60"), ("b", "40.001")], "Porcentaje inválido: use hasta dos decimales."),
    ([("a", "100"), ("a", "0")], "aparece dos veces"),
    ([("a", "-10"), ("b", "110")], "El porcentaje debe ser mayor que 0 y no mayor que 100."),
    ([("", "100")], "Seleccione una empresa registrada"),
])
def test_consortium_shares_must_sum_exactly_100(app, staff, make_project, make_company, rows, message):
    project = make_project()
    ids = {"a": str(make_company()), "b": str(make_company()), "": ""}
    data = {"version": str(project["version"])}
    for index, (key, share) in enumerate(rows):
        data[f"rows-{index}-company_id"] = ids[key]
        data[f"rows-{index}-share"] = share
    before = _counts(app)
    response = staff.post(f"/proyectos/{project['id']}/financistas", data)
    assert message in _text(response)
    assert _counts(app) == before


def test_consortium_saved_when_shares_sum_100(app, staff, make_project, make_company):
    project = make_project()
    a, b, c = make_company(), make_company(), make_company()
    data = {"version": str(project["version"]), "rows-0-company_id": a, "rows-0-share": "33.33",
            "rows-1-company_id": b, "rows-1-share": "33.33", "rows-2-company_id": c, "rows-2-share": "33.34"}
    assert staff.post(f"/proyectos/{project['id']}/financistas", data).status_code == 302
    with app.app_context():
        shares = db.session.scalars(select(ProjectMember.share_hundredths).where(
            ProjectMember.project_id == project["id"]).order_by(ProjectMember.position)).all()
    assert shares == [3333, 3333, 3334]


def test_hand_made_post_of_an_illegal_transition_changes_nothing(app, staff, make_project):
    project = make_project("priorizado")
    before = _counts(app)
    response = staff.post(f"/proyectos/{project['id']}/etapa", {"target": "liquidado", "from_stage": "priorizado"})
    assert "No se puede pasar de «Priorizado» a «Liquidado»" in _text(response)
    response = staff.post(f"/proyectos/{project['id']}/etapa", {"target": "inventada", "from_stage": "priorizado"})
    assert "Etapa desconocida" in _text(response) or "No se puede pasar" in _text(response)
    assert _counts(app) == before
    with app.app_context():
        assert db.session.get(Project, project["id"]).stage == "priorizado"


def test_replayed_transition_post_is_refused(app, staff, make_project):
    project = make_project("actos_previos")
    data = {"target": "en_seleccion", "from_stage": "actos_previos"}
    assert staff.post(f"/proyectos/{project['id']}/etapa", data).status_code == 302
    before = _counts(app)
    response = staff.post(f"/proyectos/{project['id']}/etapa", data)
    assert "ya no está en «Actos previos»" in _text(response)
    assert _counts(app) == before


def test_milestone_actual_date_before_convenio_is_refused(app, staff, make_project):
    project = make_project("en_ejecucion")  # convenio 02/03/2026
    before = _counts(app)
    response = staff.post(f"/proyectos/{project['id']}/hitos/nuevo", {
        "kind": "valorizacion", "planned_date": "2026-04-01", "actual_date": "2026-02-20", "status": "cumplido",
        "amount": "1000.00"})
    assert "no puede ser anterior a la suscripción del convenio (02/03/2026)" in _text(response)
    assert _counts(app) == before


@pytest.mark.parametrize("amount,message", [
    ("-5.00", "El monto no puede ser negativo."),
    ("10.123", "Monto inválido: tiene más de dos decimales."),
])
def test_milestone_bad_amounts(app, staff, make_project, amount, message):
    project = make_project("en_ejecucion")
    before = _counts(app)
    response = staff.post(f"/proyectos/{project['id']}/hitos/nuevo", {
        "kind": "valorizacion", "planned_date": "2026-04-01", "status": "programado", "amount": amount})
    assert message in _text(response)
    assert _counts(app) == before


def test_certificate_over_the_caps_is_refused_through_the_page(app, staff, make_project):
    project = make_project("en_ejecucion", milestone=True)  # accepted valorización S/ 500,000.00
    before = _counts(app)
    response = staff.post(f"/proyectos/{project['id']}/certificados/nuevo", {
        "number": "CIPGN-T-1", "amount": "500,000.01", "issue_date": "2026-06-01",
        "milestone_id": str(project["milestone_id"])})
    assert "Excede las valorizaciones con conformidad" in _text(response)
    assert _counts(app) == before
    ok = staff.post(f"/proyectos/{project['id']}/certificados/nuevo", {
        "number": "CIPGN-T-1", "amount": "500,000.00", "issue_date": "2026-06-01",
        "milestone_id": str(project["milestone_id"])})
    assert ok.status_code == 302


def test_variation_over_the_cap_is_refused_through_the_page(app, staff, make_project):
    project = make_project("en_ejecucion")
    before = _counts(app)
    response = staff.post(f"/proyectos/{project['id']}/variaciones/nueva", {
        "kind": "monto", "amount_delta": "500,000.01", "approved_on": "2026-06-01",
        "legal_reference": "Adenda 1"})
    assert "Excede el tope de variaciones" in _text(response)
    assert _counts(app) == before


def test_convenio_amount_locked_after_signature(app, staff, make_project):
    project = make_project("convenio_suscrito")
    page = staff.get(f"/proyectos/{project['id']}/editar").get_data(as_text=True)
    assert 'name="version"' in page
    with app.app_context():
        p = db.session.get(Project, project["id"])
        version = p.version
    response = staff.post(f"/proyectos/{project['id']}/editar", _form(
        app, version=str(version), awarded_amount="2,000,000.00", convenio_on="2026-03-02", awarded_on="2026-02-10",
        start_on="2026-03-12"))
    assert "solo cambian mediante una adenda" in _text(response)
    with app.app_context():
        assert str(db.session.get(Project, project["id"]).awarded_amount) == "1000000.00"


def test_certificate_status_change_and_replayed_post(app, staff, make_project):
    project = make_project("en_ejecucion", milestone=True)
    with app.app_context():
        from portfolio.projects import certificates

        p = db.session.get(Project, project["id"])
        certificate, _ = certificates.add_certificate(project=p, number="C-9", amount="1000.00", issue_date=p.convenio_on,
                                                      milestone_id=project["milestone_id"], actor=STAFF_ACTOR)
        db.session.commit()
        cid, version = certificate.id, certificate.version
    url = f"/proyectos/{project['id']}/certificados/{cid}/estado"
    assert staff.post(url, {"status": "emitido", "version": str(version)}).status_code == 302
    replay = staff.post(url, {"status": "emitido", "version": str(version)}, follow_redirects=True)
    assert "Otra persona modificó este proyecto" in _text(replay)
    forged = staff.post(url, {"status": "solicitado", "version": str(version + 1)}, follow_redirects=True)
    assert "no puede pasar a «solicitado»" in _text(forged)
    with app.app_context():
        assert db.session.get(Certificate, cid).status == "emitido"
