"""Background export jobs through the web: job page, JSON status, download, failures shown, ownership,
company scope, permission re-checked when the job runs. Jobs run inline here (see test_runners.py for the
thread pool and RQ on Redis)."""
from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from sqlalchemy import select

from portfolio import db
from portfolio.errors import DomainError
from portfolio.exports.jobs import STALE_FAILURE
from portfolio.exports.models import ExportJob
from portfolio.exports.registry import ExportSpec, register_export, unregister_export
from portfolio.exports.xlsx import Column, Table
from portfolio.orgs.models import Company
from tests.exports.conftest import data_rows, read_xlsx


def start_background(client, name, query=""):
    response = client.post(f"/exportaciones/{name}{query}")
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    match = re.search(r"/exportaciones/trabajos/([A-Za-z0-9_-]+)$", response.headers["Location"])
    assert match, response.headers["Location"]
    return match.group(1)


@pytest.fixture
def background(app, monkeypatch, inline_exports):
    """Every export goes to the background (sync limit 0)."""
    monkeypatch.setitem(app.config, "EXPORT_SYNC_MAX_ROWS", 0)
    return inline_exports


@pytest.fixture
def scoped_export():
    """A test export scoped like a company-facing list: a company user sees only its own company."""

    def build(req):
        query = req.viewer.scope(select(Company).order_by(Company.legal_name), Company.id)
        rows = ((c.ruc, c.legal_name) for c in req.stream(query))
        return [Table("Empresas", [Column("ruc", "RUC"), Column("name", "Razón social")], rows), req.notes_sheet()]

    register_export(ExportSpec(name="test_scoped", label="Empresas (prueba de alcance)", permission="exports.download",
                               build=build, filename="alcance", always_background=True))
    yield "test_scoped"
    unregister_export("test_scoped")


