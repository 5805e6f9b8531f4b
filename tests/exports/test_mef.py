"""The MEF workbook skeleton: filters validated with clear Spanish messages (never a 500, never a job),
Resumen with key figures and native charts, Notas, sections registered by other packages."""
from __future__ import annotations

import datetime as dt
import io
import zipfile
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portfolio import clock, db
from portfolio.exports import mef
from portfolio.exports.models import ExportJob
from portfolio.exports.registry import ExportInputError
from portfolio.exports.xlsx import Block, Column, Table
from tests.exports.conftest import read_xlsx

TODAY = dt.date(2026, 11, 28)


def job_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(ExportJob))


@pytest.mark.parametrize("args,field,message", [
    ({"corte": "2026-02-30"}, "corte", "no es una fecha válida"),
    ({"corte": "31/02/2026"}, "corte", "no es una fecha válida"),
    ({"corte": "mañana"}, "corte", "no es una fecha válida"),
    ({"corte": "2026-11-29"}, "corte", "no puede ser posterior a hoy"),
    ({"corte": "1999-12-31"}, "corte", "de 2008 en adelante"),
    ({"anio": "20x6"}, "anio", "número de cuatro cifras"),
    ({"anio": "2030"}, "anio", "entre 2008 y 2026"),
    ({"corte": "2025-06-30", "anio": "2026"}, "anio", "entre 2008 y 2025"),
    ({"trimestre": "2"}, "anio", "elija también el año"),
    ({"anio": "2026", "trimestre": "5"}, "trimestre", "1, 2, 3 o 4"),
    ({"corte": "2026-03-31", "anio": "2026", "trimestre": "3"}, "trimestre", "empieza después de la fecha de corte"),
    ({"nivel": "galáctico"}, "nivel", "Nivel de gobierno desconocido"),
    ({"region": "99"}, "region", "Región desconocida"),
    ({"region": "1"}, "region", "Región desconocida"),
    ({"entidad": "abc"}, "entidad", "no existe"),
    ({"entidad": "99999999"}, "entidad", "no existe"),
    ({"entidad": "999999999999999999999"}, "entidad", "no existe"),
])
def test_impossible_filters_are_refused_with_a_clear_message(ctx, args, field, message):
    with pytest.raises(ExportInputError) as raised:
        mef.parse_filters(args, today=TODAY)
    assert raised.value.field == field
    assert message in raised.value.message


def test_entity_must_match_the_level_and_region(ctx, make_entity):
    entity_id = make_entity(level="distrital", ubigeo="130101")
    with pytest.raises(ExportInputError, match="no pertenece al nivel"):
        mef.parse_filters({"entidad": str(entity_id), "nivel": "regional"}, today=TODAY)
    with pytest.raises(ExportInputError, match="no está en la región"):
        mef.parse_filters({"entidad": str(entity_id), "region": "15"}, today=TODAY)
    filters = mef.parse_filters({"entidad": str(entity_id), "nivel": "distrital", "region": "13"}, today=TODAY)
    assert filters.entity_id == entity_id


def test_valid_filters_define_the_period_up_to_the_cutoff(ctx):
    filters = mef.parse_filters({"corte": "15/08/2026", "anio": "2026", "trimestre": "3"}, today=TODAY)
    assert filters.cutoff == dt.date(2026, 8, 15)
    assert filters.period_start == dt.date(2026, 7, 1)
    assert filters.period_end == dt.date(2026, 8, 15)  # never after the cut-off
    full = mef.parse_filters({"corte": "2026-11-28", "anio": "2025", "trimestre": "4"}, today=TODAY)
    assert (full.period_start, full.period_end) == (dt.date(2025, 10, 1), dt.date(2025, 12, 31))
    assert mef.parse_filters({}, today=TODAY).cutoff == TODAY


