"""The portfolio as Open Contracting for Infrastructure Data Standard (OC4IDS 0.9) data.

One function builds a project record, so the per-project document and the package of every public project
can never disagree. The mapping (checked in CI with libcoveoc4ids against the official schema and codelists
kept under ``tests/public/oc4ids_0_9/``):

- dates are date-time strings at midnight in the business zone (``2025-11-03T00:00:00-05:00``); empty
  objects, arrays and strings are dropped, never published empty;
- closed codelists only take their codes (project status, contracting process status, milestone status,
  project type, contract nature, procurement method, currency); a value the codelist lacks is a bug here;
- open codelists use the standard's code where one fits and keep ours beside it: sector ``governance``
  plus our sector as an ``additionalClassifications`` entry; metrics ``physicalProgress``; the ubigeo as a
  gazetteer entry of scheme ``PE-UBIGEO``, declared (with our two classification schemes and the local
  stage, ``localStatus``) by this publisher's extension (``portfolio/public/oc4ids_extension/``);
- level of government goes in ``parties.classifications``; each funder's share is a ``budget.finance``
  entry (its part of the current convenio); the convenio's approved monetary variations are
  ``modifications`` (old and new contract value: the last new value is the current convenio amount); the
  signature date is an approval milestone of the convenio; each certificate issued is a transaction of the
  convenio (CIPRL/CIPGN, number, date, amount, the valorización it pays);
- the project id carries the publisher's prefix (setting ``OC4IDS_PREFIX``; see README «Datos abiertos»).
"""
from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from portfolio import clock, db
from portfolio.audit import AuditEntry
from portfolio.money import split_by_shares
from portfolio.orgs import ubigeo
from portfolio.orgs.models import LEVELS
from portfolio.projects.models import (
    MILESTONE_KINDS,
    SECTORS,
    Certificate,
    Milestone,
    Project,
    Variation,
)
from portfolio.projects.vocab import CertificateStatus, MilestoneStatus, Stage

VERSION = "0.9"
LICENSE = "https://creativecommons.org/licenses/by/4.0/"
PUBLISHER = "Cartera de Seguridad Ciudadana — La Libertad (portal de transparencia)"
PREFIX_PATTERN = re.compile(r"^oc4ids-[a-z0-9]{6}$")
# Audit actions whose rows change what the package says (the package's Last-Modified and ETag).
SOURCE_ACTIONS = ("project", "milestone", "certificate", "variation", "budget", "company", "entity")

PROJECT_STATUS = {
    Stage.PRIORIZADO: "identification", Stage.ACTOS_PREVIOS: "preparation", Stage.EN_SELECCION: "preparation",
    Stage.ADJUDICADO: "preparation", Stage.DESIERTO: "preparation", Stage.CONVENIO_SUSCRITO: "implementation",
    Stage.EN_EJECUCION: "implementation", Stage.SUSPENDIDO: "implementation", Stage.RECIBIDO: "completion",
    Stage.LIQUIDADO: "completion", Stage.CANCELADO: "cancelled",
}
# The convenio's contracting process: before the signature it is being awarded; after reception (or a
# cancellation) it has ended.
PROCESS_STATUS = {
    Stage.PRIORIZADO: "pre-award", Stage.ACTOS_PREVIOS: "pre-award", Stage.EN_SELECCION: "pre-award",
    Stage.ADJUDICADO: "pre-award", Stage.DESIERTO: "pre-award", Stage.CONVENIO_SUSCRITO: "active",
    Stage.EN_EJECUCION: "active", Stage.SUSPENDIDO: "active", Stage.RECIBIDO: "closed",
    Stage.LIQUIDADO: "closed", Stage.CANCELADO: "closed",
}
MILESTONE_STATUS = {
    MilestoneStatus.PROGRAMADO: "scheduled", MilestoneStatus.CUMPLIDO: "met",
    MilestoneStatus.PARCIAL: "partiallyMet", MilestoneStatus.NO_CUMPLIDO: "notMet",
}
MILESTONE_TYPE = {
    "expediente": "delivery", "inicio": "delivery", "valorizacion": "reporting", "entrega": "delivery",
    "culminacion": "delivery", "recepcion": "approval", "liquidacion": "contractClose",
    "mantenimiento": "delivery",
}
SECTOR_SCHEME = "PE-OXI-SECTOR"
LEVEL_SCHEME = "PE-NIVEL-GOBIERNO"
GAZETTEER = "PE-UBIGEO"
_NUMBER = re.compile(r'"__num__(-?\d+(?:\.\d+)?)"')


