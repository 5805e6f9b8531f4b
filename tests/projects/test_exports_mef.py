"""The projects section of the MEF workbook, read back with openpyxl and checked against the database to the
cent: Resumen blocks and chart, Proyectos, Presupuesto, Variaciones, Hitos, Certificados; filters (entity,
level, region with multidepartmental projects left out, year/quarter, cut-off); inert names; a flat number
of statements whatever the number of projects; LibreOffice recalculates Presupuesto to the database."""
from __future__ import annotations

import datetime as dt
import io
import zipfile
from decimal import Decimal

import openpyxl
import pytest
from sqlalchemy import event, func, select

from portfolio import db
from portfolio.db import utcnow
from portfolio.exports.registry import ExportRequest, Viewer, get_export
from portfolio.exports.xlsx import build_workbook
from portfolio.projects import certificates, execution, stages
from portfolio.projects.models import (
    VARIATION_KINDS,
    BudgetLine,
    BudgetRevision,
    Certificate,
    CertificateHolding,
    Milestone,
    Project,
    Variation,
)
from tests.exports.conftest import data_rows, header
from tests.exports.test_libreoffice import amount, recalculated, without_cached_results
from tests.support import STAFF_ACTOR

from .conftest import INPE, MPT, D

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def build(args: dict | None = None) -> bytes:
    spec = get_export("mef")
    viewer = Viewer(user_id=0, email="auditora@prueba.pe", name="Auditora MEF", role="auditor")
    req = ExportRequest(spec=spec, viewer=viewer, params=spec.parse(args or {}, viewer), generated_at=utcnow())
    return build_workbook(spec.build(req))


def book(data: bytes, values: bool = False) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data), data_only=values)


def money(value) -> Decimal:
    return ZERO if value is None else Decimal(repr(value)).quantize(CENT)


def column(ws, name: str) -> list:
    index = header(ws).index(name)
    return [row[index] for row in data_rows(ws) if not str(row[0]).startswith("No hay registros")]


def column_sum(ws, name: str) -> Decimal:
    return sum((money(v) for v in column(ws, name)), ZERO)


def total_cell(ws, name: str):
    """The totals row's cell of a column: (formula, cached value)."""
    index = header(ws).index(name) + 1
    return ws.cell(row=ws.max_row, column=index)


def db_sum(query) -> Decimal:
    return sum((v or ZERO for v in db.session.scalars(query)), ZERO)


def notes(wb) -> dict:
    return {r[0].value: r[1].value for r in wb["Notas"].iter_rows() if r[0].value}


def full_project(oxi, *, name=None, entity=INPE, locations="130102", shares=("60", "40"), companies=None, **kw):
    """A project in execution with budget, an accepted valorización, adendas and certificates (one annulled)."""
    project = oxi.project("en_ejecucion", entity=entity, locations=locations, shares=shares, companies=companies,
                          prioritized_on=D(2026, 1, 15), term_days=180, **({"name": name} if name else {}), **kw)
    milestone = oxi.milestone(project)  # S/ 500,000.00 planned 01/04/2026, conformity 06/04/2026
    line = execution.add_budget_line(project=project, category="obra", description="Obra civil", amount="800000.10", actor=STAFF_ACTOR)
    execution.revise_budget_line(line=line, amount="850000.25", reason="Mayor metrado", actor=STAFF_ACTOR)
    execution.record_budget_execution(line=line, accrued="400000.33", paid="300000.11", expected_version=None, actor=STAFF_ACTOR)
    execution.add_budget_line(project=project, category="supervision", description=None, amount="50000.05", actor=STAFF_ACTOR)
    execution.add_variation(project=project, kind="monto", amount_delta="120000.45", days_delta=None,
                            approved_on=D(2026, 6, 1), legal_reference="Adenda 1", actor=STAFF_ACTOR)
    execution.add_variation(project=project, kind="plazo", amount_delta=None, days_delta=30, approved_on=D(2026, 6, 2),
                            legal_reference="Adenda 2", actor=STAFF_ACTOR)
    number = f"{project.id}"
    certificates.add_certificate(project=project, number=f"A-{number}", amount="300000.00", issue_date=D(2026, 5, 10),
                                 milestone_id=milestone.id, actor=STAFF_ACTOR)
    certificates.add_certificate(project=project, number=f"B-{number}", amount="100000.01", issue_date=D(2026, 7, 15),
                                 milestone_id=milestone.id, actor=STAFF_ACTOR)
    void, _ = certificates.add_certificate(project=project, number=f"C-{number}", amount="50000.00",
                                           issue_date=D(2026, 7, 20), milestone_id=milestone.id, actor=STAFF_ACTOR)
    certificates.change_status(certificate=void, target="anulado", expected_version=None, actor=STAFF_ACTOR)
    return project


