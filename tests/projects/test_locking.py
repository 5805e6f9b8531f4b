"""Optimistic locking: two staff members editing the same project; the second save gets a conflict."""
from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select

from portfolio import db
from portfolio.errors import Conflict
from portfolio.projects import services
from portfolio.projects.models import Project
from tests.support import STAFF_ACTOR


def _edit_form(client, project_id) -> dict:
    page = client.get(f"/proyectos/{project_id}/editar").get_data(as_text=True)
    fields = dict(re.findall(r'<input[^>]*name="([a-z_]+)"[^>]*value="([^"]*)"', page))
    for name, value in re.findall(r'<input[^>]*value="([^"]*)"[^>]*name="([a-z_]+)"', page):
        fields.setdefault(value, name)
    selected = re.findall(r'<select[^>]*name="([a-z_]+)".*?<option selected value="([^"]*)"', page, re.S)
    fields.update({k: v for k, v in selected})
    fields.pop("csrf_token", None)
    return {k: html.unescape(v) for k, v in fields.items()}


def test_second_save_with_a_stale_version_gets_a_conflict(app, make_project, login_as):
    project = make_project()
    first, second = login_as("staff"), login_as("staff")
    form_a, form_b = _edit_form(first, project["id"]), _edit_form(second, project["id"])
    assert form_a["version"] == form_b["version"] == str(project["version"])
    with app.app_context():
        p = db.session.get(Project, project["id"])
        base = {"entity_id": str(p.entity_id), "sector": p.sector, "mechanism": p.mechanism, "locations": "130101"}
    assert first.post(f"/proyectos/{project['id']}/editar", form_a | base | {"name": "Nombre de Ana"}).status_code == 302
    response = second.post(f"/proyectos/{project['id']}/editar", form_b | base | {"name": "Nombre de Luis"})
    assert response.status_code == 200
    assert "Otra persona modificó este proyecto mientras usted lo editaba" in html.unescape(response.get_data(as_text=True))
    with app.app_context():
        assert db.session.get(Project, project["id"]).name == "Nombre de Ana"


def test_forged_post_without_version_never_overwrites(app, make_project, login_as):
    project = make_project()
    client = login_as("staff")
    with app.app_context():
        p = db.session.get(Project, project["id"])
        data = {"entity_id": str(p.entity_id), "sector": p.sector, "mechanism": "oxi", "locations": "130101",
                "name": "Sin versión"}
    with app.app_context():
        before = db.session.get(Project, project["id"])
        name_before, version_before = before.name, before.version
    response = client.post(f"/proyectos/{project['id']}/editar", data)
    assert "Otra persona modificó" in html.unescape(response.get_data(as_text=True))
    with app.app_context():
        after = db.session.get(Project, project["id"])
        assert (after.name, after.version) == (name_before, version_before)
        assert after.name != "Sin versión"


def test_database_level_version_check_catches_a_concurrent_update(oxi):
    """Even past the form check, the UPDATE carries ``WHERE version = …`` (SQLAlchemy version_id_col)."""
    project = oxi.project()
    db.session.flush()
    db.session.execute(Project.__table__.update().where(Project.id == project.id).values(version=Project.version + 1))
    project.name = "Cambio que llega tarde"
    with pytest.raises(Conflict, match="Otra persona modificó"):
        services.flush_or_conflict()


def test_members_change_bumps_the_project_version(oxi, make_company):
    project = oxi.project()
    version = project.version
    services.set_members(project=project, rows=[(make_company(), "100")], expected_version=version, actor=STAFF_ACTOR)
    assert project.version == version + 1
    with pytest.raises(Conflict):
        services.set_members(project=project, rows=[(make_company(), "100")], expected_version=version, actor=STAFF_ACTOR)
    assert db.session.scalar(select(Project.version).where(Project.id == project.id)) == version + 1
