"""Public transparency portal (``/transparencia``): anyone may read, nobody may write.

Rules of the portal:
- every route is ``@public`` and GET-only; pages use their own layout (no user menu, no CSRF token, no
  cookie is set), so a shared cache may keep them: ``Cache-Control: public, max-age=300``;
- only aggregated or explicitly public facts: never a company's payroll or individual contribution,
  never internal notes, user names or e-mails; non-public or unknown ids answer 404.
"""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, Response, render_template, request

from portfolio import charts, clock
from portfolio.auth.policy import public
from portfolio.documents import panels as document_panels
from portfolio.exports.csvfile import csv_response
from portfolio.indicators import services as indicators
from portfolio.indicators.models import LEVELS, QUARTERS, STATUSES
from portfolio.money import CENT, format_money
from portfolio.projects import stages
from portfolio.public import queries

bp = Blueprint("public", __name__, url_prefix="/transparencia")

CACHE_SECONDS = 300
MENU = [("public.home", "Inicio"), ("public.projects", "Proyectos"), ("public.indicators_page", "Indicadores"),
        ("public.trust_statement", "Fideicomiso"), ("public.open_data", "Datos abiertos")]


@bp.context_processor
def _menu():
    return {"public_menu": MENU}


@bp.after_request
def _cache(response: Response) -> Response:
    if response.status_code < 400 and "Set-Cookie" not in response.headers:
        response.headers["Cache-Control"] = f"public, max-age={CACHE_SECONDS}"
    else:
        response.headers["Cache-Control"] = "no-store"
    return response


def _period() -> tuple[int, int]:
    year, quarter = indicators.latest_quarter()
    try:
        y = int(request.args.get("anio", year))
        q = int(request.args.get("trimestre", quarter))
    except ValueError:
        return year, quarter
    return (y, q) if 1990 <= y <= 2100 and q in QUARTERS else (year, quarter)


@bp.route("/")
@public
def home():
    year, quarter = indicators.latest_quarter()
    rows = indicators.quarter_report(year, quarter, public_only=True)
    overview = queries.overview()
    return render_template("public/home.html", year=year, quarter=quarter, quarters=QUARTERS, statuses=STATUSES,
                           counts=indicators.status_counts(rows), overview=overview)


@bp.route("/indicadores")
@public
def indicators_page():
    year, quarter = _period()
    level = request.args.get("nivel") if request.args.get("nivel") in LEVELS else None
    rows = indicators.quarter_report(year, quarter, public_only=True, level=level)
    return render_template("public/indicators.html", rows=rows, year=year, quarter=quarter, level=level,
                           levels=LEVELS, quarters=QUARTERS, statuses=STATUSES, counts=indicators.status_counts(rows))


@bp.route("/indicadores/<int:indicator_id>")
@public
def indicator(indicator_id: int):
    item = indicators.get_indicator(indicator_id, public_only=True)
    labels, values, targets = indicators.series(item)
    chart = charts.line_chart(f"{item.name} ({item.unit})", labels, [("Meta", targets), ("Valor medido", values)],
                              fmt=charts.plain, y_max=None, chart_id="serie") if labels else None
    names = indicators.owner_names([item])
    return render_template("public/indicator.html", indicator=item, chart=chart, history=indicators.history(item),
                           owner_name=names.get((item.owner_type, item.owner_id), "—"))


@bp.route("/datos/indicadores.csv")
@public
def indicators_csv():
    year, quarter = _period()
    rows = indicators.quarter_report(year, quarter, public_only=True)
    header = ["codigo", "indicador", "unidad", "sentido", "nivel", "responsable", "anio", "trimestre", "linea_base",
              "anio_linea_base", "meta_anual", "valor", "version", "estado", "fuente", "fecha_medicion"]
    # Figures go in as numbers (a negative value stays a number); every text cell is neutralised by csv_cell.
    return csv_response(f"indicadores-{year}-T{quarter}.csv", header, (
        [r.indicator.code, r.indicator.name, r.indicator.unit, r.indicator.direction_label, r.indicator.level_label,
         r.owner_name, year, quarter, r.indicator.baseline_value, r.indicator.baseline_year, r.target, r.value,
         r.version, STATUSES[r.status], r.source, r.measured_on] for r in rows))


@bp.route("/proyectos")
@public
def projects():
    province = request.args.get("provincia") or None
    stage = request.args.get("etapa") or None
    overview = queries.overview()
    page = queries.project_page(province=province, stage=stage)
    return render_template("public/projects.html", page=page, overview=overview, province=province, stage=stage,
                           stages=stages.STAGES)


@bp.route("/proyectos/<int:project_id>")
@public
def project(project_id: int):
    page = queries.public_project(project_id)
    chart = None
    if page.milestones:
        chart = charts.time_chart(
            "Avance físico: programado vs. real (%)",
            [charts.TimeSeries("Programado", [(m[1], m[4]) for m in page.milestones if m[4] is not None],
                               dash="7 4", marker="none"),
             charts.TimeSeries("Real", [(m[2], m[5]) for m in page.milestones if m[2] and m[5] is not None])],
            today=clock.today(), chart_id="curva-s", description="Avance físico acumulado por hito, por fecha")
    return render_template("public/project.html", page=page, p=page.project, chart=chart, stage_label=stages.label,
                           public_docs=document_panels.public_list(page.project.id))


@bp.route("/proyectos/<int:project_id>.json")
@public
def project_json(project_id: int):
    page = queries.public_project(project_id)
    text = queries.oc4ids(page, base_url=request.url_root, published=clock.utcnow())
    return Response(text, mimetype="application/json",
                    headers={"Content-Disposition": f"inline; filename=proyecto-{project_id}-oc4ids.json"})


@bp.route("/datos")
@public
def open_data():
    year, quarter = indicators.latest_quarter()
    return render_template("public/open_data.html", year=year, quarter=quarter)


@bp.route("/datos/proyectos.csv")
@public
def projects_csv():
    header = ["id", "cui", "proyecto", "entidad", "nivel_gobierno", "etapa", "monto_vigente_soles",
              "avance_fisico_real_pct", "multidepartamental"]
    return csv_response("proyectos-oxi.csv", header, (
        [r.id, r.cui, r.name, r.entity, r.level, r.stage, r.amount.quantize(CENT),
         None if r.progress is None else r.progress.quantize(CENT), "si" if r.multidepartmental else "no"]
        for r in queries.project_rows()))


@bp.route("/fideicomiso")
@public
def trust_statement():
    from portfolio.dashboards.queries import trust as trust_data
    from portfolio.rules import rule_value

    today = clock.today()
    default = (today.year, (today.month - 1) // 3 + 1)  # the quarter in progress, to date
    try:
        year = int(request.args.get("anio", default[0]))
        quarter = int(request.args.get("trimestre", default[1]))
    except ValueError:
        year, quarter = default
    if not (2000 <= year <= today.year and quarter in QUARTERS) or dt.date(year, quarter * 3 - 2, 1) > today:
        year, quarter = default
    statement = trust_data.quarter_statement(year, quarter, min_companies=int(rule_value("public.min_companies")))
    chart = charts.bar_chart(f"Desembolsos pagados por programa · {QUARTERS[quarter]} {year}",
                             statement["by_program"], fmt=format_money, chart_id="desembolsos-programa", width=640,
                             value_label="Pagado")
    programs = trust_data.program_rows(year)
    return render_template("public/trust.html", s=statement, year=year, quarter=quarter, quarters=QUARTERS,
                           chart=chart, programs=programs, today=today)