@dataclass
class Facts:
    """What the records need beyond the project row, loaded for many projects in a few statements."""
    milestones: dict[int, list[Milestone]] = field(default_factory=dict)
    variations: dict[int, list[Variation]] = field(default_factory=dict)
    certificates: dict[int, list[Certificate]] = field(default_factory=dict)
    updated: dict[int, dt.datetime] = field(default_factory=dict)


def _group(rows, key) -> dict[int, list]:
    out: dict[int, list] = {}
    for row in rows:
        out.setdefault(key(row), []).append(row)
    return out


def load(project_ids: list[int] | None = None) -> tuple[list[Project], Facts]:
    """The projects (every one, or those ids) in name order and their facts: six statements in all."""
    query = (select(Project).options(selectinload(Project.locations), selectinload(Project.members))
             .order_by(Project.name, Project.id))
    if project_ids is not None:
        query = query.where(Project.id.in_(project_ids))
    projects = list(db.session.scalars(query))
    ids = [p.id for p in projects]
    if not ids:
        return projects, Facts()
    milestones = db.session.scalars(select(Milestone).where(Milestone.project_id.in_(ids))
                                    .order_by(Milestone.planned_date, Milestone.id))
    variations = db.session.scalars(select(Variation).where(Variation.project_id.in_(ids), Variation.amount_delta != 0)
                                    .order_by(Variation.approved_on, Variation.id))
    certificates = db.session.scalars(
        select(Certificate).where(Certificate.project_id.in_(ids), Certificate.status == CertificateStatus.EMITIDO)
        .order_by(Certificate.issue_date, Certificate.id))
    updated = dict(db.session.execute(
        select(AuditEntry.object_id, func.max(AuditEntry.at))
        .where(AuditEntry.object_type == Project.__tablename__, AuditEntry.object_id.in_([str(i) for i in ids]))
        .group_by(AuditEntry.object_id)).all())
    return projects, Facts(
        milestones=_group(milestones, lambda m: m.project_id),
        variations=_group(variations, lambda v: v.project_id),
        certificates=_group(certificates, lambda c: c.project_id),
        updated={p.id: updated.get(str(p.id)) or p.created_at for p in projects})


def source_version(prefix: str) -> tuple[dt.datetime, str]:
    """(Last-Modified, ETag) of the package, without building it: the latest audited change to what the
    package publishes, and a tag over that change, the number of projects and the publisher prefix."""
    last_id, last_at = db.session.execute(
        select(func.max(AuditEntry.id), func.max(AuditEntry.at))
        .where(or_(*[AuditEntry.action.like(f"{prefix}.%") for prefix in SOURCE_ACTIONS]))).one()
    count, created = db.session.execute(select(func.count(Project.id), func.max(Project.created_at))).one()
    instants = [t for t in (last_at, created) if t is not None]
    modified = max(instants) if instants else dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    tag = f"{prefix}-{last_id or 0}-{count}-{int(modified.timestamp())}"
    return modified.replace(microsecond=0), tag


def date_time(value: dt.date | None) -> str | None:
    """A business date as the schema's date-time: midnight in the business zone."""
    if value is None:
        return None
    return dt.datetime.combine(value, dt.time(0), tzinfo=clock.zone()).isoformat()


def instant(value: dt.datetime) -> str:
    return value.astimezone(clock.zone()).isoformat(timespec="seconds")


def _value(amount: Decimal | None) -> dict | None:
    """An OC4IDS Value; the amount is written as an exact JSON number (never through a float)."""
    if amount is None:
        return None
    return {"amount": f"__num__{Decimal(amount):.2f}", "currency": "PEN"}


def clean(data):
    """Drop None, empty strings and (after cleaning their contents) empty objects and arrays."""
    if isinstance(data, dict):
        cleaned = {k: clean(v) for k, v in data.items()}
        return {k: v for k, v in cleaned.items() if v not in (None, "", [], {})}
    if isinstance(data, list):
        return [v for v in (clean(v) for v in data) if v not in (None, "", [], {})]
    return data


def project_id(project: Project, prefix: str) -> str:
    return f"{prefix}-{project.id}"


def current_amount(project: Project, variations: list[Variation]) -> Decimal | None:
    """The current convenio amount: awarded plus approved monetary variations (none before the award)."""
    if project.awarded_amount is None:
        return None
    return project.awarded_amount + sum((v.amount_delta for v in variations), Decimal("0.00"))


def _entity_party(project: Project) -> dict:
    entity = project.entity
    return {"id": f"entidad-{entity.id}", "name": entity.name, "roles": ["publicAuthority", "buyer", "procuringEntity"],
            "identifier": {"scheme": "PE-RUC", "id": entity.ruc, "legalName": entity.name} if entity.ruc else None,
            "classifications": [{"scheme": LEVEL_SCHEME, "id": entity.level,
                                 "description": LEVELS.get(entity.level, entity.level)}]}