@pytest.fixture
def portfolio_data(oxi):
    oxi.cap(MPT, 2026, "50000000.00")
    local = full_project(oxi, name="Comisaría de El Porvenir", entity=MPT)
    multi = oxi.project("priorizado", name="Sistema de inspección multidepartamental", multidepartmental=True,
                        locations="", reference_amount="71000000.00", prioritized_on=D(2025, 12, 1))
    lima = oxi.project("convenio_suscrito", name="Equipamiento policial Lima", locations="150101",
                       prioritized_on=D(2026, 2, 1))
    db.session.flush()
    return {"local": local, "multi": multi, "lima": lima}


def test_every_projects_sheet_equals_the_database_to_the_cent(ctx, portfolio_data):
    data = build()
    wb, cached = book(data), book(data, values=True)
    assert wb.sheetnames[:6] == ["Resumen", "Proyectos", "Presupuesto", "Variaciones", "Hitos", "Certificados"]
    assert wb.sheetnames[-1] == "Notas"

    ws = wb["Proyectos"]
    projects = db.session.scalars(select(Project)).all()
    assert len(column(ws, "Proyecto")) == len(projects)
    assert column_sum(ws, "Monto referencial") == sum((p.reference_amount or ZERO for p in projects), ZERO)
    awarded = sum((p.awarded_amount or ZERO for p in projects), ZERO)
    variations = db_sum(select(Variation.amount_delta))
    assert column_sum(ws, "Monto adjudicado (convenio original)") == awarded
    assert column_sum(ws, "Variaciones aprobadas") == variations
    assert money(total_cell(cached["Proyectos"], "Convenio vigente").value) == awarded + variations
    live = db_sum(select(Certificate.amount).where(Certificate.status.in_(("solicitado", "emitido"))))
    assert column_sum(ws, "Certificados a la fecha") == live == Decimal("400000.01")
    assert total_cell(ws, "Convenio vigente").value.startswith("=SUBTOTAL(109,")
    # one row's details: consortium, dates as date cells, progress as fractions shown 0.0 %
    names = column(ws, "Proyecto")
    row = names.index("Comisaría de El Porvenir") + 2
    cells = {h: ws.cell(row=row, column=i + 1) for i, h in enumerate(header(ws))}
    assert cells["Etapa a la fecha"].value == stages.label("en_ejecucion")
    assert "(60.00 %)" in cells["Empresas financistas (participación)"].value
    assert cells["Fecha de convenio"].is_date and cells["Fecha de convenio"].number_format == "dd/mm/yyyy"
    assert cells["Avance físico real"].value == pytest.approx(0.45)
    assert cells["Avance físico real"].number_format == "0.0%"
    assert cells["Avance financiero real"].value == pytest.approx(float(Decimal("500000") / Decimal("1120000.45")),
                                                                  abs=1e-4)
    assert cells["Convenio vigente"].value == f"=L{row}+M{row}"
    assert cells["Plazo (días, con ampliaciones)"].value == 210  # 180 + the 30-day adenda

    ws = wb["Presupuesto"]
    first = select(BudgetRevision.amount).where(BudgetRevision.number == 1)
    last_number = (select(func.max(BudgetRevision.number)).where(BudgetRevision.line_id == BudgetLine.id)
                   .correlate(BudgetLine).scalar_subquery())
    latest = (select(BudgetRevision.amount).join(BudgetLine, BudgetLine.id == BudgetRevision.line_id)
              .where(BudgetRevision.number == last_number))
    assert column_sum(ws, "Presupuesto original") == db_sum(first)
    assert column_sum(ws, "Presupuesto revisado") == db_sum(latest)
    assert column_sum(ws, "Devengado") == db_sum(select(BudgetLine.accrued))
    assert column_sum(ws, "Girado") == db_sum(select(BudgetLine.paid))
    assert money(total_cell(cached["Presupuesto"], "Modificación (revisado − original)").value) == \
        db_sum(latest) - db_sum(first)
    assert total_cell(ws, "Modificación (revisado − original)").value.startswith("=SUBTOTAL(")
    assert ws.cell(row=2, column=header(ws).index("Modificación (revisado − original)") + 1).value == "=G2-F2"

    ws = wb["Variaciones"]
    assert column_sum(ws, "Monto (S/)") == variations
    assert sum(v or 0 for v in column(ws, "Días de ampliación")) == sum(db.session.scalars(select(Variation.days_delta)))

    ws = wb["Hitos"]
    assert column_sum(ws, "Monto valorizado") == db_sum(select(Milestone.amount))
    assert len(column(ws, "Tipo de hito")) == db.session.scalar(select(func.count(Milestone.id)))

    ws = wb["Certificados"]
    assert column_sum(ws, "Monto del titular (vigente)") == live
    assert column_sum(ws, "Monto del titular (anulado)") == db_sum(select(Certificate.amount)
                                                                    .where(Certificate.status == "anulado"))
    assert len(column(ws, "Número")) == db.session.scalar(select(func.count(CertificateHolding.id)))
    holders = column(ws, "Participación")
    assert sorted({round(v, 4) for v in holders if v is not None}) == [0.4, 0.6]


