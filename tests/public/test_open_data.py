"""The bulk open data read back: the ZIP holds one CSV per table of the data dictionary with exactly the
dictionary's columns, its figures tie to the portal's pages and queries to the cent, it carries the licence,
and nothing private is in it. The dictionary page describes every column."""
from __future__ import annotations

import csv
import io
import zipfile
from collections import defaultdict
from decimal import Decimal

from sqlalchemy import select

from portfolio import db
from portfolio.indicators.models import STATUSES
from portfolio.money import format_money
from portfolio.projects.models import BudgetLine, Milestone, Project
from portfolio.projects.vocab import Stage
from portfolio.public import dictionary, opendata
from tests.public.conftest import forbidden_strings

ZIP = "/transparencia/datos/datos-abiertos.zip"
ZERO = Decimal("0.00")


def read_zip(client) -> tuple[dict[str, list[dict[str, str]]], dict[str, list[str]], str]:
    response = client.get(ZIP)
    assert response.status_code == 200 and response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    tables, headers = {}, {}
    for table in dictionary.TABLES:
        text = archive.read(table.filename).decode("utf-8")
        assert text.startswith("\ufeff")  # Excel reads the accents
        reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""))
        headers[table.filename] = next(reader)
        tables[table.filename] = [dict(zip(headers[table.filename], row, strict=True)) for row in reader]
    assert sorted(archive.namelist()) == sorted(["LEEME.txt", *(t.filename for t in dictionary.TABLES)])
    return tables, headers, archive.read("LEEME.txt").decode("utf-8")


def money(text: str) -> Decimal:
    return Decimal(text) if text else ZERO


def test_every_file_has_exactly_the_dictionary_columns(client, demo):
    tables, headers, readme = read_zip(client)
    for table in dictionary.TABLES:
        assert headers[table.filename] == table.header, table.filename
        assert len(set(table.header)) == len(table.header)
        assert all(c.description for c in table.columns)
    assert dictionary.LICENSE_URL in readme and "CC BY 4.0" in readme
    assert all(tables[name] for name in ("proyectos.csv", "hitos.csv", "certificados.csv",
                                         "desembolsos_fideicomiso.csv", "indicadores.csv", "financistas.csv"))


def test_project_figures_tie_to_the_portal_to_the_cent(client, demo, app):
    tables, _headers, _readme = read_zip(client)
    projects = tables["proyectos.csv"]
    html = client.get("/transparencia/proyectos").get_data(as_text=True)
    live = [r for r in projects if r["etapa"] != Stage.CANCELADO]
    total = sum((money(r["monto_vigente"] or r["monto_referencial"]) for r in live), ZERO)
    assert f'id="pub-monto">{format_money(total)}<' in html  # the portal's headline figure
    from portfolio.projects.queries import project_page
    from portfolio.public.queries import public_project

    with app.app_context():
        db_projects = {p.id: p for p in db.session.scalars(select(Project))}
        assert {int(r["proyecto_id"]) for r in projects} == set(db_projects)
        for row in projects:
            project = db_projects[int(row["proyecto_id"])]
            page = project_page(project)
            assert money(row["devengado"]) == page.budget_totals()["accrued"]
            assert money(row["girado"]) == page.budget_totals()["paid"]
            assert money(row["certificados_emitidos"]) == public_project(project.id).certified
            assert money(row["monto_referencial"]) == (project.reference_amount or ZERO)
            if project.awarded_amount is not None:
                assert money(row["monto_vigente"]) == project.current_amount
                assert money(row["monto_adjudicado"]) == project.awarded_amount
            else:
                assert row["monto_vigente"] == ""
            assert row["rucs_financistas"].split(" | ") == ([m.company.ruc for m in project.members]
                                                            if project.members else [""])
            assert row["ubigeos"].split(" | ") == ([loc.ubigeo for loc in project.locations]
                                                   if project.locations else [""])
        accrued = db.session.scalars(select(BudgetLine.accrued)).all()
        assert sum((money(r["devengado"]) for r in projects), ZERO) == sum(accrued, ZERO)
        assert opendata.execution_by_project().keys() <= set(db_projects)
        milestones = db.session.query(Milestone).count()
    assert len(tables["hitos.csv"]) == milestones
    certificates = defaultdict(lambda: ZERO)
    for row in tables["certificados.csv"]:
        certificates[row["proyecto_id"]] += money(row["monto"])
    for row in projects:
        assert certificates[row["proyecto_id"]] == money(row["certificados_emitidos"])
    funders = defaultdict(list)
    for row in tables["financistas.csv"]:
        funders[row["proyecto_id"]].append(row)
    for row in projects:
        rows = funders.get(row["proyecto_id"], [])
        if rows:
            assert sum(Decimal(f["participacion_pct"]) for f in rows) == 100
            if row["monto_vigente"]:
                assert sum(money(f["monto_participacion"]) for f in rows) == money(row["monto_vigente"])
            assert [f["ruc"] for f in rows] == row["rucs_financistas"].split(" | ")