def _funders(project: Project) -> list[dict]:
    return [{"id": f"PE-RUC-{m.company.ruc}", "name": m.company.trade_name or m.company.legal_name,
             "identifier": {"scheme": "PE-RUC", "id": m.company.ruc, "legalName": m.company.legal_name},
             "roles": ["funder", "supplier"]} for m in project.members]


def _finance(project: Project, current: Decimal | None) -> list[dict]:
    members = list(project.members)
    if not members:
        return []
    shares = [Decimal(m.share_hundredths) / 100 for m in members]
    parts = split_by_shares(current, shares) if current is not None and sum(shares) == 100 else [None] * len(members)
    return [{"id": f"financiamiento-{index}", "title": "Financiamiento mediante Obras por Impuestos",
             "description": f"Participación en el financiamiento: {share:.2f} % (recupera su inversión con "
                            "certificados CIPRL/CIPGN)",
             "value": _value(part), "financingParty": {"id": f"PE-RUC-{m.company.ruc}",
                                                        "name": m.company.trade_name or m.company.legal_name},
             "financingPartyType": "other"}
            for index, (m, share, part) in enumerate(zip(members, shares, parts, strict=True), start=1)]


def _milestone(m: Milestone, index: int, today: dt.date) -> dict:
    status = MILESTONE_STATUS.get(m.status, "scheduled")
    if status == "scheduled" and m.actual_date is None and m.planned_date < today:
        status = "notMet"  # overdue: its due date passed and it was not met
    return {"id": f"hito-{index}", "title": MILESTONE_KINDS.get(m.kind, m.kind), "description": m.description,
            "type": MILESTONE_TYPE.get(m.kind, "delivery"), "dueDate": date_time(m.planned_date),
            "dateMet": date_time(m.actual_date), "status": status,
            "value": _value(m.amount) if m.kind == "valorizacion" else None}


def _progress(milestones: list[Milestone], attr: str, date_attr: str) -> list[dict]:
    observations = [{"id": f"{attr}-{index}", "period": {"endDate": date_time(getattr(m, date_attr))},
                     "measure": f"__num__{Decimal(getattr(m, attr)) / 100:.2f}", "unit": {"name": "%"}}
                    for index, m in enumerate(milestones, start=1)
                    if getattr(m, attr) is not None and getattr(m, date_attr) is not None]
    if not observations:
        return []
    return [{"id": "physicalProgress", "title": "Avance físico acumulado", "observations": observations}]


def _contracting(project: Project, facts: Facts, pid: str, milestone_ids: dict) -> list:
    p = project
    if p.awarded_amount is None and p.call_on is None:
        return []
    variations = facts.variations.get(p.id, [])
    modifications, amount = [], p.awarded_amount
    for index, v in enumerate(variations, start=1):
        new = None if amount is None else amount + v.amount_delta
        modifications.append({"id": f"variacion-{index}", "date": date_time(v.approved_on), "type": "value",
                              "description": v.description, "rationale": v.legal_reference,
                              "oldContractValue": _value(amount), "newContractValue": _value(new)})
        amount = new
    suppliers = [{"id": f"PE-RUC-{m.company.ruc}", "name": m.company.trade_name or m.company.legal_name}
                 for m in p.members]
    if p.executing_company:
        suppliers.append({"id": "ejecutora", "name": p.executing_company})
    transactions = [{"id": c.number if c.number.upper().startswith(c.cert_type) else f"{c.cert_type}-{c.number}", "date": date_time(c.issue_date), "value": _value(c.amount),
                     "payer": {"id": f"entidad-{p.entity.id}", "name": p.entity.name},
                     "relatedImplementationMilestone": {"id": milestone_ids[c.milestone_id][0],
                                                        "title": milestone_ids[c.milestone_id][1]}
                     if c.milestone_id in milestone_ids else None}
                    for c in facts.certificates.get(p.id, [])]
    convenio = {"id": f"{pid}-convenio", "summary": {
        "title": "Convenio de inversión (Obras por Impuestos)", "nature": ["design", "construction"],
        "status": PROCESS_STATUS.get(p.stage, "pre-award"),
        "tender": {"procurementMethod": "open", "procurementMethodDetails": "Ley 29230 (Obras por Impuestos)",
                   "datePublished": date_time(p.call_on), "costEstimate": _value(p.reference_amount),
                   "procuringEntity": {"id": f"entidad-{p.entity.id}", "name": p.entity.name}},
        "suppliers": suppliers if p.awarded_amount is not None else [],
        "contractValue": _value(p.awarded_amount),
        "contractPeriod": {"startDate": date_time(p.start_on), "endDate": date_time(p.completion_on),
                           "durationInDays": p.term_days},
        "finalValue": _value(p.final_cost) if p.stage in (Stage.RECIBIDO, Stage.LIQUIDADO) else None,
        "modifications": modifications,
        "milestones": [{"id": "convenio-suscrito", "title": "Suscripción del convenio de inversión",
                        "type": "approval", "dueDate": date_time(p.convenio_on), "dateMet": date_time(p.convenio_on),
                        "status": "met"}] if p.convenio_on else [],
        "transactions": transactions}}
    processes = [convenio]
    if p.supervisor:
        processes.append({"id": f"{pid}-supervision", "summary": {
            "title": "Supervisión (entidad privada supervisora)", "nature": ["supervision"],
            "status": PROCESS_STATUS.get(p.stage, "pre-award"),
            "suppliers": [{"id": "supervisora", "name": p.supervisor}]}})
    return processes


