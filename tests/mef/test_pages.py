"""MEF's figures on the pages: the staff project page shows typed vs MEF and the difference; the portal shows
execution by year, level and province, the project's execution by year with its CUI linked to MEF's public
consultation, the schematic map with its tables, and a searchable, filterable list whose CSV keeps the filters."""
from __future__ import annotations

import csv
import io
import re
from decimal import Decimal

from portfolio import db
from tests.imports.conftest import batch_id_from
from tests.mef.conftest import mef_csv, mef_row
from tests.mef.test_import import cui_of, upload


def imported(app, staff, rows):
    batch_id = batch_id_from(upload(staff, mef_csv(rows)))
    assert staff.post(f"/importar/lotes/{batch_id}/confirmar").status_code == 302


def test_staff_page_shows_typed_and_mef_figures_and_their_difference(app, login_as, make_project):
    from portfolio.projects import execution
    from portfolio.projects.models import Project
    from tests.support import STAFF_ACTOR

    staff = login_as("staff")
    project = make_project("en_ejecucion")
    with app.app_context():
        line = execution.add_budget_line(project=db.session.get(Project, project["id"]), category="obra",
                                         description=None, amount="900000.00", actor=STAFF_ACTOR)
        execution.record_budget_execution(line=line, accrued="300000.00", paid="200000.00", expected_version=None,
                                          actor=STAFF_ACTOR)
        db.session.commit()
    imported(app, staff, [mef_row(cui_of(app, project["id"]), 2026, 4, pim="900000", dev="280000", gir="200000")])
    page = staff.get(f"/proyectos/{project['id']}").get_data(as_text=True)
    table = re.search(r'id="mef-comparacion".*?</table>', page, re.S).group(0)
    assert "S/\u00a0300,000.00" in table and "S/\u00a0280,000.00" in table
    assert re.search(r'data-diff="devengado">S/\u00a020,000.00<', table)
    assert re.search(r'data-diff="girado">S/\u00a00.00<', table)
    assert "difieren de las de MEF" in page and "2026-Gasto.csv, filas 2–2" in page


def test_portal_execution_project_page_and_csv(app, client, login_as, make_project):
    staff = login_as("staff")
    a = make_project("en_ejecucion", locations="130101")
    b = make_project("en_ejecucion", locations="130901")
    cui_a, cui_b = cui_of(app, a["id"]), cui_of(app, b["id"])
    imported(app, staff, [mef_row(cui_a, 2025, 12, pim="1000", dev="500", gir="400"),
                          mef_row(cui_a, 2026, 1, pim="2000", dev="100", gir="50"),
                          mef_row(cui_b, 2026, 1, pim="3000", dev="1500", gir="1500")])
    page = client.get("/transparencia/ejecucion?anio=2026").get_data(as_text=True)
    by_year = re.search(r'id="pub-ejecucion-provincia".*?</table>', page, re.S).group(0)
    assert "Trujillo" in by_year and "Sánchez Carrión" in by_year and "50.0 %" in by_year
    rows = list(csv.reader(io.StringIO(client.get("/transparencia/datos/ejecucion.csv?por=anio").get_data(as_text=True))))
    years = {r[0]: r for r in rows[1:]}
    assert years["2025"][3:6] == ["1000.00", "500.00", "400.00"]
    assert years["2026"][2:6] == ["2", "5000.00", "1600.00", "1550.00"]
    project_page = client.get(f"/transparencia/proyectos/{a['id']}").get_data(as_text=True)
    assert f"codigo={cui_a}" in project_page and "Ejecución presupuestal por año (MEF)" in project_page
    execution = re.search(r'id="pub-ejecucion".*?</table>', project_page, re.S).group(0)
    assert "2025" in execution and "S/\u00a0100.00" in execution
    listing = client.get("/transparencia/proyectos?q=" + cui_a).get_data(as_text=True)
    assert "S/\u00a0600.00" in re.search(r'id="pub-lista".*?</table>', listing, re.S).group(0)
    mapa = client.get("/transparencia/mapa").get_data(as_text=True)
    assert re.search(r'Sánchez Carrión</a></td><td class="money">1</td><td class="money">[^<]+</td>'
                     r'<td class="money">S/\u00a01,500.00</td>', mapa)
    listed = list(csv.reader(io.StringIO(client.get(f"/transparencia/datos/proyectos.csv?q={cui_a}").get_data(as_text=True))))
    assert len(listed) == 2 and listed[1][1] == cui_a and listed[1][9:11] == ["600.00", "450.00"]
    assert Decimal(listed[1][9]) == Decimal("600.00")


def test_search_filters_map_and_district(app, client, make_project):
    a = make_project(locations="130101", name="Comisaría de Trujillo Norte")
    make_project(locations="130901", name="Puesto de vigilancia Huamachuco")
    for query in ("comisaría+trujillo", "COMISARIA+trujillo", "comisaria+inpe"):  # accents, case, entity's short name
        page = client.get(f"/transparencia/proyectos?q={query}").get_data(as_text=True)
        table = re.search(r'id="pub-lista".*?</table>', page, re.S).group(0)
        assert "Comisaría de Trujillo Norte" in table and "Huamachuco" not in table, query
    page = client.get("/transparencia/proyectos?provincia=1309&nivel=nacional").get_data(as_text=True)
    table = re.search(r'id="pub-lista".*?</table>', page, re.S).group(0)
    assert "Huamachuco" in table and "Trujillo Norte" not in table
    assert 'href="/transparencia/datos/proyectos.csv?' in page
    page = client.get("/transparencia/proyectos?q=%25&provincia=xx&etapa=nada").get_data(as_text=True)
    assert "No hay proyectos con ese filtro." in page  # «%» is searched literally; bad filters are ignored
    mapa = client.get("/transparencia/mapa").get_data(as_text=True)
    assert mapa.count('class="map-tile') == 12 and 'data-provincia="1309"' in mapa
    assert "Multidepartamental" in mapa and "Víctor Larco" not in mapa
    assert re.search(r'href="/transparencia/proyectos\?distrito=130101"', mapa)
    page = client.get("/transparencia/proyectos?distrito=130101").get_data(as_text=True)
    assert "Comisaría de Trujillo Norte" in page and "Huamachuco" not in re.search(
        r'id="pub-lista".*?</table>', page, re.S).group(0)
    assert client.get(f"/transparencia/proyectos/{a['id']}/ejecucion.csv").status_code == 200
    assert client.get("/transparencia/datos/mapa.csv").status_code == 200
