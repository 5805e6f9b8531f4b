"""The projects list: place names instead of INEI codes, physical and financial progress as on the project
page, and consortium shares that never wrap."""
from __future__ import annotations

import html
import re

from sqlalchemy import select

from portfolio import db
from portfolio.projects import chart, queries
from portfolio.projects.models import Project


def _row(page: str, project_id: int) -> str:
    match = re.search(rf'<tr>\s*<td[^>]*>[^<]*</td>\s*<td><a href="/proyectos/{project_id}">.*?</tr>', page, re.S)
    assert match, "the project's row is not in the list"
    return match.group(0)


def test_list_shows_province_and_district_names_and_progress(app, login_as, make_project):
    project = make_project("en_ejecucion", milestone=True, shares=("60", "40"), locations="130101, 130104, 130201")
    multi = make_project("priorizado", multidepartmental=True, locations="130101, 200101")
    page = html.unescape(login_as("staff").get("/proyectos/?per_page=100").get_data(as_text=True))
    row = _row(page, project["id"])
    assert "Trujillo: Trujillo, Huanchaco · Ascope: Ascope" in row
    assert "130101" not in row and "130104" not in row
    assert "Multidepartamental (La Libertad, Piura)" in _row(page, multi["id"])
    # the milestone fixture: 45 % physical reported, S/ 500,000 accepted of a S/ 1,000,000 convenio
    assert re.search(r'data-progress="fisico">45\.0 %<', row)
    assert re.search(r'data-progress="financiero">50\.0 %<', row)
    assert row.count('<span class="text-nowrap">(60.00 %)</span>') == 1
    assert '<span class="text-nowrap">(40.00 %)</span>' in row
    assert "Avance físico" in page and "Avance financiero" in page


def test_list_progress_is_the_project_page_progress(app, login_as, make_project):
    project = make_project("en_ejecucion", milestone=True)
    fresh = make_project("priorizado")
    with app.app_context():
        listed = db.session.scalars(select(Project).where(Project.id.in_([project["id"], fresh["id"]]))).all()
        by_id = queries.progress_by_project(listed)
        p = db.session.get(Project, project["id"])
        page = queries.project_page(p)
        assert by_id[p.id] == chart.progress(p, page.milestones)
        curve = chart.build(p, page.milestones)
        ends = {s.key: s.points[-1][1] for s in curve.series if s.points}
        assert by_id[p.id] == chart.Progress(ends["actual_physical"], ends["actual_financial"])
        assert by_id[fresh["id"]] == chart.Progress(None, None)
    row = _row(html.unescape(login_as("staff").get("/proyectos/?per_page=100").get_data(as_text=True)), fresh["id"])
    assert 'data-progress="fisico">—<' in row and 'data-progress="financiero">—<' in row