def test_large_export_runs_as_a_job_with_status_and_download(app, login_as, make_company, background):
    make_company(legal_name="Empresa En Segundo Plano S.A.", sector="energia")
    client = login_as("staff")
    token = start_background(client, "companies", "?sector=energia")
    page = client.get(f"/exportaciones/trabajos/{token}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'src="/static/js/exports.js"' in html
    assert "<script>" not in html and "style=" not in html  # strict CSP: no inline script or style
    status = client.get(f"/exportaciones/trabajos/{token}/estado", headers={"Accept": "application/json"})
    payload = status.get_json()
    assert payload["status"] == "done" and payload["label"] == "Lista" and payload["percent"] == 100
    assert payload["download_url"].endswith(f"/exportaciones/trabajos/{token}/descargar")
    download = client.get(payload["download_url"])
    assert download.status_code == 200
    assert download.headers["Content-Disposition"].startswith("attachment; filename=empresas_")
    rows = data_rows(read_xlsx(download.data)["Empresas"])
    assert [r[1] for r in rows] == ["Empresa En Segundo Plano S.A."]
    # the job and its file survive a "reload": a new client of the same user still finds it in the list
    assert f"/exportaciones/trabajos/{token}/descargar" in client.get("/exportaciones/").get_data(as_text=True)


def test_job_of_another_user_is_404(app, login_as, background):
    owner = login_as("staff")
    token = start_background(owner, "companies")
    other = login_as("staff")
    assert other.get(f"/exportaciones/trabajos/{token}").status_code == 404
    assert other.get(f"/exportaciones/trabajos/{token}/estado").status_code == 404
    assert other.get(f"/exportaciones/trabajos/{token}/descargar").status_code == 404
    assert other.get("/exportaciones/trabajos/no-existe").status_code == 404


def test_company_export_holds_only_its_own_rows(app, login_as, make_company, scoped_export, inline_exports):
    mine = make_company(legal_name="Mi Empresa S.A.C.")
    make_company(legal_name="Empresa Ajena S.A.C.")
    company = login_as("company", company_id=mine)
    token = start_background(company, scoped_export)
    data = company.get(f"/exportaciones/trabajos/{token}/descargar").data
    assert [r[1] for r in data_rows(read_xlsx(data)["Empresas"])] == ["Mi Empresa S.A.C."]
    staff = login_as("staff")
    token = start_background(staff, scoped_export)
    names = [r[1] for r in data_rows(read_xlsx(staff.get(f"/exportaciones/trabajos/{token}/descargar").data)["Empresas"])]
    assert {"Mi Empresa S.A.C.", "Empresa Ajena S.A.C."} <= set(names)
    # another company cannot reach the first company's job
    other = login_as("company")
    assert other.get(f"/exportaciones/trabajos/{token}").status_code == 404


def test_a_failing_export_is_shown_as_failed_with_a_spanish_message(app, login_as, inline_exports):
    def build(req):
        raise DomainError("No hay datos de prueba para este periodo.")

    register_export(ExportSpec(name="test_failing", label="Falla", permission="exports.download", build=build,
                               always_background=True))
    try:
        client = login_as("staff")
        token = start_background(client, "test_failing")
        payload = client.get(f"/exportaciones/trabajos/{token}/estado").get_json()
        assert payload["status"] == "failed"
        assert payload["error"] == "No hay datos de prueba para este periodo."
        assert payload["download_url"] is None
        page = client.get(f"/exportaciones/trabajos/{token}").get_data(as_text=True)
        assert "No hay datos de prueba para este periodo." in page
        download = client.get(f"/exportaciones/trabajos/{token}/descargar")
        assert download.status_code == 302  # back to the job page with a message, never a broken file
    finally:
        unregister_export("test_failing")


def test_an_unexpected_error_is_a_generic_message_and_leaves_no_partial_file(app, login_as, inline_exports):
    def build(req):
        def rows():
            yield ("una fila",)
            raise RuntimeError("boom")
        return [Table("T", [Column("a", "A")], rows())]

    register_export(ExportSpec(name="test_crash", label="Falla", permission="exports.download", build=build,
                               always_background=True))
    try:
        client = login_as("staff")
        token = start_background(client, "test_crash")
        payload = client.get(f"/exportaciones/trabajos/{token}/estado").get_json()
        assert payload["status"] == "failed"
        assert "Ocurrió un error al generar el archivo" in payload["error"]
        assert list(inline_exports.iterdir()) == []
    finally:
        unregister_export("test_crash")


def test_permission_is_checked_again_when_the_job_runs(app, login_as, background, monkeypatch, make_company):
    company_id = make_company()
    client = login_as("staff")
    monkeypatch.setitem(app.config, "EXPORT_QUEUE", "thread")  # create the job, run it later by hand
    from portfolio.exports import runners

    monkeypatch.setattr(runners, "submit", lambda job_id, app=None: None)
    token = start_background(client, "companies")
    with app.app_context():
        job = db.session.scalar(select(ExportJob).where(ExportJob.token == token))
        assert job.status == "queued"
        from portfolio.auth.models import User

        user = db.session.get(User, job.user_id)
        user.role = "company"
        user.company_id = company_id
        db.session.commit()
        from portfolio.exports.jobs import run_job

        assert run_job(job.id) == "failed"
        db.session.refresh(job)
        assert job.error == "Ya no tiene permiso para esta exportación."
        # running the same job again does nothing: each job runs once
        assert run_job(job.id) == "failed"


def test_a_job_whose_worker_died_is_reported_failed_after_the_timeout(app, login_as, background, monkeypatch):
    from portfolio.exports import runners

    monkeypatch.setattr(runners, "submit", lambda job_id, app=None: None)
    client = login_as("staff")
    token = start_background(client, "companies")
    assert client.get(f"/exportaciones/trabajos/{token}/estado").get_json()["status"] == "queued"
    with app.app_context():
        job = db.session.scalar(select(ExportJob).where(ExportJob.token == token))
        job.created_at = job.created_at - dt.timedelta(hours=3)
        db.session.commit()
    payload = client.get(f"/exportaciones/trabajos/{token}/estado").get_json()
    assert payload["status"] == "failed" and payload["error"] == STALE_FAILURE


def test_queue_down_is_shown_on_the_job_page(app, login_as, background, monkeypatch):
    monkeypatch.setitem(app.config, "EXPORT_QUEUE", "rq")
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")  # nothing listens there
    client = login_as("staff")
    token = start_background(client, "companies")
    payload = client.get(f"/exportaciones/trabajos/{token}/estado").get_json()
    assert payload["status"] == "failed"
    assert "cola de exportaciones no está disponible" in payload["error"]


def test_job_row_records_who_what_and_the_filters(app, login_as, background):
    client = login_as("auditor")
    token = start_background(client, "entities", "?nivel=regional&sort=level")
    with app.app_context():
        job = db.session.scalar(select(ExportJob).where(ExportJob.token == token))
        assert job.user_id == client.user["id"]
        assert job.export_name == "entities"
        assert json.loads(job.params) == {"nivel": "regional", "sort": "level"}
        assert job.status == "done" and job.size_bytes > 0 and job.finished_at is not None


def test_progress_written_while_rows_stream(app, login_as, inline_exports, monkeypatch):
    from portfolio.exports import jobs

    seen = []

    class Recording(jobs._Progress):
        def __call__(self, rows):
            seen.append(rows)

    monkeypatch.setattr(jobs, "_Progress", Recording)

    def build(req):
        return [Table("T", [Column("n", "N", "int", total=True)], ((i,) for i in range(2500)))]

    register_export(ExportSpec(name="test_progress", label="Progreso", permission="exports.download", build=build,
                               always_background=True))
    try:
        client = login_as("staff")
        token = start_background(client, "test_progress")
        assert client.get(f"/exportaciones/trabajos/{token}/estado").get_json()["progress"] == 2500
        assert seen == [1000, 2000, 2500]
    finally:
        unregister_export("test_progress")


def test_old_files_are_purged_and_the_job_says_so(app, login_as, background):
    from portfolio.exports.jobs import purge_files

    client = login_as("staff")
    token = start_background(client, "companies")
    assert list(background.iterdir())
    with app.app_context():
        assert purge_files(dt.timedelta(days=7)) == 0  # a fresh file stays
        job = db.session.scalar(select(ExportJob).where(ExportJob.token == token))
        job.finished_at = job.finished_at - dt.timedelta(days=8)
        assert purge_files(dt.timedelta(days=7)) == 1
        db.session.commit()
    assert list(background.iterdir()) == []
    response = client.get(f"/exportaciones/trabajos/{token}/descargar")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "ya no está disponible" in page


def test_an_auditor_asking_for_a_company_only_export_is_refused(app, login_as):
    def build(req):
        return [Table("T", [Column("a", "A")], [("x",)])]

    register_export(ExportSpec(name="test_company_only", label="Mis aportes", permission="trust.company",
                               build=build))
    try:
        assert login_as("auditor").post("/exportaciones/test_company_only").status_code == 403
        response = login_as("company").post("/exportaciones/test_company_only")
        assert response.status_code == 302 and "/exportaciones/trabajos/" in response.headers["Location"]
    finally:
        unregister_export("test_company_only")


def test_exports_purge_command(app, login_as, background):
    client = login_as("staff")
    start_background(client, "companies")
    assert len(list(background.iterdir())) == 1
    result = app.test_cli_runner().invoke(args=["exports", "purge", "--days", "0"])
    assert result.exit_code == 0, result.output
    assert "Archivos borrados: 1." in result.output
    assert list(background.iterdir()) == []
