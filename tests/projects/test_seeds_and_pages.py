"""Seeds (the 7 prioritised projects, S/ 513,000,000.00; demo data) and what the pages show."""
from __future__ import annotations

import datetime as dt
import html
import re
from decimal import Decimal

from sqlalchemy import func, select

from portfolio import clock, db, seeding
from portfolio.projects import seeds, stages
from portfolio.projects.models import Certificate, Milestone, Project
from tests.support import STAFF_ACTOR

SEED_TOTAL = "S/\u00a0513,000,000.00"


def test_reference_seed_has_the_seven_projects_with_exact_amounts(ctx):
    rows = db.session.execute(select(Project.name, Project.reference_amount, Project.stage)
                              .where(Project.is_demo.is_(False))).all()
    seeded = {name: (amount, stage) for name, amount, stage in rows}
    expected = {row["name"]: Decimal(row["amount"]) for row in seeding.read_csv("projects.csv")}
    assert len(expected) == 7
    for name, amount in expected.items():
        assert seeded[name] == (amount, "priorizado")
    assert sum(expected.values()) == Decimal("513000000.00")
    inpe = db.session.scalar(select(func.count()).select_from(Project).join(Project.entity)
                             .where(Project.name.in_(expected)).where(Project.entity.has(short_name="INPE")))
    assert inpe == 4


def test_pipeline_shows_513_million_for_the_seeds(login_as):
    client = login_as("auditor")
    page = client.get("/proyectos/etapas?demo=no").get_data(as_text=True)
    assert re.search(r'id="pipeline-total">\s*' + re.escape(SEED_TOTAL), page)
    row = re.search(r"Priorizado</a></td>\s*<td class=\"money\">(\d+)</td>\s*<td class=\"money\">([^<]+)</td>", page)
    assert row and row.group(1) == "7" and row.group(2) == SEED_TOTAL


def test_seed_loaders_are_idempotent_and_demo_is_marked(ctx):
    assert seeds.load_reference() == {"proyectos OxI priorizados": 0}
    first = seeding.load_demo()
    assert first["proyectos OxI demo"] == len(seeds.DEMO)
    assert seeding.load_demo()["proyectos OxI demo"] == 0
    demo = db.session.scalars(select(Project).where(Project.is_demo.is_(True))).all()
    assert len(demo) == len(seeds.DEMO) and all(p.name.endswith("(demo)") for p in demo)
    assert {p.stage for p in demo} >= {"en_ejecucion", "convenio_suscrito", "adjudicado", "en_seleccion", "recibido"}
    assert db.session.scalar(select(func.count()).select_from(Certificate)) >= 4
    assert db.session.scalar(select(func.count()).select_from(Milestone)) >= 8
    video = next(p for p in demo if p.name.startswith("Videovigilancia"))
    assert video.current_convenio_amount == Decimal("19600000.00")
    assert [m.company.ruc for m in video.members] == ["20601452783", "20558934124"]


def _no_inline_code(page: str) -> None:
    assert "style=" not in page
    assert not re.search(r"<script(?![^>]*\bsrc=)", page)
    assert " onclick=" not in page


def test_project_page_shows_every_section_with_svg_s_curve(app, login_as, make_project):
    project = make_project("en_ejecucion", milestone=True)
    with app.app_context():
        from portfolio.projects import execution

        p = db.session.get(Project, project["id"])
        execution.add_milestone(project=p, data={"kind": "valorizacion", "description": "Vencida", "status": "programado",
                                    "planned_date": dt.date(2026, 5, 1), "planned_physical": "80"}, actor=STAFF_ACTOR)
        db.session.commit()
    page = html.unescape(login_as("staff").get(f"/proyectos/{project['id']}").get_data(as_text=True))
    for heading in ("Línea de tiempo de etapas", "Avance físico y financiero (curva S)", "Hitos y valorizaciones",
                    "Presupuesto", "Variaciones (adendas)", "Certificados CIPGN"):
        assert heading in page
    assert "<svg" in page and "<polyline" in page and "Ver los datos del gráfico en una tabla" in page
    assert "Vencido" in page
    assert "S/\u00a01,000,000.00" in page
    _no_inline_code(page)


