"""Seed data of the OxI pipeline, loaded through the same services as the web pages (so every rule holds).

``load_reference`` (as ``SYSTEM``, reference data): the 7 ProInversión-prioritised security projects of DOMAIN.md (seeds/projects.csv),
stage ``priorizado``, total S/ 513,000,000.00. ``load_demo``: fictitious demo projects (``is_demo``, names
ending in «(demo)») in other stages, financed by the demo companies, registered by the demo staff user. Both idempotent: a project whose
name exists is skipped.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select

from portfolio import db
from portfolio.auth.models import User
from portfolio.auth.policy import SYSTEM
from portfolio.projects import certificates, execution, services, stages
from portfolio.projects.models import Project
from portfolio.projects.vocab import CertificateStatus, MilestoneStatus, Stage
from portfolio.seeding import company_by_ruc, entity_by_name, read_csv

D = dt.date
CORDILLERA, CHAN_CHAN, VALLE_MOCHE, BANNORTE = "20601452783", "20558934124", "20481376514", "20132467898"


def _exists(name: str) -> bool:
    return db.session.scalar(select(Project.id).where(Project.name == name)) is not None


def load_reference() -> dict[str, int]:
    added = 0
    for row in read_csv("projects.csv"):
        if _exists(row["name"]):
            continue
        services.create_project(data={
            "name": row["name"], "entity_id": entity_by_name(row["entity"]).id, "sector": row["sector"],
            "mechanism": "oxi", "reference_amount": Decimal(row["amount"]), "proinversion_assisted": True,
            "multidepartmental": row["multidepartmental"] == "1", "locations": row["ubigeo"],
            "description": "Proyecto priorizado por ProInversión para ejecutarse mediante Obras por Impuestos "
                           "(cartera de seguridad ciudadana).",
        }, actor=SYSTEM)
        added += 1
    db.session.flush()
    return {"proyectos OxI priorizados": added}


def _members(*pairs: tuple[str, str]) -> list[tuple[int, str]]:
    return [(company_by_ruc(ruc).id, share) for ruc, share in pairs]


def _staff() -> User:
    user = db.session.scalar(select(User).where(User.email == "staff@demo.pe"))
    if user is None:
        raise LookupError("seed user not found: staff@demo.pe")
    return user


def _advance(project: Project, dates: dict[str, dt.date], *targets: str, actor: User) -> None:
    """Move the project through ``targets``, each stage change dated on its key date (``dates``)."""
    for target in targets:
        on = dates.get(target)
        if on is None:
            field = stages.STAGE_DATES.get(target)
            on = getattr(project, field) if field else None
        services.transition(project=project, target=target, note="Avance registrado en los datos de demostración", on=on,
                            actor=actor)


DEMO = [
    {
        "data": {"name": "Videovigilancia del Centro Histórico de Trujillo (demo)", "cui": "2512345",
                 "entity": "Municipalidad Provincial de Trujillo", "sector": "orden_publico", "locations": "130101",
                 "reference_amount": "19000000.00", "awarded_amount": "18500000.00", "term_days": 360,
                 "prioritized_on": D(2025, 6, 16),
                 "contraloria_ref": "Informe Previo N.° 012-2025-CG/OXI", "contraloria_date": D(2025, 10, 2),
                 "call_on": D(2025, 11, 3), "awarded_on": D(2026, 1, 12), "convenio_on": D(2026, 2, 10),
                 "start_on": D(2026, 3, 1), "executing_company": "Constructora Chan Chan S.A.C.",
                 "supervisor": "Supervisora Norte Consultores S.A.C.", "proinversion_assisted": True},
        "members": [(CORDILLERA, "60"), (CHAN_CHAN, "40")],
        "stages": (Stage.ACTOS_PREVIOS, Stage.EN_SELECCION, Stage.ADJUDICADO, Stage.CONVENIO_SUSCRITO, Stage.EN_EJECUCION),
        "stage_dates": {Stage.ACTOS_PREVIOS: D(2025, 8, 4)},
        "budget": [("expediente", "650000.00", None, ("650000.00", "650000.00")),
                   ("obra", "16800000.00", ("17900000.00", "Adenda N.° 1"), ("10000000.00", "5200000.00")),
                   ("supervision", "1050000.00", None, ("420000.00", "350000.00"))],
        "variations": [("monto", "1100000.00", 0, D(2026, 6, 15), "Adenda N.° 1 — mayores trabajos"),
                       ("plazo", "0", 45, D(2026, 7, 1), "Adenda N.° 2 — ampliación de plazo")],
        "milestones": [
            ("expediente", "Expediente técnico aprobado", D(2026, 3, 31), D(2026, 3, 28), "5", "5", "650000.00",
             MilestoneStatus.CUMPLIDO, D(2026, 4, 3)),
            ("valorizacion", "Valorización N.° 1", D(2026, 6, 30), D(2026, 6, 30), "30", "28", "5200000.00",
             MilestoneStatus.CUMPLIDO, D(2026, 7, 8)),
            ("valorizacion", "Valorización N.° 2", D(2026, 9, 30), D(2026, 9, 30), "60", "52", "4800000.00",
             MilestoneStatus.PARCIAL, D(2026, 10, 9)),
            ("valorizacion", "Valorización N.° 3", D(2026, 11, 15), None, "85", None, "4600000.00", MilestoneStatus.PROGRAMADO, None),
            ("culminacion", "Culminación de obra", D(2027, 3, 15), None, "100", None, "3250000.00", MilestoneStatus.PROGRAMADO,
             None),
        ],
        "certificates": [("CIPRL-2026-0101", "5200000.00", D(2026, 7, 20), 1, CertificateStatus.EMITIDO),
                         ("CIPRL-2026-0187", "3000000.00", D(2026, 10, 20), 2, CertificateStatus.SOLICITADO)],
    },
    {
        "data": {"name": "Equipamiento de comisarías de Trujillo Metropolitano (demo)", "cui": "2598765",
                 "entity": "Policía Nacional del Perú", "sector": "orden_publico", "locations": "130101, 130102, 130105",
                 "reference_amount": "7000000.00", "awarded_amount": "6800000.00", "term_days": 240,
                 "prioritized_on": D(2026, 1, 19),
                 "contraloria_ref": "Informe Previo N.° 031-2026-CG/OXI", "call_on": D(2026, 5, 4),
                 "awarded_on": D(2026, 7, 30), "convenio_on": D(2026, 9, 1),
                 "supervisor": "Consorcio Supervisor Moche", "proinversion_assisted": True},
        "members": [(CORDILLERA, "100")],
        "stages": (Stage.ACTOS_PREVIOS, Stage.EN_SELECCION, Stage.ADJUDICADO, Stage.CONVENIO_SUSCRITO),
        "stage_dates": {Stage.ACTOS_PREVIOS: D(2026, 3, 2)},
        "budget": [("obra", "6400000.00", None, None), ("supervision", "400000.00", None, None)],
        "milestones": [("entrega", "Entrega del primer lote de equipos", D(2027, 1, 15), None, "50", None,
                        "3400000.00", MilestoneStatus.PROGRAMADO, None)],
    },
    {
        "data": {"name": "Centro de Comando C4 de La Esperanza (demo)", "cui": "2603344",
                 "entity": "Municipalidad Distrital de La Esperanza", "sector": "orden_publico", "locations": "130105",
                 "reference_amount": "5000000.00", "awarded_amount": "4900000.00", "prioritized_on": D(2026, 4, 6),
                 "contraloria_ref": "Informe Previo N.° 044-2026-CG/OXI", "call_on": D(2026, 8, 17),
                 "awarded_on": D(2026, 10, 20)},
        "members": [(CHAN_CHAN, "100")],
        "stages": (Stage.ACTOS_PREVIOS, Stage.EN_SELECCION, Stage.ADJUDICADO),
        "stage_dates": {Stage.ACTOS_PREVIOS: D(2026, 6, 1)},
    },
    {
        "data": {"name": "Patrullaje integrado de El Porvenir (demo)", "cui": "2611221",
                 "entity": "Municipalidad Distrital de El Porvenir", "sector": "orden_publico", "locations": "130102",
                 "reference_amount": "3600000.00", "prioritized_on": D(2026, 7, 6),
                 "contraloria_ref": "Informe Previo N.° 051-2026-CG/OXI",
                 "call_on": D(2026, 11, 2)},
        "stages": (Stage.ACTOS_PREVIOS, Stage.EN_SELECCION),
        "stage_dates": {Stage.ACTOS_PREVIOS: D(2026, 9, 7)},
    },
    {
        "data": {"name": "Serenazgo y cámaras del litoral de Huanchaco (demo)", "cui": "2615870",
                 "entity": "Municipalidad Distrital de Huanchaco", "sector": "orden_publico", "locations": "130104",
                 "reference_amount": "2750000.00", "prioritized_on": D(2026, 8, 3)},
        "stages": (Stage.ACTOS_PREVIOS,),
        "stage_dates": {Stage.ACTOS_PREVIOS: D(2026, 10, 5)},
    },
    {
        "data": {"name": "Equipos de inspección del penal de Trujillo (demo)", "cui": "2488810",
                 "entity": "Instituto Nacional Penitenciario", "sector": "justicia", "locations": "130104",
                 "reference_amount": "9200000.00", "awarded_amount": "9000000.00", "term_days": 300,
                 "prioritized_on": D(2024, 3, 4),
                 "contraloria_ref": "Informe Previo N.° 077-2024-CG/OXI", "call_on": D(2024, 10, 1),
                 "awarded_on": D(2025, 1, 20), "convenio_on": D(2025, 3, 1), "start_on": D(2025, 4, 1),
                 "reception_on": D(2026, 2, 27), "supervisor": "Supervisión Andina S.A.C.",
                 "executing_company": "Tecnologías de Seguridad del Norte S.A.C."},
        "members": [(VALLE_MOCHE, "50"), (BANNORTE, "50")],
        "stages": (Stage.ACTOS_PREVIOS, Stage.EN_SELECCION, Stage.ADJUDICADO, Stage.CONVENIO_SUSCRITO, Stage.EN_EJECUCION),
        "budget": [("obra", "8500000.00", None, ("8500000.00", "8500000.00")),
                   ("supervision", "500000.00", None, ("500000.00", "480000.00"))],
        "milestones": [
            ("entrega", "Entrega de escáneres", D(2025, 8, 30), D(2025, 9, 10), "50", "50", "4500000.00", MilestoneStatus.CUMPLIDO,
             D(2025, 9, 20)),
            ("recepcion", "Recepción conforme", D(2026, 2, 15), D(2026, 2, 27), "100", "100", "4500000.00",
             MilestoneStatus.CUMPLIDO, D(2026, 3, 5)),
        ],
        "stage_dates": {Stage.ACTOS_PREVIOS: D(2024, 6, 3)},
        "after": (Stage.RECIBIDO,),
        "certificates": [("CIPGN-2025-0440", "4500000.00", D(2025, 9, 30), 0, CertificateStatus.EMITIDO),
                         ("CIPGN-2026-0118", "4500000.00", D(2026, 3, 20), 1, CertificateStatus.EMITIDO)],
    },
]


def _build(spec: dict, staff: User) -> None:
    data = dict(spec["data"])
    data["entity_id"] = entity_by_name(data.pop("entity")).id
    data.setdefault("mechanism", "oxi")
    project = services.create_project(data=data, is_demo=True, actor=staff)
    if spec.get("members"):
        services.set_members(project=project, rows=_members(*spec["members"]), expected_version=None, actor=staff)
    dates = spec.get("stage_dates", {})
    _advance(project, dates, *spec.get("stages", ()), actor=staff)
    for category, amount, revision, executed in spec.get("budget", ()):
        line = execution.add_budget_line(project=project, category=category, description=None, amount=amount, actor=staff)
        if revision:
            execution.revise_budget_line(line=line, amount=revision[0], reason=revision[1], actor=staff)
        if executed:
            execution.record_budget_execution(line=line, accrued=executed[0], paid=executed[1], expected_version=None,
                                              actor=staff)
    for kind, amount, days, approved_on, reference in spec.get("variations", ()):
        execution.add_variation(project=project, kind=kind, amount_delta=amount, days_delta=days, approved_on=approved_on,
                                legal_reference=reference, actor=staff)
    milestones = []
    for kind, desc, planned, actual, p_phys, a_phys, amount, status, conformity in spec.get("milestones", ()):
        milestones.append(execution.add_milestone(project=project, data={
            "kind": kind, "description": desc, "planned_date": planned, "actual_date": actual,
            "planned_physical": p_phys, "actual_physical": a_phys, "amount": amount, "status": status,
            "conformity_date": conformity}, actor=staff))
    _advance(project, dates, *spec.get("after", ()), actor=staff)
    for number, amount, issued, milestone_index, status in spec.get("certificates", ()):
        certificate, _ = certificates.add_certificate(project=project, number=number, amount=amount, issue_date=issued,
                                                      milestone_id=milestones[milestone_index].id, actor=staff)
        if status != CertificateStatus.SOLICITADO:
            certificates.change_status(certificate=certificate, target=status, expected_version=None, actor=staff)


def load_demo() -> dict[str, int]:
    added = 0
    for spec in DEMO:
        if _exists(spec["data"]["name"]):
            continue
        _build(spec, _staff())
        added += 1
    db.session.flush()
    return {"proyectos OxI demo": added}
