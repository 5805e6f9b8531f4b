"""The projects file of the bulk ZIP carries MEF's execution next to the typed one: MEF's figures are loaded
through the real import (stage and apply, on top of the demo's own MEF file), read back from the ZIP and checked to the cent against
``mef.queries``; projects MEF never named have those columns empty."""
from __future__ import annotations

import io
from decimal import Decimal

from sqlalchemy import select

from portfolio import db
from portfolio.auth.models import User
from portfolio.imports import services as imports
from portfolio.mef import queries as mef
from portfolio.projects.models import Project
from portfolio.public import dictionary
from tests.mef.conftest import mef_csv, mef_row
from tests.public.test_open_data import money, read_zip

CUI_A, CUI_B = "2512345", "2598765"  # two demo projects (portfolio/projects/seeds.py)


def import_mef(rows) -> None:
    staff = db.session.scalar(select(User).where(User.email == "staff@demo.pe"))
    staged = imports.stage_stream(kind=imports.get_kind("mef-ejecucion"), stream=io.BytesIO(mef_csv(rows)),
                                  filename="2026-Gasto.csv", actor=staff)
    assert not staged.errors and staged.batch is not None
    db.session.commit()
    imports.apply(batch_id=staged.batch.id, actor=staff)
    db.session.commit()


def test_the_projects_file_has_typed_and_mef_execution_to_the_cent(client, demo, app):
    with app.app_context():
        import_mef([mef_row(CUI_A, 2025, 12, pim="800000", dev="612345.67", gir="500000.01"),
                    mef_row(CUI_A, 2026, 3, pim="900000", dev="100000.10", gir="90000.09"),
                    mef_row(CUI_A, 2026, 4, dev="0.33", gir="0.01"),
                    mef_row(CUI_B, 2026, 2, pim="300000", dev="12345.68", gir="2345.68"),
                    mef_row("9999999", 2026, 2, dev="1000")])  # not in the portfolio: ignored
        ids = {p.cui: p.id for p in db.session.scalars(select(Project).where(Project.cui.in_([CUI_A, CUI_B])))}
        expected = {pid: mef.execution_by_year(pid) for pid in ids.values()}
        sums = mef.latest_by_project(ids.values())
    tables, headers, readme = read_zip(client)
    assert headers["proyectos.csv"] == dictionary.PROJECTS.header
    for name in ("devengado_mef", "girado_mef", "mef_anios", "mef_mes_corte", "diferencia_devengado"):
        assert name in dictionary.PROJECTS.header and f"  {name} (" in readme
    rows = {int(r["proyecto_id"]): r for r in tables["proyectos.csv"]}
    a, b = rows[ids[CUI_A]], rows[ids[CUI_B]]
    assert Decimal(a["devengado_mef"]) == Decimal("712346.10") == sum(y.devengado for y in expected[ids[CUI_A]])
    assert Decimal(a["girado_mef"]) == Decimal("590000.11") == sum(y.girado for y in expected[ids[CUI_A]])
    assert a["mef_anios"] == "2025 | 2026" and a["mef_mes_corte"] == "4"
    assert (Decimal(b["devengado_mef"]), Decimal(b["girado_mef"])) == sums[ids[CUI_B]] == (
        Decimal("12345.68"), Decimal("2345.68"))
    assert b["mef_anios"] == "2026" and b["mef_mes_corte"] == "2"
    with app.app_context():
        for pid, row in ((ids[CUI_A], a), (ids[CUI_B], b)):
            c = mef.comparison(pid)
            assert money(row["devengado"]) == c.typed_accrued and money(row["girado"]) == c.typed_paid
            assert Decimal(row["diferencia_devengado"]) == c.accrued_difference
    with app.app_context():
        everything = mef.latest_by_project(rows)
    assert {pid for pid, r in rows.items() if r["mef_anios"]} == set(everything)
    others = [r for pid, r in rows.items() if pid not in everything]
    assert others and all(r["devengado_mef"] == r["girado_mef"] == r["mef_anios"] == r["mef_mes_corte"] ==
                          r["diferencia_devengado"] == "" for r in others)
    assert sum(money(r["devengado_mef"]) for r in rows.values()) == sum(d for d, _g in everything.values())
    assert sum(money(r["girado_mef"]) for r in rows.values()) == sum(g for _d, g in everything.values())
