"""Reads for staff, auditors and MEF, the change feed and the milestone progress write."""
from __future__ import annotations

import datetime as dt
from urllib.parse import quote

from portfolio import clock


def _month() -> str:
    first = clock.today().replace(day=1)
    prev = first.replace(year=first.year - 1, month=12) if first.month == 1 else first.replace(month=first.month - 1)
    return f"{prev:%Y-%m}"


def test_projects_page_through_every_project_with_filters(app, api_as, make_project):
    made = [make_project("priorizado") for _ in range(5)]
    auditor = api_as("auditor")
    seen, cursor = [], None
    while True:
        page = auditor.get("/projects?limit=2" + (f"&cursor={cursor}" if cursor else "")).get_json()
        seen += [p["id"] for p in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert {p["id"] for p in made} <= set(seen) and seen == sorted(seen) and len(seen) == len(set(seen))
    staged = auditor.get("/projects?stage=priorizado&limit=200").get_json()["items"]
    assert staged and all(p["stage"] == "priorizado" for p in staged)
    assert auditor.get("/projects?stage=inventada").status_code == 422
    assert auditor.get("/projects?cursor=no-es-un-cursor").status_code == 422
    later = quote((clock.utcnow() + dt.timedelta(hours=1)).isoformat())  # "+00:00" must be escaped in a URL
    assert auditor.get(f"/projects?updated_since={later}").get_json()["items"] == []
    recent = auditor.get("/projects?updated_since=2000-01-01T00:00:00Z&limit=200").get_json()["items"]
    assert {p["id"] for p in made} <= {p["id"] for p in recent}
    detail = auditor.get(f"/projects/{made[0]['id']}").get_json()
    assert detail["id"] == made[0]["id"] and detail["milestones"] == [] and "budget" in detail


def test_a_company_reads_only_its_projects(app, api_as, make_project):
    company = api_as("company")
    mine = make_project(companies=[company.user["company_id"]])
    other = make_project()
    ids = {p["id"] for p in company.get("/projects?limit=200").get_json()["items"]}
    assert mine["id"] in ids and other["id"] not in ids
    assert company.get(f"/projects/{other['id']}").status_code == 404


def test_change_feed_is_scoped_and_follows_a_cursor(app, api_as):
    a, b, auditor = api_as("company"), api_as("company"), api_as("auditor")
    start = auditor.get("/changes?limit=500").get_json()
    cursor = start["next_cursor"]
    while True:  # catch up with everything already there
        page = auditor.get(f"/changes?after={cursor}&limit=500").get_json()
        if not page["items"]:
            break
        cursor = page["next_cursor"]
    declared = a.post("/declarations", {"month": _month(), "payroll": "7000.00", "headcount": 2}).get_json()
    news = auditor.get(f"/changes?after={cursor}").get_json()
    assert [(c["action"], c["object_id"]) for c in news["items"]] == [("trust.declare", str(declared["id"]))]
    assert auditor.get(f"/changes?after={news['next_cursor']}").get_json()["items"] == []
    mine = [c["object_id"] for c in a.get("/changes?limit=500").get_json()["items"]]
    theirs = [c["object_id"] for c in b.get("/changes?limit=500").get_json()["items"]]
    assert str(declared["id"]) in mine and str(declared["id"]) not in theirs
    assert "actor" not in news["items"][0]  # the feed says what changed, the audit trail (auditor) says who


def test_staff_records_milestone_progress_with_the_version(app, api_as, make_project):
    project = make_project("en_ejecucion", milestone=True)
    staff = api_as("staff")
    milestone = staff.get(f"/projects/{project['id']}").get_json()["milestones"][0]
    url = f"/projects/{project['id']}/milestones/{milestone['id']}/progress"
    body = {"version": milestone["version"], "actual_date": milestone["actual_date"], "actual_physical_pct": "60.00",
            "amount": "600000.00", "conformity_date": milestone["conformity_date"], "status": "cumplido"}
    done = staff.post(url, body)
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["actual_physical_pct"] == "60.00" and done.get_json()["amount"] == "600000.00"
    stale = staff.post(url, body | {"actual_physical_pct": "61.00"})
    assert stale.status_code == 409  # the version read is no longer the milestone's
    assert staff.post(url, body | {"amount": 600000}).status_code == 422
    assert api_as("auditor").post(url, body).status_code == 403


def test_a_large_body_is_413(app, api_as):
    api = api_as("company")
    big = '{"month": "2026-01", "payroll": "1.00", "headcount": 1, "x": "' + "a" * 70_000 + '"}'
    response = api.post("/declarations", raw=big)
    assert response.status_code == 413 and response.mimetype == "application/problem+json"


def test_updated_since_finds_projects_whose_budget_or_milestones_changed(app, api_as, make_project):
    """The project's answer shows its budget and milestones, so a change to them is a change of the project."""
    from portfolio import db
    from portfolio.projects import execution
    from portfolio.projects.models import Project
    from tests.support import STAFF_ACTOR

    first, second = make_project(), make_project()
    auditor = api_as("auditor")
    since = quote(clock.utcnow().isoformat())

    def changed() -> set[int]:
        items = auditor.get(f"/projects?updated_since={since}&limit=200").get_json()["items"]
        return {p["id"] for p in items} & {first["id"], second["id"]}

    assert changed() == set()
    with app.app_context():
        execution.add_budget_line(project=db.session.get(Project, first["id"]), category="obra",
                                  description="Cámaras adicionales", amount="1500.00", actor=STAFF_ACTOR)
        db.session.commit()
    assert changed() == {first["id"]}
    with app.app_context():
        project = db.session.get(Project, second["id"])
        execution.add_milestone(project=project, data={
            "kind": "valorizacion", "description": "Valorización 1", "amount": "1000.00", "planned_physical": "10",
            "planned_date": project.convenio_on + dt.timedelta(days=30)}, actor=STAFF_ACTOR)
        db.session.commit()
    assert changed() == {first["id"], second["id"]}
