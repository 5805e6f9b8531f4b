"""MEF's execution import end to end: preview (nothing written), apply once with provenance, a new version only
when MEF's figures change, unknown CUIs listed, bad files refused in Spanish, the history guarded, the CLI."""
from __future__ import annotations

import io
from decimal import Decimal

import pytest
from sqlalchemy import select, text

from portfolio import db
from tests.imports.conftest import batch_id_from, error_rows
from tests.mef.conftest import mef_csv, mef_row


def upload(client, data: bytes, name="2026-Gasto.csv"):
    return client.post("/importar/mef-ejecucion/", {"file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def versions(app, project_id):
    from portfolio.mef.models import MefExecution

    with app.app_context():
        return [(r.year, r.version, r.pim, r.devengado, r.girado, r.first_row, r.last_row, r.source_file)
                for r in db.session.scalars(select(MefExecution).where(MefExecution.project_id == project_id)
                                            .order_by(MefExecution.year, MefExecution.version))]


def cui_of(app, project_id):
    from portfolio.projects.models import Project

    with app.app_context():
        return db.session.get(Project, project_id).cui


def test_preview_apply_and_a_new_version_only_when_figures_change(app, login_as, make_project):
    staff = login_as("staff")
    project = make_project("en_ejecucion")
    cui = cui_of(app, project["id"])
    first = mef_csv([mef_row(cui, 2025, 12, pim="500000", dev="400000", gir="300000"),
                     mef_row(cui, 2026, 1, pia="900000", pim="1000000", dev="100000.50", gir="90000"),
                     mef_row(cui, 2026, 2, pia="900000", pim="1000000", dev="50000", gir="60000"),
                     mef_row("7654321", 2026, 2, dev="123.45", executor="OTRA EJECUTORA")])
    batch_id = batch_id_from(upload(staff, first))
    page = staff.get(f"/importar/lotes/{batch_id}").get_data(as_text=True)
    assert 'data-count="crear">2<' in page and 'data-count="informativo">1<' in page
    assert "CUI 7654321 · 2026 · OTRA EJECUTORA" in page and "Leídas 4 filas" in page
    assert versions(app, project["id"]) == []  # the preview writes nothing
    assert staff.post(f"/importar/lotes/{batch_id}/confirmar").status_code == 302
    assert versions(app, project["id"]) == [
        (2025, 1, Decimal("500000.00"), Decimal("400000.00"), Decimal("300000.00"), 2, 2, "2026-Gasto.csv"),
        (2026, 1, Decimal("1000000.00"), Decimal("150000.50"), Decimal("150000.00"), 3, 4, "2026-Gasto.csv")]
    # the same file again: recognised, nothing applied twice
    again = upload(staff, first)
    assert again.status_code == 200 and "ya fue importado" in again.get_data(as_text=True)
    # a later file: only 2026 changed → version 2 of 2026; 2025 stays version 1
    later = mef_csv([mef_row(cui, 2025, 12, pim="500000", dev="400000", gir="300000"),
                     mef_row(cui, 2026, 3, pia="900000", pim="1200000", dev="250000", gir="200000")])
    batch_id = batch_id_from(upload(staff, later, "2026-Gasto-marzo.csv"))
    page = staff.get(f"/importar/lotes/{batch_id}").get_data(as_text=True)
    assert 'data-count="cambiar">1<' in page and 'data-count="sin_cambios">1<' in page
    assert staff.post(f"/importar/lotes/{batch_id}/confirmar").status_code == 302
    rows = versions(app, project["id"])
    assert [(y, v) for y, v, *_ in rows] == [(2025, 1), (2026, 1), (2026, 2)]
    from portfolio.mef.queries import execution_by_year

    with app.app_context():
        current = execution_by_year(project["id"])
    assert [(e.year, e.version, e.devengado, e.avance) for e in current] == [
        (2025, 1, Decimal("400000.00"), Decimal("80.0")), (2026, 2, Decimal("250000.00"), Decimal("20.8"))]
    assert current[1].source_file == "2026-Gasto-marzo.csv" and current[1].batch_id == batch_id


def test_bad_files_change_nothing_and_speak_spanish(app, login_as, make_project):
    staff = login_as("staff")
    project = make_project()
    cui = cui_of(app, project["id"])
    response = upload(staff, mef_csv([mef_row(cui, dev="1"), mef_row(cui, dev="12.345")]))
    assert response.status_code == 422
    assert error_rows(response.get_data(as_text=True))[0][:2] == ("3", "MONTO_DEVENGADO")
    response = upload(staff, b"\x00\x01\x02PK garbage")
    assert response.status_code == 422 and "contiene bytes nulos" in response.get_data(as_text=True)
    response = upload(staff, mef_csv([mef_row(cui, year=2099, dev="1")]))
    assert response.status_code == 422 and "El año 2099 es futuro." in response.get_data(as_text=True)
    assert versions(app, project["id"]) == []


@pytest.mark.parametrize("role", ["company", "trustee", "auditor"])
def test_only_staff_may_import_mef_figures(login_as, role):
    client = login_as(role)
    assert client.get("/importar/mef-ejecucion/").status_code in (403, 404)


def test_history_rows_cannot_be_changed(app, isolated, make_project, login_as):
    staff = login_as("staff")
    project = make_project()
    batch_id = batch_id_from(upload(staff, mef_csv([mef_row(cui_of(app, project["id"]), dev="10")])))
    assert staff.post(f"/importar/lotes/{batch_id}/confirmar").status_code == 302
    with app.app_context(), pytest.raises(Exception, match="solo inserción"):
        db.session.execute(text("UPDATE mef_executions SET devengado = 0"))
        db.session.flush()


def test_cli_previews_then_applies(app, isolated, make_project, make_user, tmp_path):
    user = make_user("staff")
    project = make_project()
    path = tmp_path / "gasto.csv"
    path.write_bytes(mef_csv([mef_row(cui_of(app, project["id"]), pim="10", dev="7.5", gir="5")], delimiter=";",
                             encoding="latin-1"))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["mef", "importar", str(path), "--usuario", user["email"]])
    assert result.exit_code == 0, result.output
    assert "Años nuevos: 1" in result.output and "no se aplicó nada" in result.output
    assert versions(app, project["id"]) == []
    result = runner.invoke(args=["mef", "importar", str(path), "--usuario", user["email"], "--aplicar"])
    assert result.exit_code == 0, result.output
    assert [r[3] for r in versions(app, project["id"])] == [Decimal("7.50")]
    bad = tmp_path / "malo.csv"
    bad.write_bytes(b"ANO_EJE;MONTO_GIRADO\n2026;1\n")
    result = runner.invoke(args=["mef", "importar", str(bad), "--usuario", user["email"]])
    assert result.exit_code == 1 and "Faltan columnas obligatorias" in result.output


def test_a_file_larger_than_the_general_upload_limit_is_streamed(app, login_as, make_project):
    staff = login_as("staff")
    project = make_project()
    cui = cui_of(app, project["id"])
    rows = [mef_row(cui, month=n % 12 + 1, dev="1.00", gir="0.50") for n in range(12)]
    rows += [mef_row(f"{5_000_000 + n % 5000:07d}", month=n % 12 + 1, dev="3.00") for n in range(90_000)]
    data = mef_csv(rows)
    assert len(data) > app.config["MAX_CONTENT_LENGTH"]
    batch_id = batch_id_from(upload(staff, data))
    page = staff.get(f"/importar/lotes/{batch_id}").get_data(as_text=True)
    assert "Leídas 90,012 filas" in page and "CUI que no están en la cartera: 5,000" in page
    assert staff.post(f"/importar/lotes/{batch_id}/confirmar").status_code == 302
    assert [(r[3], r[4]) for r in versions(app, project["id"])] == [(Decimal("12.00"), Decimal("6.00"))]


def test_a_cui_removed_after_the_preview_stops_the_apply(app, login_as, make_project):
    from portfolio.projects.models import Project

    staff = login_as("staff")
    project = make_project()
    batch_id = batch_id_from(upload(staff, mef_csv([mef_row(cui_of(app, project["id"]), dev="10")])))
    with app.app_context():
        db.session.get(Project, project["id"]).cui = None
        db.session.commit()
    response = staff.post(f"/importar/lotes/{batch_id}/confirmar", follow_redirects=True)
    assert "Los datos cambiaron desde la vista previa; no se aplicó nada." in response.get_data(as_text=True)
    assert versions(app, project["id"]) == []


def test_the_spreadsheet_path_refuses_the_streamed_kind(app, ctx, make_user):
    from portfolio.auth.models import User
    from portfolio.domain_errors import NotFound
    from portfolio.imports import services

    user = db.session.get(User, make_user("staff")["id"])
    with pytest.raises(NotFound):
        services.stage(kind=services.get_kind("mef-ejecucion"), data=mef_csv([mef_row("2456789")]),
                       filename="x.csv", actor=user)
    with pytest.raises(NotFound):
        services.stage_stream(kind=services.get_kind("proyectos"), stream=io.BytesIO(b""), filename="x.csv",
                              actor=user)
