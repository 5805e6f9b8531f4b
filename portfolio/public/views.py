"""Public transparency portal (``/transparencia``): anyone may read, nobody may write.

Rules of the portal:
- every route is ``@public`` and GET-only; pages use their own layout (no user menu, no CSRF token, no
  cookie is set), so a shared cache may keep them: ``Cache-Control: public, max-age=300``;
- every page is ``@cached_page`` (``portfolio/page_cache.py``): served from the page cache until the data
  changes, with ``ETag``/``Last-Modified`` and ``304`` on conditional requests (new portal pages too), except
  the OC4IDS documents, which stamp their publication time and answer conditional requests themselves;
- only aggregated or explicitly public facts: never a company's payroll or individual contribution,
  never internal notes, user names or e-mails; non-public or unknown ids answer 404.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from flask import Blueprint, Response, current_app, render_template, request, url_for
from werkzeug.http import is_resource_modified

from portfolio import charts, clock
from portfolio.auth.policy import public
from portfolio.documents import panels as document_panels
from portfolio.domain_errors import NotFound
from portfolio.exports.csvfile import csv_response
from portfolio.indicators import services as indicators
from portfolio.indicators.models import LEVELS, QUARTERS, STATUSES
from portfolio.mef import queries as mef_queries
from portfolio.money import CENT, format_money
from portfolio.orgs.models import LEVELS as GOVERNMENT_LEVELS
from portfolio.page_cache import cached_page
from portfolio.projects import stages
from portfolio.public import dictionary, geo, oc4ids, opendata, queries

bp = Blueprint("public", __name__, url_prefix="/transparencia")

CACHE_SECONDS = 300
MENU = [("public.home", "Inicio"), ("public.projects", "Proyectos"), ("public.map_page", "Mapa"),
        ("public.execution", "Ejecución"), ("public.indicators_page", "Indicadores"),
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
@cached_page
def home():
    year, quarter = indicators.latest_quarter()
    rows = indicators.quarter_report(year, quarter, public_only=True)
    overview = queries.overview()
    return render_template("public/home.html", year=year, quarter=quarter, quarters=QUARTERS, statuses=STATUSES,
                           counts=indicators.status_counts(rows), overview=overview)


@bp.route("/indicadores")
@public
@cached_page
def indicators_page():
    year, quarter = _period()
    level = request.args.get("nivel") if request.args.get("nivel") in LEVELS else None
    rows = indicators.quarter_report(year, quarter, public_only=True, level=level)
    return render_template("public/indicators.html", rows=rows, year=year, quarter=quarter, level=level,
                           levels=LEVELS, quarters=QUARTERS, statuses=STATUSES, counts=indicators.status_counts(rows))


@bp.route("/indicadores/<int:indicator_id>")
@public
@cached_page
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
@cached_page
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
@cached_page
def projects():
    filters = queries.Filters.parse(request.args)
    overview = queries.overview()
    page = queries.project_page(filters=filters)
    return render_template("public/projects.html", page=page, overview=overview, filters=filters,
                           spent=mef_queries.latest_by_project(r.id for r in page.items),
                           province=filters.province, stage=filters.stage, stages=stages.STAGES,
                           provinces=geo.provinces(), levels=GOVERNMENT_LEVELS, multi=queries.MULTI)


@bp.route("/proyectos/<int:project_id>")
@public
@cached_page
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
                           mef_years=mef_queries.execution_by_year(project_id),
                           mef_link=mef_queries.consulta_url(page.project.cui), mef_link_name=mef_queries.MEF_CONSULTA_NAME,
                           public_docs=document_panels.public_list(page.project.id))


@bp.route("/proyectos/<int:project_id>/ejecucion.csv")
@public
@cached_page
def project_execution_csv(project_id: int):
    page = queries.public_project(project_id)
    header = ["cui", "anio", "hasta_mes", "pia_soles", "pim_soles", "certificado_soles", "compromiso_anual_soles",
              "devengado_soles", "girado_soles", "avance_pct", "archivo_mef", "filas"]
    return csv_response(f"ejecucion-proyecto-{project_id}.csv", header, (
        [page.project.cui, y.year, y.through_month or None, y.pia, y.pim, y.certificado, y.comprometido, y.devengado,
         y.girado, y.avance, y.source_file, f"{y.first_row}-{y.last_row}"]
        for y in mef_queries.execution_by_year(project_id)))


@bp.route("/mapa")
@public
@cached_page
def map_page():
    provinces = geo.provinces()
    width, height = geo.size()
    return render_template("public/map.html", tiles=geo.tiles(provinces), provinces=provinces, width=width,
                           spent={r.key: r for r in mef_queries.totals("provincia")},
                           height=height, districts=geo.districts(), outside=geo.outside_region(),
                           multi=geo.multidepartmental(), multi_code=queries.MULTI)


@bp.route("/datos/mapa.csv")
@public
@cached_page
def map_csv():
    rows = [["provincia", p.code, p.name, p.projects, p.amount] for p in geo.provinces()]
    rows += [["provincia", p.code, p.name, p.projects, p.amount] for p in geo.outside_region()]
    rows += [["distrito", d.code, f"{d.name} ({prov.name})", d.projects, d.amount] for prov, d in geo.districts()]
    count, amount = geo.multidepartmental()
    rows.append(["multidepartamental", "", "Multidepartamental", count, amount])
    return csv_response("proyectos-por-ubicacion.csv", ["tipo", "ubigeo", "lugar", "proyectos", "monto_vigente_soles"],
                        rows)


def _execution_year() -> int | None:
    try:
        year = int(request.args.get("anio", ""))
    except ValueError:
        return None
    return year if 2000 <= year <= 2100 else None


@bp.route("/ejecucion")
@public
@cached_page
def execution():
    year = _execution_year()
    tables = {key: mef_queries.totals(key, year=year) for key in mef_queries.DIMENSIONS}
    return render_template("public/execution.html", tables=tables, dimensions=mef_queries.DIMENSIONS, year=year,
                           years=mef_queries.years())


@bp.route("/datos/ejecucion.csv")
@public
@cached_page
def execution_csv():
    year = _execution_year()
    dimension = request.args.get("por") if request.args.get("por") in mef_queries.DIMENSIONS else "anio"
    header = [dimension, "nombre", "proyectos", "pim_soles", "devengado_soles", "girado_soles", "avance_pct"]
    return csv_response(f"ejecucion-por-{dimension}{'-' + str(year) if year else ''}.csv", header, (
        [r.key, r.label, r.projects, r.pim, r.devengado, r.girado, r.avance]
        for r in mef_queries.totals(dimension, year=year)))


@bp.route("/proyectos/<int:project_id>.json")
@public
def project_json(project_id: int):
    projects, facts = oc4ids.load([project_id])
    if not projects:
        raise NotFound("El proyecto no existe.")
    prefix = current_app.config["OC4IDS_PREFIX"]
    body = oc4ids.package([oc4ids.project_record(projects[0], facts, prefix=prefix)], uri=request.base_url,
                          published=clock.utcnow(), policy_uri=url_for("public.data_dictionary", _external=True))
    return Response(oc4ids.dumps(body), mimetype="application/json",
                    headers={"Content-Disposition": f"inline; filename=proyecto-{project_id}-oc4ids.json"})


@bp.route("/datos/oc4ids.json")
@public
def oc4ids_package():
    """Every public project in one OC4IDS package; ETag and Last-Modified come from the data's last audited
    change, so a conditional request is answered 304 without building the package."""
    prefix = current_app.config["OC4IDS_PREFIX"]
    modified, tag = oc4ids.source_version(prefix)
    if not is_resource_modified(request.environ, etag=tag, last_modified=modified):
        response = Response(status=304)
    else:
        projects, facts = oc4ids.load()
        body = oc4ids.package([oc4ids.project_record(p, facts, prefix=prefix) for p in projects],
                              uri=request.base_url, published=modified,
                              policy_uri=url_for("public.data_dictionary", _external=True))
        response = Response(oc4ids.dumps(body), mimetype="application/json",
                            headers={"Content-Disposition": "inline; filename=oc4ids.json"})
    response.set_etag(tag)
    response.last_modified = modified
    return response


@bp.route("/datos/datos-abiertos.zip")
@public
@cached_page
def open_data_zip():
    data = opendata.zip_bytes(prefix=current_app.config["OC4IDS_PREFIX"], published=clock.utcnow())
    response = Response(data, mimetype="application/zip",
                        headers={"Content-Disposition": "attachment; filename=datos-abiertos-oxi-la-libertad.zip"})
    response.add_etag()
    return response.make_conditional(request)


@bp.route("/datos/diccionario")
@public
@cached_page
def data_dictionary():
    return render_template("public/data_dictionary.html", tables=dictionary.TABLES, dictionary=dictionary,
                           extension_files=EXTENSION_FILES)


EXTENSION_DIR = Path(__file__).resolve().parent / "oc4ids_extension"
EXTENSION_FILES = {"extension.json": "application/json", "project-schema.json": "application/json",
                   "localStatus.csv": "text/csv", "+locationGazetteers.csv": "text/csv",
                   "+classificationScheme.csv": "text/csv"}


@bp.route("/datos/extension/<name>")
@public
@cached_page
def oc4ids_extension(name: str):
    """This publisher's OC4IDS extension (the fields and codes it adds to the standard)."""
    if name not in EXTENSION_FILES:
        raise NotFound("El archivo no existe.")
    folder = EXTENSION_DIR if name.endswith(".json") else EXTENSION_DIR / "codelists"
    return Response((folder / name).read_bytes(), mimetype=EXTENSION_FILES[name])


@bp.route("/datos")
@public
@cached_page
def open_data():
    year, quarter = indicators.latest_quarter()
    return render_template("public/open_data.html", year=year, quarter=quarter)


@bp.route("/datos/proyectos.csv")
@public
@cached_page
def projects_csv():
    """Every project, or those of the list's filters (the same query-string arguments)."""
    header = ["id", "cui", "proyecto", "entidad", "nivel_gobierno", "etapa", "monto_vigente_soles",
              "avance_fisico_real_pct", "multidepartamental", "devengado_mef_soles", "girado_mef_soles",
              "consulta_mef"]
    rows = queries.project_rows(filters=queries.Filters.parse(request.args))
    mef = mef_queries.latest_by_project(r.id for r in rows)
    return csv_response("proyectos-oxi.csv", header, (
        [r.id, r.cui, r.name, r.entity, r.level, r.stage, r.amount.quantize(CENT),
         None if r.progress is None else r.progress.quantize(CENT), "si" if r.multidepartmental else "no",
         *(mef.get(r.id) or (None, None)), mef_queries.consulta_url(r.cui)]
        for r in rows))


@bp.route("/fideicomiso")
@public
@cached_page
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
