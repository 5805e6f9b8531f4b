"""The open-data CSVs never hand a spreadsheet a live formula: a text cell starting with = + - @, a tab or a
carriage return is written with a leading apostrophe, as the xlsx exports quote it; numbers stay numbers."""
from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from sqlalchemy import select

from portfolio import db
from portfolio.auth.policy import SYSTEM
from portfolio.exports.csvfile import csv_cell, csv_text
from portfolio.exports.xlsx.spec import DANGEROUS_PREFIXES
from portfolio.orgs.models import PublicEntity
from tests.support import STAFF_ACTOR

HOSTILE = ['=HYPERLINK("http://x","x")', "+SUM(1,2)", "-2+3+cmd|' /C calc'!A0", "@SUM(A1)", "\tTabulado",
           "\rRetorno"]
STORED = HOSTILE[:4]  # the services strip leading tabs and carriage returns from names; csv_cell covers them


def read(response) -> list[dict[str, str]]:
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"), newline="")))


def assert_neutral(text: str, original: str) -> None:
    assert text == "'" + original, (text, original)


@pytest.mark.parametrize("text", HOSTILE)
def test_csv_cell_quotes_every_dangerous_text(text):
    assert text.startswith(DANGEROUS_PREFIXES)  # the one rule the xlsx builder applies
    assert csv_cell(text) == "'" + text


def test_csv_cell_keeps_numbers_dates_and_harmless_text():
    assert csv_cell(Decimal("-1500.50")) == Decimal("-1500.50")
    assert csv_cell(-3) == -3
    assert csv_cell(dt.date(2026, 3, 31)) == "2026-03-31"
    assert csv_cell(None) == ""
    assert csv_cell("Penal de Trujillo – ampliación") == "Penal de Trujillo – ampliación"
    rows = list(csv.reader(io.StringIO(csv_text(["a", "b"], [[Decimal("-2.50"), "-2.50"]]).lstrip("\ufeff"))))
    assert rows[1] == ["-2.50", "'-2.50"]  # the number stays a number, the text that looks like one is quoted


def test_projects_csv_neutralises_hostile_project_and_entity_names(app, client, ctx):
    from portfolio.orgs import services as orgs
    from portfolio.projects import services as projects

    entity = db.session.scalar(select(PublicEntity).order_by(PublicEntity.id).limit(1))
    orgs.update_entity(entity=entity, data={"name": HOSTILE[1], "level": entity.level, "kind": entity.kind,
                                "ubigeo": entity.ubigeo, "short_name": entity.short_name, "ruc": entity.ruc,
                                "active": True}, expected_version=entity.version, actor=SYSTEM)
    for name in STORED:
        projects.create_project(data={"name": name, "entity_id": entity.id, "sector": "orden_publico", "mechanism": "oxi",
                                 "reference_amount": Decimal("1000.00"), "locations": "130101"}, actor=STAFF_ACTOR)
    db.session.commit()
    rows = read(client.get("/transparencia/datos/proyectos.csv"))
    ours = [r for r in rows if r["proyecto"][1:] in STORED]
    assert len(ours) == len(STORED)
    for row in ours:
        assert_neutral(row["proyecto"], row["proyecto"][1:])
        assert_neutral(row["entidad"], HOSTILE[1])
        assert Decimal(row["monto_vigente_soles"]) >= 0  # numeric columns are bare numbers
    for row in rows:
        for value in row.values():
            assert not value.startswith(DANGEROUS_PREFIXES) or _is_number(value), row


def _is_number(text: str) -> bool:
    try:
        Decimal(text)
    except ArithmeticError:
        return False
    return True


def test_indicators_csv_neutralises_text_and_keeps_negative_values_as_numbers(app, client, ctx):
    from portfolio.indicators import services

    entity_id = db.session.scalar(select(PublicEntity.id).where(PublicEntity.short_name == "GRLL"))
    indicator = services.create_indicator(code="T-CSV-1", name=HOSTILE[0], unit="@unidad", direction="higher",
                                          level="regional", owner_type="entity", owner_id=entity_id,
                                          baseline_value="-4.5", baseline_year=2024, actor=STAFF_ACTOR)
    services.record_measurement(indicator=indicator, year=2025, quarter=4, value="-3.25", source="=FUENTE()",
                                measured_on=dt.date(2026, 1, 10), today=dt.date(2026, 2, 1), actor=STAFF_ACTOR)
    db.session.commit()
    rows = read(client.get("/transparencia/datos/indicadores.csv?anio=2025&trimestre=4"))
    row = next(r for r in rows if r["codigo"] == "T-CSV-1")
    assert_neutral(row["indicador"], HOSTILE[0])
    assert_neutral(row["unidad"], "@unidad")
    assert_neutral(row["fuente"], "=FUENTE()")
    assert row["valor"] == "-3.25" and row["linea_base"] == "-4.5"  # negative figures stay numbers
