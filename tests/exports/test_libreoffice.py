"""LibreOffice recalculates our workbooks to the same totals as the database, to the cent.

soffice runs headless with a private profile whose registrymodifications.xcu sets OOXMLRecalcMode to 0
(always recalculate): otherwise LibreOffice would show the cached results xlsxwriter stored, and we would
be checking our own numbers. A control test proves the recalculation happens, and the other tests also
zero every cached formula result before LibreOffice opens the file. With CI set, a missing soffice fails.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import random
import re
import shutil
import subprocess
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
import xlsxwriter
from sqlalchemy import select

from portfolio import db
from portfolio.exports.xlsx import Column, Table, build_workbook
from tests.exports.conftest import require

CSV_FILTER = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1"  # all sheets, raw values
RECALC_ALWAYS = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" \
xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse">\
<value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode" oor:op="fuse">\
<value>0</value></prop></item>
</oor:items>
"""
CENT = Decimal("0.01")


def soffice() -> str:
    path = shutil.which("soffice") or shutil.which("libreoffice")
    require(None if path else "LibreOffice (soffice) no está instalado: apt-get install libreoffice-calc")
    return path


def recalculated(data: bytes, tmp_path: Path) -> dict[str, list[list[str]]]:
    """Open ``data`` in LibreOffice (recalculating every formula) and return each sheet as CSV rows."""
    profile = tmp_path / "lo-profile"
    (profile / "user").mkdir(parents=True, exist_ok=True)
    (profile / "user" / "registrymodifications.xcu").write_text(RECALC_ALWAYS, encoding="utf-8")
    source = tmp_path / "libro.xlsx"
    source.write_bytes(data)
    out = tmp_path / "csv"
    subprocess.run([soffice(), f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
                    "--convert-to", CSV_FILTER, "--outdir", str(out), str(source)],
                   check=True, capture_output=True, timeout=180)
    sheets = {}
    for path in out.glob("libro-*.csv"):
        with path.open(encoding="utf-8", newline="") as fh:
            sheets[path.stem[len("libro-"):]] = list(csv.reader(fh))
    assert sheets, "LibreOffice wrote no CSV"
    return sheets


def without_cached_results(data: bytes) -> bytes:
    """Zero every formula's cached value, so only LibreOffice's own arithmetic can produce the totals."""
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename.startswith("xl/worksheets/sheet"):
                content = re.sub(rb"(<f>[^<]*</f>)<v>[^<]*</v>", rb"\1<v>0</v>", content)
            target.writestr(item, content)
    return buffer.getvalue()


def amount(text: str) -> Decimal:
    value = Decimal(text)
    assert abs(value - value.quantize(CENT)) < Decimal("0.0001"), text  # floating noise only, far below a cent
    return value.quantize(CENT)


def test_control_libreoffice_recalculates_instead_of_showing_cached_results(tmp_path):
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer)
    sheet = book.add_worksheet("Control")
    sheet.write_number(0, 0, 40)
    sheet.write_formula(0, 1, "=A1+2", None, 999)  # a deliberately wrong cached result
    book.close()
    sheets = recalculated(buffer.getvalue(), tmp_path)
    assert sheets["Control"][0] == ["40", "42"]


def test_subtotals_and_variances_recalculate_to_the_exact_sums(tmp_path):
    rng = random.Random(20261128)
    rows = []
    for i in range(3000):
        original = Decimal(rng.randrange(0, 50_000_000_000)) / 100  # up to S/ 500 million, any cents
        revised = original + Decimal(rng.randrange(-1_000_000, 1_000_000)) / 100
        rows.append((f"Partida {i}", dt.date(2026, 1 + i % 12, 1 + i % 28), original, revised, revised - original))
    columns = [Column("line", "Partida"), Column("date", "Fecha", "date"),
               Column("original", "Original", "money", total=True), Column("revised", "Revisado", "money", total=True),
               Column("variance", "Variación", "money", total=True, formula="{revised}-{original}")]
    data = without_cached_results(build_workbook([Table("Presupuesto", columns, rows)]))
    sheet = recalculated(data, tmp_path)["Presupuesto"]
    assert sheet[0] == ["Partida", "Fecha", "Original", "Revisado", "Variación"]
    total = sheet[-1]
    assert total[0] == "Total"
    assert amount(total[2]) == sum(r[2] for r in rows)
    assert amount(total[3]) == sum(r[3] for r in rows)
    assert amount(total[4]) == sum(r[4] for r in rows)
    for line, expected in zip(sheet[1:-1], rows, strict=True):
        assert amount(line[4]) == expected[4]


def test_entities_export_recalculates_to_the_database_caps(app, login_as, make_entity, tmp_path):
    from portfolio import clock
    from portfolio.orgs.models import EntityCap, PublicEntity

    year = clock.today().year
    for i in range(12):
        make_entity(caps={year: Decimal(f"{1_000_003 * (i + 1)}.{(i * 7) % 100:02d}"),
                          year - 1: Decimal(f"{999_999 * i}.{(i * 13) % 100:02d}")})
    client = login_as("auditor")
    response = client.post("/exportaciones/entities?nivel=distrital")
    assert response.status_code == 200
    sheet = recalculated(without_cached_results(response.data), tmp_path)["Entidades"]
    heads = sheet[0]
    cap, prev, change = (heads.index(f"Tope CIPRL {year}"), heads.index(f"Tope CIPRL {year - 1}"),
                         heads.index(f"Variación {year} vs {year - 1}"))
    with app.app_context():
        def db_sum(y):
            return sum(db.session.scalars(select(EntityCap.amount).join(PublicEntity)
                                          .where(EntityCap.year == y, PublicEntity.level == "distrital")),
                       Decimal("0.00"))
        expected_cap, expected_prev = db_sum(year), db_sum(year - 1)
    total = sheet[-1]
    assert total[0] == "Total"
    assert amount(total[cap]) == expected_cap
    assert amount(total[prev]) == expected_prev
    assert amount(total[change]) == expected_cap - expected_prev


@pytest.mark.parametrize("name", ['=HYPERLINK("http://ejemplo.invalid","x")', "=1+1", "@SUM(A1)"])
def test_libreoffice_keeps_formula_looking_names_as_text(tmp_path, name):
    data = build_workbook([Table("Empresas", [Column("name", "Razón social")], [(name,)])])
    assert recalculated(data, tmp_path)["Empresas"][1] == [name]