def resumen_block(ws, title: str) -> tuple[list, list[tuple], tuple]:
    rows = [tuple(c.value for c in r) for r in ws.iter_rows()]
    start = next(i for i, r in enumerate(rows) if r[0] == title)
    heads = rows[start + 1]
    body = []
    for r in rows[start + 2:]:
        if r[0] in ("Total", None):
            return list(heads), body, r
        body.append(r)
    return list(heads), body, ()


def test_resumen_blocks_and_chart_match_the_database(ctx, portfolio_data):
    data = build()
    wb = book(data, values=True)
    heads, rows, total = resumen_block(wb["Resumen"], "Proyectos y montos por etapa")
    projects = db.session.scalars(select(Project)).all()
    assert total[1] == len(projects)
    assert money(total[2]) == sum((p.current_amount for p in projects), ZERO)
    by_label = {r[0]: r for r in rows}
    assert by_label[stages.label("en_ejecucion")][1] == sum(1 for p in projects if p.stage == "en_ejecucion")
    charts = [n for n in zipfile.ZipFile(io.BytesIO(data)).namelist() if n.startswith("xl/charts/chart")]
    titles = b"".join(zipfile.ZipFile(io.BytesIO(data)).read(n) for n in charts)
    assert b"Cartera por etapa" in titles

    heads, rows, total = resumen_block(wb["Resumen"], "Por entidad y nivel de gobierno")
    mpt = next(r for r in rows if r[0] == MPT)
    assert mpt[3] == 1 and money(mpt[5]) == Decimal("1120000.45") and money(mpt[6]) == Decimal("400000.01")

    heads, rows, total = resumen_block(wb["Resumen"], "Certificados emitidos vs topes CIPRL")
    cap = next(r for r in rows if r[0] == MPT and r[1] == 2026)
    assert [money(v) for v in cap[2:]] == [Decimal("50000000.00"), Decimal("1120000.45"), Decimal("400000.01"),
                                           ZERO, Decimal("48879999.55")]
    formulas = book(data)["Resumen"]
    row = next(r for r in formulas.iter_rows() if r[0].value == MPT and r[1].value == 2026)
    assert row[6].value == f"=C{row[6].row}-D{row[6].row}-F{row[6].row}"  # saldo = tope − comprometido − anteriores