def test_list_pages_have_no_inline_styles_or_scripts(login_as):
    client = login_as("staff")
    for url in ("/proyectos/", "/proyectos/etapas", "/proyectos/nuevo"):
        response = client.get(url)
        assert response.status_code == 200
        _no_inline_code(response.get_data(as_text=True))


def test_list_filters_search_and_sort(login_as, make_project):
    make_project("en_ejecucion", cui="1234567", name="Cámaras de Huanchaco", locations="130104")
    client = login_as("staff")
    found = client.get("/proyectos/?q=1234567").get_data(as_text=True)
    assert "Cámaras de Huanchaco" in found and "Adquisición de equipos policiales" not in found
    assert "Cámaras de Huanchaco" in client.get("/proyectos/?q=huanchaco").get_data(as_text=True)
    assert "Cámaras de Huanchaco" not in client.get("/proyectos/?etapa=priorizado").get_data(as_text=True)
    multi = client.get("/proyectos/?region=multi").get_data(as_text=True)
    assert "Adquisición de ómnibus" in multi and "Cámaras de Huanchaco" not in multi
    assert "Cámaras de Huanchaco" in client.get("/proyectos/?region=13&nivel=nacional").get_data(as_text=True)
    by_amount = html.unescape(client.get("/proyectos/?sort=amount&dir=desc&demo=no").get_data(as_text=True))
    assert by_amount.index("Mejoramiento y ampliación") < by_amount.index("Adquisición de equipos policiales")


def test_default_order_is_the_stage_order_computed_by_the_database(app, login_as, make_project):
    """``stage_rank`` (computed by the database, indexed for the list's default order) follows the stage
    order that users see, for every stage, and follows a change of stage without the application setting it."""
    made = {stage: make_project(stage, name=f"Proyecto en etapa {stage}")["id"] for stage in reversed(stages.STAGES)}
    with app.app_context():
        ranks = dict(db.session.execute(select(Project.stage, Project.stage_rank).where(Project.id.in_(made.values()))).all())
        assert ranks == {stage: index for index, stage in enumerate(stages.STAGES)}
        moved = db.session.get(Project, made["priorizado"])
        moved.stage = "cancelado"
        db.session.commit()
        assert db.session.scalar(select(Project.stage_rank).where(Project.id == moved.id)) == len(stages.STAGES) - 1
        moved.stage = "priorizado"
        db.session.commit()
    page = html.unescape(login_as("staff").get("/proyectos/?demo=no&per_page=100").get_data(as_text=True))
    shown = [page.index(f"Proyecto en etapa {stage}") for stage in stages.STAGES]
    assert shown == sorted(shown)
    backwards = html.unescape(login_as("staff").get("/proyectos/?demo=no&per_page=100&sort=stage&dir=desc")
                              .get_data(as_text=True))
    shown = [backwards.index(f"Proyecto en etapa {stage}") for stage in stages.STAGES]
    assert shown == sorted(shown, reverse=True)


def test_company_panel_and_nav_item(make_project, login_as):
    project = make_project("en_ejecucion")
    client = login_as("company", company_id=project["companies"][0])
    home = client.get("/").get_data(as_text=True)
    assert "Obras por Impuestos" in home and "Mis certificados" in home
    year = clock.today().year - 1
    response = client.post("/proyectos/mis-certificados", {"year": str(year), "amount": "1,000,000.00"})
    assert response.status_code == 302
    page = client.get("/proyectos/mis-certificados").get_data(as_text=True)
    assert re.search(r'id="may-apply">S/\u00a0800,000.00', page)
    assert login_as("staff").get("/proyectos/mis-certificados").status_code == 403
