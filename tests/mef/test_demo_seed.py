"""The demo's MEF file (seeds/demo_mef_ejecucion.csv, MEF's real column layout) goes through the real MEF
import: its figures are the file's sums to the cent, CUIs outside the portfolio and activities are skipped, a
second seed adds no version, and the portal and the staff project page show MEF's figures and the difference."""
from __future__ import annotations

import csv
import datetime as dt
import re
from collections import defaultdict
from decimal import Decimal

from sqlalchemy import func, select

from portfolio import clock, db, seeding
from portfolio.imports.models import ImportBatch
from portfolio.mef import queries
from portfolio.mef.models import MefExecution
from portfolio.mef.seeds import DEMO_FILE
from portfolio.projects.models import Project

SEED_INSTANT = dt.datetime(2026, 12, 2, 4, 30, tzinfo=dt.UTC)  # as tests/test_demo_chronology.py
VIDEOVIGILANCIA = "2512345"


def file_sums() -> dict[tuple[str, int], tuple[Decimal, Decimal]]:
    """Σ devengado and girado of the projects' rows (TIPO_ACT_PROY 2) by CUI and year, read here independently."""
    sums: dict[tuple[str, int], list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    with open(seeding.SEEDS / DEMO_FILE, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert 200 <= len(rows) <= 1000 and "ESPECIFICA_DET_NOMBRE" in rows[0]  # MEF's own layout, a few hundred rows
    for r in rows:
        if r["TIPO_ACT_PROY"] == "2":
            acc = sums[(r["PRODUCTO_PROYECTO"], int(r["ANO_EJE"]))]
            acc[0] += Decimal(r["MONTO_DEVENGADO"])
            acc[1] += Decimal(r["MONTO_GIRADO"])
    return {k: (v[0], v[1]) for k, v in sums.items()}


def seed() -> dict[str, int]:
    with clock.frozen(SEED_INSTANT):
        seeding.load_reference()
        report = seeding.load_demo()
        db.session.commit()
    return report


def counts() -> tuple[int, int]:
    return (db.session.scalar(select(func.count()).select_from(MefExecution)),
            db.session.scalar(select(func.count()).select_from(ImportBatch).where(ImportBatch.kind == "mef-ejecucion")))


def test_the_demo_mef_file_is_imported_once_with_the_files_sums(app, ctx):
    report = seed()
    cuis = {p.cui: p for p in db.session.scalars(select(Project).where(Project.cui.is_not(None)))}
    sums = file_sums()
    known = {key: value for key, value in sums.items() if key[0] in cuis}
    unknown = {key for key in sums if key[0] not in cuis}
    assert len({cui for cui, _y in known}) >= 3 and len({cui for cui, _y in unknown}) >= 3
    assert report["años de ejecución MEF demo"] == len(known)
    for (cui, year), (dev, gir) in known.items():
        [row] = [y for y in queries.execution_by_year(cuis[cui].id) if y.year == year]
        assert (row.devengado, row.girado, row.version) == (dev, gir, 1), (cui, year)
        assert row.source_file == DEMO_FILE and row.through_month >= 1
    assert not db.session.scalar(select(func.count()).select_from(MefExecution)
                                 .where(MefExecution.cui.in_([c for c, _y in unknown])))
    assert all(p.is_demo for p in cuis.values())  # only demo projects carry CUIs; the 7 reference ones do not
    comparison = queries.comparison(cuis[VIDEOVIGILANCIA].id)
    assert comparison.differs and comparison.accrued_difference == Decimal("650000.00")

    before = counts()
    again = seed()
    assert again["años de ejecución MEF demo"] == 0 and counts() == before


def test_the_portal_and_the_staff_page_show_the_demo_mef_figures(app, client, login_as, isolated):
    with app.app_context():
        seed()
        project_id = db.session.scalar(select(Project.id).where(Project.cui == VIDEOVIGILANCIA))
        dev, _gir = file_sums()[(VIDEOVIGILANCIA, 2026)]
    shown = f"S/\u00a0{dev:,.2f}"
    execution = client.get("/transparencia/ejecucion").get_data(as_text=True)
    assert "2026" in execution and "Trujillo" in execution
    assert shown in client.get(f"/transparencia/proyectos/{project_id}").get_data(as_text=True)
    page = login_as("staff").get(f"/proyectos/{project_id}").get_data(as_text=True)
    table = re.search(r'id="mef-comparacion".*?</table>', page, re.S).group(0)
    assert shown in table and re.search(r'data-diff="devengado">S/\u00a0650,000.00<', table)
    assert "difieren de las de MEF" in page