def test_filtered_workbook_holds_only_matching_rows(ctx, portfolio_data):
    entity = portfolio_data["local"].entity
    wb = book(build({"entidad": str(entity.id)}))
    assert column(wb["Proyectos"], "Proyecto") == ["Comisaría de El Porvenir"]
    assert set(column(wb["Certificados"], "Entidad")) == {MPT}
    assert set(column(wb["Presupuesto"], "Entidad")) == {MPT}

    wb = book(build({"nivel": "nacional"}))
    assert MPT not in column(wb["Proyectos"], "Entidad")
    assert "Equipamiento policial Lima" in column(wb["Proyectos"], "Proyecto")

    wb = book(build({"region": "13"}))
    names = column(wb["Proyectos"], "Proyecto")
    assert "Comisaría de El Porvenir" in names
    assert "Equipamiento policial Lima" not in names
    assert "Sistema de inspección multidepartamental" not in names  # belongs to no single region
    assert set(column(wb["Proyectos"], "Región")) == {"La Libertad"}
    multi = db.session.scalar(select(func.count(Project.id)).where(Project.multidepartmental.is_(True)))
    assert f"({multi} proyecto(s) excluido(s))" in notes(wb)["Proyectos multidepartamentales"]
    wb = book(build())
    assert "Multidepartamental" in column(wb["Proyectos"], "Región")


def test_a_national_entity_can_be_asked_for_its_projects_in_one_region(ctx, portfolio_data):
    inpe = portfolio_data["lima"].entity
    assert inpe.name == INPE and inpe.ubigeo is None
    wb = book(build({"entidad": str(inpe.id), "region": "15"}))
    assert column(wb["Proyectos"], "Proyecto") == ["Equipamiento policial Lima"]
    assert set(column(wb["Proyectos"], "Entidad")) == {INPE}


def test_cutoff_excludes_what_came_later(ctx, portfolio_data):
    later = portfolio_data["lima"]
    wb = book(build({"corte": "2026-05-31"}))
    names = column(wb["Proyectos"], "Proyecto")
    assert "Comisaría de El Porvenir" in names and "Sistema de inspección multidepartamental" in names
    assert later.name in names  # prioritised on 01/02/2026
    unprioritised = db.session.scalars(select(Project.name).where(Project.prioritized_on.is_(None))).all()
    assert not set(unprioritised) & set(names)  # registered today, after the cut-off
    ws = wb["Proyectos"]
    row = names.index("Comisaría de El Porvenir") + 2
    cells = {h: ws.cell(row=row, column=i + 1).value for i, h in enumerate(header(ws))}
    assert money(cells["Variaciones aprobadas"]) == ZERO  # the adenda of 01/06/2026 came later
    assert cells["Plazo (días, con ampliaciones)"] == 180  # so did the 30-day plazo adenda of 02/06/2026
    assert cells["Fecha de convenio"] is not None and cells["Fecha de culminación"] is None
    assert cells["Certificados a la fecha"] == 300000  # the July certificates came later
    assert cells["Etapa a la fecha"] == stages.label("priorizado")  # its stage history was recorded later
    assert column(wb["Variaciones"], "Proyecto") == []
    assert set(column(wb["Certificados"], "Fecha de emisión")) == {dt.datetime(2026, 5, 10)}
    assert column_sum(wb["Certificados"], "Monto del titular (vigente)") == Decimal("300000.00")
    assert column(wb["Presupuesto"], "Partida") == []  # budget revisions were recorded today