def test_trust_disbursements_tie_to_the_quarterly_statement(client, demo, app):
    tables, _headers, _readme = read_zip(client)
    by_quarter = defaultdict(lambda: ZERO)
    for row in tables["desembolsos_fideicomiso.csv"]:
        by_quarter[(int(row["anio"]), int(row["trimestre"]))] += money(row["monto_pagado"])
    assert by_quarter
    from portfolio.dashboards.queries.trust import quarter_statement

    for (year, quarter), amount in by_quarter.items():
        html = client.get(f"/transparencia/fideicomiso?anio={year}&trimestre={quarter}").get_data(as_text=True)
        assert f'id="pub-desembolsado">{format_money(amount)}<' in html, (year, quarter)
        with app.app_context():
            statement = quarter_statement(year, quarter, min_companies=1)
        assert statement["disbursed"] == amount
        assert {(r[0], r[1], r[2]) for r in statement["disbursements"]} == {
            (r["programa"], r["organizacion_beneficiaria"], r["ruc_beneficiaria"])
            for r in tables["desembolsos_fideicomiso.csv"] if (int(r["anio"]), int(r["trimestre"])) == (year, quarter)}


def test_indicators_carry_spanish_status_labels(client, demo, app):
    tables, _headers, _readme = read_zip(client)
    rows = tables["indicadores.csv"]
    assert rows and {r["estado"] for r in rows} <= set(STATUSES.values())
    from portfolio.indicators import services as indicators

    year, quarter = int(rows[-1]["anio"]), int(rows[-1]["trimestre"])
    with app.app_context():
        report = [r for r in indicators.quarter_report(year, quarter, public_only=True) if r.value is not None]
    ours = [r for r in rows if (int(r["anio"]), int(r["trimestre"])) == (year, quarter)]
    assert [(r["codigo"], r["estado"]) for r in ours] == [(r.indicator.code, STATUSES[r.status]) for r in report]


def test_dictionary_page_describes_every_column_and_the_licence(client, demo):
    response = client.get("/transparencia/datos/diccionario")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for table in dictionary.TABLES:
        assert table.filename in html
        for column in table.columns:
            assert f"<code>{column.name}</code>" in html, column.name
    assert dictionary.LICENSE_URL in html and 'id="licencia"' in html
    page = client.get("/transparencia/datos").get_data(as_text=True)
    for url in (ZIP, "/transparencia/datos/oc4ids.json", "/transparencia/datos/diccionario"):
        assert url in page


def test_zip_holds_nothing_private(client, demo, app):
    from tests.public.test_portal import appears, private_database_strings

    archive = zipfile.ZipFile(io.BytesIO(client.get(ZIP).data))
    text = "\n".join(archive.read(name).decode("utf-8") for name in archive.namelist())
    for private in [*forbidden_strings(), *private_database_strings(app)]:
        assert not appears(private, text), private


def test_statements_do_not_grow_with_the_number_of_projects(client, demo, app):
    """The package and the ZIP are built in a fixed number of statements, however many projects there are."""
    from portfolio.auth.policy import SYSTEM
    from portfolio.orgs.models import PublicEntity
    from portfolio.projects import services
    from tests.support import count_statements

    def counts() -> tuple[int, int]:
        with count_statements(app) as package:
            assert client.get("/transparencia/datos/oc4ids.json").status_code == 200
        with count_statements(app) as archive:
            assert client.get(ZIP).status_code == 200
        return len(package), len(archive)

    before = counts()
    with app.app_context():
        entity = db.session.scalars(select(PublicEntity)).first()
        for n in range(25):
            services.create_project(data={"name": f"Proyecto adicional {n}", "entity_id": entity.id,
                                          "sector": "orden_publico", "reference_amount": "1000.00",
                                          "locations": "130101"}, actor=SYSTEM)
        db.session.commit()
    assert counts() == before