def test_bad_filters_on_the_form_are_a_422_page_and_create_no_job(app, login_as, inline_exports):
    client = login_as("auditor")
    before = job_count(app)
    response = client.post("/exportaciones/libro-mef", {"corte": "2026-02-30"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "no es una fecha válida" in html and "is-invalid" in html
    response = client.post("/exportaciones/libro-mef", {"entidad": "123456789"})
    assert response.status_code == 422 and "La entidad pública elegida no existe." in response.get_data(as_text=True)
    assert job_count(app) == before


def test_mef_workbook_has_resumen_with_charts_and_notas(app, login_as, make_entity, make_company, inline_exports):
    make_company(sector="mineria")
    year = clock.today().year
    make_entity(name="Municipalidad Distrital de Prueba MEF", caps={year: Decimal("5000000.55"),
                                                                   year - 1: Decimal("4000000.40")})
    client = login_as("staff")
    response = client.post("/exportaciones/libro-mef", {"corte": clock.today().isoformat(), "nivel": "distrital"})
    assert response.status_code == 302
    token = response.headers["Location"].rsplit("/", 1)[1]
    data = client.get(f"/exportaciones/trabajos/{token}/descargar").data
    book = read_xlsx(data)
    assert book.sheetnames[0] == "Resumen" and book.sheetnames[-1] == "Notas"
    archive = zipfile.ZipFile(io.BytesIO(data))
    charts = b"".join(archive.read(n) for n in archive.namelist() if n.startswith("xl/charts/chart"))
    for title in ("Entidades por nivel de gobierno", "Empresas por sector"):  # other sections add their own
        assert title.encode() in charts
    resumen = book["Resumen"]
    cells = [[c.value for c in row] for row in resumen.iter_rows()]
    flat = [v for row in cells for v in row if v is not None]
    assert "Entidades públicas activas por nivel de gobierno" in flat
    level_row = next(row for row in cells if row[0] == "Municipalidad distrital")
    with app.app_context():
        from portfolio.orgs.models import EntityCap, PublicEntity

        expected = sum(db.session.scalars(select(EntityCap.amount).join(PublicEntity)
                                          .where(EntityCap.year == year, PublicEntity.level == "distrital")),
                       Decimal("0.00"))
    assert Decimal(repr(level_row[4])) == expected
    assert "Gobierno nacional" not in flat  # the level filter applies
    notes = {row[0].value: row[1].value for row in book["Notas"].iter_rows() if row[0].value}
    assert notes["Documento"] == "Libro MEF"
    assert notes["Filtro: Nivel de gobierno"] == "Municipalidad distrital"
    assert notes["Fecha de corte"].date() == clock.today()
    assert client.user["email"] in notes["Generado por"]


def test_mef_is_refused_to_company_and_admin(app, login_as):
    assert login_as("company").get("/exportaciones/libro-mef").status_code == 403
    assert login_as("admin").get("/exportaciones/libro-mef").status_code == 403
    assert login_as("company").post("/exportaciones/mef").status_code == 403


def test_sections_from_other_packages_add_resumen_blocks_and_sheets(app, login_as, inline_exports):
    def summary(ctx):
        return [(Block("Proyectos por etapa", [Column("stage", "Etapa"),
                                               Column("amount", "Monto", "money", total=True)],
                       [("Priorizado", Decimal("513000000.00"))]), [])]

    def sheets(ctx):
        return [Table("Sección de prueba", [Column("name", "Proyecto"), Column("cutoff", "Corte", "date")],
                      [("Penal de Trujillo", ctx.filters.cutoff)])]

    mef.register_mef_section("test_projects", 15, summary=summary, sheets=sheets)
    try:
        client = login_as("staff")
        token = client.post("/exportaciones/libro-mef", {}).headers["Location"].rsplit("/", 1)[1]
        book = read_xlsx(client.get(f"/exportaciones/trabajos/{token}/descargar").data)
        names = book.sheetnames
        assert names[0] == "Resumen" and names[-1] == "Notas"
        assert names.index("Sección de prueba") == names.index("Certificados") + 1  # after the order-10 section
        assert book["Sección de prueba"]["A2"].value == "Penal de Trujillo"
        flat = [c.value for row in book["Resumen"].iter_rows() for c in row]
        assert "Proyectos por etapa" in flat
    finally:
        mef._SECTIONS.pop("test_projects", None)