def test_a_quarter_lists_only_what_is_dated_inside_it(ctx, portfolio_data):
    wb = book(build({"anio": "2026", "trimestre": "2"}))
    assert sorted(column(wb["Variaciones"], "Tipo")) == sorted([VARIATION_KINDS["monto"], VARIATION_KINDS["plazo"]])
    assert column_sum(wb["Certificados"], "Monto del titular (vigente)") == Decimal("300000.00")
    ws = wb["Proyectos"]
    names = column(ws, "Proyecto")
    row = names.index("Comisaría de El Porvenir") + 2
    cells = {h: ws.cell(row=row, column=i + 1).value for i, h in enumerate(header(ws))}
    assert cells["Certificados del periodo"] == 300000
    assert money(cells["Variaciones aprobadas"]) == Decimal("120000.45")


def test_project_and_company_names_that_look_like_formulas_stay_text(ctx, oxi, make_company):
    oxi.cap(MPT, 2026, "50000000.00")
    company = make_company(legal_name="@SUM(A1)")
    full_project(oxi, name='=HYPERLINK("x")', entity=MPT, shares=("100",), companies=[company])
    db.session.flush()
    data = build()
    wb = book(data)
    for sheet, heading, text in (("Proyectos", "Proyecto", '=HYPERLINK("x")'),
                                 ("Presupuesto", "Proyecto", '=HYPERLINK("x")'),
                                 ("Certificados", "Titular (empresa)", "@SUM(A1)"),
                                 ("Proyectos", "Empresas financistas (participación)", "@SUM(A1) (100.00 %)")):
        ws = wb[sheet]
        index = header(ws).index(heading) + 1
        cells = [ws.cell(row=r, column=index) for r in range(2, ws.max_row + 1)
                 if ws.cell(row=r, column=index).value == text]
        assert cells, (sheet, heading)
        assert all(c.data_type == "s" and c.quotePrefix for c in cells)


def test_statements_do_not_grow_with_the_number_of_projects(app, ctx, oxi, make_company):
    oxi.cap(MPT, 2026, "900000000.00")
    companies = [make_company() for _ in range(2)]

    def add(n):
        for _ in range(n):
            full_project(oxi, entity=MPT, companies=companies)
        db.session.flush()

    def statements() -> int:
        engine = db.session.get_bind()
        seen = []

        def count(*args):
            seen.append(1)

        event.listen(engine, "before_cursor_execute", count)
        try:
            build()
        finally:
            event.remove(engine, "before_cursor_execute", count)
        return len(seen)

    add(10)
    with_10 = statements()
    add(190)
    with_200 = statements()
    assert with_10 == with_200, (with_10, with_200)


def test_libreoffice_recalculates_presupuesto_to_the_database(ctx, portfolio_data, tmp_path):
    data = without_cached_results(build())
    sheet = recalculated(data, tmp_path)["Presupuesto"]
    heads = sheet[0]
    total = sheet[-1]
    assert total[0] == "Total"
    first = select(BudgetRevision.amount).where(BudgetRevision.number == 1)
    last_number = (select(func.max(BudgetRevision.number)).where(BudgetRevision.line_id == BudgetLine.id)
                   .correlate(BudgetLine).scalar_subquery())
    latest = (select(BudgetRevision.amount).join(BudgetLine, BudgetLine.id == BudgetRevision.line_id)
              .where(BudgetRevision.number == last_number))
    original, revised = db_sum(first), db_sum(latest)
    accrued, paid = db_sum(select(BudgetLine.accrued)), db_sum(select(BudgetLine.paid))
    expected = {"Presupuesto original": original, "Presupuesto revisado": revised,
                "Modificación (revisado − original)": revised - original, "Devengado": accrued, "Girado": paid,
                "Saldo por devengar (revisado − devengado)": revised - accrued,
                "Devengado por girar (devengado − girado)": accrued - paid}
    for name, value in expected.items():
        assert amount(total[heads.index(name)]) == value, name
    change, to_accrue = heads.index("Modificación (revisado − original)"), heads.index(
        "Saldo por devengar (revisado − devengado)")
    lines = [line for line in sheet[1:-1] if line[heads.index("Descripción")] == "Obra civil"]
    assert lines and all(amount(line[change]) == Decimal("50000.15") for line in lines)
    assert all(amount(line[to_accrue]) == Decimal("449999.92") for line in lines)
