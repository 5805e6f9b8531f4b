"""Forms pre-select what the services will accept and show the headroom where a cap applies; the
figures come from the same functions the services refuse on."""
from __future__ import annotations

import re

from portfolio import db
from portfolio.projects import caps
from portfolio.projects.models import Project


def _selected(body: str, name: str) -> str | None:
    select = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', body, re.S).group(1)
    match = re.search(r'<option[^>]*selected[^>]*value="([^"]*)"|<option[^>]*value="([^"]*)"[^>]*selected', select)
    return (match.group(1) or match.group(2)) if match else None


def test_stage_form_never_preselects_a_stage_the_service_refuses(login_as, make_project):
    staff = login_as("staff")
    executing = make_project("en_ejecucion")  # no reception date yet: «recibido» would be refused
    body = staff.get(f"/proyectos/{executing['id']}/etapa").get_data(as_text=True)
    assert _selected(body, "target") in (None, "")
    assert "— Seleccione la etapa —" in body
    refused = staff.post(f"/proyectos/{executing['id']}/etapa", {"target": "recibido", "from_stage": "en_ejecucion"})
    assert "fecha de recepción" in refused.get_data(as_text=True)  # the first option really was refused
    ready = make_project("priorizado")  # has a CUI: «actos previos» is allowed
    body = staff.get(f"/proyectos/{ready['id']}/etapa").get_data(as_text=True)
    assert _selected(body, "target") == "actos_previos"
    detail = staff.get(f"/proyectos/{executing['id']}").get_data(as_text=True)
    assert "— Seleccione la etapa —" in detail


def test_certificate_form_preselects_an_accepted_milestone_before_reception(login_as, make_project, app):
    staff = login_as("staff")
    project = make_project("en_ejecucion", milestone=True)
    body = staff.get(f"/proyectos/{project['id']}/certificados/nuevo").get_data(as_text=True)
    assert _selected(body, "milestone_id") == str(project["milestone_id"])
    assert "certificado total tras la recepción" not in body
    with app.app_context():
        room = caps.certificate_room(db.session.get(Project, project["id"]))
    assert "Aún certificable: S/\u00a0500,000.00" in body and room.left == room.valuations - room.certified
    received = make_project("recibido")
    body = staff.get(f"/proyectos/{received['id']}/certificados/nuevo").get_data(as_text=True)
    assert "certificado total tras la recepción" in body and _selected(body, "milestone_id") in (None, "")


def test_certificate_headroom_drops_after_a_certificate(login_as, make_project, app):
    staff = login_as("staff")
    project = make_project("en_ejecucion", milestone=True)
    page = staff.get(f"/proyectos/{project['id']}/certificados/nuevo")
    assert page.status_code == 200
    staff.post(f"/proyectos/{project['id']}/certificados/nuevo", {
        "number": "CIPGN-T-1", "amount": "200,000.00", "issue_date": "2026-04-20",
        "milestone_id": str(project["milestone_id"])})
    body = staff.get(f"/proyectos/{project['id']}/certificados/nuevo").get_data(as_text=True)
    assert "Aún certificable: S/\u00a0300,000.00" in body
    assert "certificado S/\u00a0200,000.00" in body


def test_adenda_form_shows_the_variation_cap_left(login_as, make_project):
    staff = login_as("staff")
    project = make_project("en_ejecucion")
    body = staff.get(f"/proyectos/{project['id']}/variaciones/nueva").get_data(as_text=True)
    assert "50 % del convenio original = S/\u00a0500,000.00" in body and "queda S/\u00a0500,000.00" in body
    staff.post(f"/proyectos/{project['id']}/variaciones/nueva", {
        "kind": "monto", "amount_delta": "120,000.00", "days_delta": "0", "approved_on": "2026-04-01",
        "legal_reference": "Adenda 1"})
    body = staff.get(f"/proyectos/{project['id']}/variaciones/nueva").get_data(as_text=True)
    assert "aprobado S/\u00a0120,000.00" in body and "queda S/\u00a0380,000.00" in body