def project_record(project: Project, facts: Facts, *, prefix: str, today: dt.date | None = None) -> dict:
    """One project as an OC4IDS project (a dict ready for ``dumps``; amounts are exact)."""
    today = today or clock.today()
    p = project
    pid = project_id(p, prefix)
    milestones = facts.milestones.get(p.id, [])
    current = current_amount(p, facts.variations.get(p.id, []))
    milestone_ids = {m.id: (f"hito-{i}", MILESTONE_KINDS.get(m.kind, m.kind)) for i, m in enumerate(milestones, start=1)}
    parties = [_entity_party(p), *_funders(p)]
    if p.executing_company:
        parties.append({"id": "ejecutora", "name": p.executing_company, "roles": ["supplier"]})
    if p.supervisor:
        parties.append({"id": "supervisora", "name": p.supervisor, "roles": ["supplier"]})
    locations = [{"id": loc.ubigeo, "description": ubigeo.describe(loc.ubigeo),
                  "gazetteer": {"scheme": GAZETTEER, "identifiers": [loc.ubigeo]},
                  "address": {"locality": ubigeo.district_name(loc.ubigeo), "region": ubigeo.department_name(loc.ubigeo[:2]),
                              "countryName": "Perú"}} for loc in p.locations]
    if not locations and p.multidepartmental:
        locations = [{"id": "multidepartamental", "description": "Multidepartamental (varios departamentos)",
                      "address": {"countryName": "Perú"}}]
    record = {
        "id": pid,
        "identifiers": [{"id": p.cui, "scheme": "PE-CUI"}] if p.cui else [],
        "updated": instant(facts.updated.get(p.id) or p.created_at),
        "language": "es",
        "title": p.name,
        "description": p.description,
        "status": PROJECT_STATUS.get(p.stage, "identification"),
        "localStatus": p.stage,
        "type": "construction",
        "sector": ["governance"],
        "additionalClassifications": [{"scheme": SECTOR_SCHEME, "id": p.sector,
                                       "description": SECTORS.get(p.sector, p.sector)}],
        "purpose": SECTORS.get(p.sector, p.sector),
        "publicAuthority": {"id": f"entidad-{p.entity.id}", "name": p.entity.name},
        "locations": locations,
        "budget": {"description": "Monto referencial del proyecto declarado viable (Invierte.pe)",
                   "amount": _value(p.reference_amount), "approvalDate": date_time(p.prioritized_on),
                   "finance": _finance(p, current)},
        "period": {"startDate": date_time(p.start_on), "endDate": date_time(p.completion_on),
                   "durationInDays": p.term_days},
        "parties": parties,
        "contractingProcesses": _contracting(p, facts, pid, milestone_ids),
        "milestones": [_milestone(m, i, today) for i, m in enumerate(milestones, start=1)],
        "forecasts": _progress(milestones, "planned_physical", "planned_date"),
        "metrics": _progress(milestones, "actual_physical", "actual_date"),
        "completion": {"endDate": date_time(p.reception_on), "finalValue": _value(p.final_cost)}
        if p.reception_on else None,
    }
    return clean(record)


def dumps(data: dict) -> str:
    """JSON text with the amounts as exact numbers."""
    return _NUMBER.sub(r"\1", json.dumps(data, ensure_ascii=False, indent=2))


def package(records: list[dict], *, uri: str, published: dt.datetime, policy_uri: str) -> dict:
    return {"uri": uri, "publishedDate": instant(published),
            "publisher": {"name": PUBLISHER}, "license": LICENSE, "publicationPolicy": policy_uri,
            "version": VERSION, "projects": records}
