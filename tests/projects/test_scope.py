"""Company scope on every project URL: another company's project is the same 404 as a missing one."""
from __future__ import annotations

import re

import pytest

from portfolio.projects.models import Project
from tests.support import STAFF_ACTOR

PROJECT_URLS = [
    ("get", "/proyectos/{id}"),
    ("get", "/proyectos/{id}/editar"),
    ("post", "/proyectos/{id}/editar"),
    ("get", "/proyectos/{id}/financistas"),
    ("post", "/proyectos/{id}/financistas"),
    ("get", "/proyectos/{id}/etapa"),
    ("post", "/proyectos/{id}/etapa"),
    ("get", "/proyectos/{id}/presupuesto/nueva"),
    ("post", "/proyectos/{id}/presupuesto/nueva"),
    ("get", "/proyectos/{id}/variaciones/nueva"),
    ("post", "/proyectos/{id}/variaciones/nueva"),
    ("get", "/proyectos/{id}/hitos/nuevo"),
    ("post", "/proyectos/{id}/hitos/nuevo"),
    ("get", "/proyectos/{id}/certificados/nuevo"),
    ("post", "/proyectos/{id}/certificados/nuevo"),
]


def _all_project_rules(app):
    return sorted(r.rule for r in app.url_map.iter_rules() if r.rule.startswith("/proyectos/<int:project_id>"))


def test_every_project_url_is_covered_here(app):
    covered = {u.replace("{id}", "<int:project_id>") for _, u in PROJECT_URLS}
    children = {r for r in _all_project_rules(app) if "<int:line_id>" in r or "<int:milestone_id>" in r
                or "<int:certificate_id>" in r}
    assert set(_all_project_rules(app)) - children == covered


def test_company_sees_only_what_it_finances(make_project, login_as):
    own = make_project("en_ejecucion", milestone=True)
    other = make_project("en_ejecucion")
    client = login_as("company", company_id=own["companies"][0])
    assert client.get(f"/proyectos/{own['id']}").status_code == 200
    missing = client.get("/proyectos/999999")
    foreign = client.get(f"/proyectos/{other['id']}")
    assert foreign.status_code == missing.status_code == 404
    assert foreign.get_data(as_text=True) == missing.get_data(as_text=True)
    listing = client.get("/proyectos/?per_page=100").get_data(as_text=True)
    assert f"/proyectos/{own['id']}\"" in listing and f"/proyectos/{other['id']}\"" not in listing
    assert "Adquisición de equipos policiales" not in listing  # seed projects are financed by nobody


def test_consortium_member_sees_the_project(make_project, make_company, login_as):
    a, b = make_company(), make_company()
    project = make_project("adjudicado", shares=("60", "40"), companies=[a, b])
    client = login_as("company", company_id=b)
    assert client.get(f"/proyectos/{project['id']}").status_code == 200


@pytest.mark.parametrize("method,url", PROJECT_URLS)
def test_another_companys_project_is_404_on_every_url(make_project, login_as, method, url):
    other = make_project("en_ejecucion", milestone=True)
    client = login_as("company")
    foreign = getattr(client, method)(url.format(id=other["id"]))
    missing = getattr(client, method)(url.format(id=10**9))
    # Readable URLs: 404 out of scope. Manage URLs: 403 for companies whatever the id (permission comes first),
    # so no URL tells a foreign project apart from a missing one.
    assert foreign.status_code == missing.status_code
    assert foreign.status_code == (404 if url == "/proyectos/{id}" else 403)


def test_children_of_another_project_are_404(app, make_project, login_as):
    from portfolio import db
    from portfolio.projects import certificates, execution
    from portfolio.projects.models import Project

    first = make_project("en_ejecucion", milestone=True)
    second = make_project("en_ejecucion")
    with app.app_context():
        p = db.session.get(Project, first["id"])
        line = execution.add_budget_line(project=p, category="obra", description=None, amount="10.00", actor=STAFF_ACTOR)
        certificate, _ = certificates.add_certificate(project=p, number="S-1", amount="10.00", issue_date=p.convenio_on,
                                                      milestone_id=first["milestone_id"], actor=STAFF_ACTOR)
        db.session.commit()
        line_id, certificate_id, version = line.id, certificate.id, certificate.version
    client = login_as("staff")
    other = second["id"]
    assert client.get(f"/proyectos/{other}/hitos/{first['milestone_id']}/editar").status_code == 404
    assert client.get(f"/proyectos/{other}/presupuesto/{line_id}/modificar").status_code == 404
    assert client.get(f"/proyectos/{other}/presupuesto/{line_id}/ejecucion").status_code == 404
    response = client.post(f"/proyectos/{other}/certificados/{certificate_id}/estado",
                           {"status": "anulado", "version": str(version)})
    assert response.status_code == 404
    with app.app_context():
        from portfolio.projects.models import Certificate

        assert db.session.get(Certificate, certificate_id).status == "solicitado"


def test_scope_in_the_getter_itself(app, ctx, make_project, make_user):
    from portfolio import db
    from portfolio.auth.models import User
    from portfolio.errors import NotFound
    from portfolio.projects.queries import get_project_or_404

    own = make_project("adjudicado")
    other = make_project("adjudicado")
    company_user = db.session.get(User, make_user("company", company_id=own["companies"][0])["id"])
    auditor = db.session.get(User, make_user("auditor")["id"])
    admin = db.session.get(User, make_user("admin")["id"])
    assert get_project_or_404(own["id"], company_user).id == own["id"]
    with pytest.raises(NotFound) as foreign:
        get_project_or_404(other["id"], company_user)
    with pytest.raises(NotFound) as missing:
        get_project_or_404(10**9, company_user)
    assert foreign.value.message == missing.value.message
    assert isinstance(get_project_or_404(other["id"], auditor), Project)
    with pytest.raises(NotFound):
        get_project_or_404(own["id"], admin)  # admin holds no projects.view


@pytest.mark.parametrize("role", ["board", "trustee", "auditor"])
def test_readers_read_but_cannot_change(make_project, login_as, role):
    project = make_project("priorizado")
    client = login_as(role)
    assert client.get(f"/proyectos/{project['id']}").status_code == 200
    assert client.get("/proyectos/").status_code == 200
    assert client.post(f"/proyectos/{project['id']}/etapa", {"target": "actos_previos"}).status_code == 403
    assert client.get("/proyectos/nuevo").status_code == 403
    page = client.get(f"/proyectos/{project['id']}").get_data(as_text=True)
    assert not re.search(r'action="[^"]*/etapa"', page)
