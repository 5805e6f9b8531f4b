"""Projects: create, edit (optimistic locking), financing companies and stage transitions.

Services take keyword-only arguments and a required ``actor`` (checked against the policy), add/flush but never commit, write one audit row per action and raise
DomainError subclasses with Spanish messages. Budget, variations and milestones live in ``execution.py``;
certificates in ``certificates.py``.
"""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from portfolio import audit, clock, db, service_checks
from portfolio.auth.policy import service
from portfolio.db import utcnow
from portfolio.domain_errors import Conflict, DomainError
from portfolio.money import MoneyError, parse_money
from portfolio.orgs import ubigeo
from portfolio.orgs.models import Company, PublicEntity
from portfolio.projects import stages
from portfolio.projects.models import (
    MECHANISMS,
    SECTORS,
    Project,
    ProjectLocation,
    ProjectMember,
    StageTransition,
    pct_to_hundredths,
)
from portfolio.projects.vocab import Stage
from portfolio.service_checks import clean_text

CUI_RE = re.compile(r"^\d{7}$")
CONFLICT_MESSAGE = ("Otra persona modificó este proyecto mientras usted lo editaba. Sus cambios no se guardaron: "
                    "vuelva a abrirlo para ver la versión actual y repita su edición.")

EDITABLE_FIELDS = [
    "cui", "name", "description", "entity_id", "sector", "mechanism", "multidepartmental", "reference_amount",
    "awarded_amount", "final_cost", "term_days", "executing_company", "supervisor", "proinversion_assisted",
    "contraloria_ref", "contraloria_date", "prioritized_on", "call_on", "awarded_on", "convenio_on", "start_on",
    "completion_on", "reception_on", "settlement_on",
]
MONEY_FIELDS = ("reference_amount", "awarded_amount", "final_cost")
DATE_FIELDS = ("contraloria_date", "prioritized_on", "call_on", "awarded_on", "convenio_on", "start_on",
               "completion_on", "reception_on", "settlement_on")
# Once the convenio is signed its amount changes only through variations (adendas).
LOCKED_AFTER_CONVENIO = ("awarded_amount", "convenio_on", "entity_id")


_text = clean_text


def money_value(value: Any, field: str, *, allow_negative: bool = False) -> Decimal | None:
    """Validation: an amount from a form or a caller: exact Decimal, ≤ 2 decimals, not negative unless allowed."""
    if value is None or value == "":
        return None
    try:
        return parse_money(value, allow_negative=allow_negative)
    except MoneyError as exc:
        raise DomainError(str(exc), field=field) from exc


def pct_value(value: Any, field: str, *, minimum: Decimal = Decimal(0)) -> Decimal:
    """Validation: a percentage between 0 and 100 with at most two decimals."""
    try:
        pct = Decimal(str(value).strip().replace("%", ""))
    except (InvalidOperation, AttributeError) as exc:
        raise DomainError("Porcentaje inválido: use un número con hasta dos decimales.", field=field) from exc
    if not pct.is_finite():
        raise DomainError("Porcentaje inválido: use un número con hasta dos decimales.", field=field)
    if pct < minimum or pct > 100 or (minimum > 0 and pct == 0):
        raise DomainError("El porcentaje debe ser mayor que 0 y no mayor que 100." if minimum > 0
                          else "El porcentaje debe estar entre 0 y 100.", field=field)
    if pct != pct.quantize(Decimal("0.01")):
        raise DomainError("Porcentaje inválido: use hasta dos decimales.", field=field)
    return pct.quantize(Decimal("0.01"))


def check_version(obj, expected_version: int | None) -> None:
    """Optimistic locking: refuse the edit if ``obj`` changed since the form was opened."""
    service_checks.check_version(obj, expected_version, CONFLICT_MESSAGE)


def flush_or_conflict() -> None:
    """Optimistic locking: a stale version at flush time becomes a Spanish ``Conflict``."""
    try:
        db.session.flush()
    except StaleDataError as exc:
        raise Conflict(CONFLICT_MESSAGE) from exc


def _values(data: dict[str, Any], project: Project | None) -> dict[str, Any]:
    values: dict[str, Any] = {}
    cui = _text(data.get("cui"))
    if cui and not CUI_RE.match(cui):
        raise DomainError("CUI inválido: el Código Único de Inversiones tiene exactamente 7 dígitos.", field="cui")
    values["cui"] = cui
    query = select(Project.id).where(Project.cui == cui)
    if project is not None:
        query = query.where(Project.id != project.id)
    if cui and db.session.scalar(query):
        raise DomainError(f"Ya existe un proyecto con el CUI {cui}.", field="cui")
    values["name"] = _text(data.get("name"), 300)
    if not values["name"]:
        raise DomainError("Ingrese el nombre del proyecto.", field="name")
    values["description"] = _text(data.get("description"))
    entity_id = data.get("entity_id")
    entity = db.session.get(PublicEntity, int(entity_id)) if str(entity_id or "").isdigit() else None
    if entity is None:
        raise DomainError("Seleccione la entidad pública.", field="entity_id")
    values["entity_id"] = entity.id
    values["sector"] = data.get("sector") or ""
    if values["sector"] not in SECTORS:
        raise DomainError("Seleccione la función o sector.", field="sector")
    values["mechanism"] = data.get("mechanism") or "oxi"
    if values["mechanism"] not in MECHANISMS:
        raise DomainError("Seleccione el mecanismo.", field="mechanism")
    values["multidepartmental"] = bool(data.get("multidepartmental"))
    values["proinversion_assisted"] = bool(data.get("proinversion_assisted"))
    for name in MONEY_FIELDS:
        values[name] = money_value(data.get(name), name)
    term = data.get("term_days")
    if term not in (None, ""):
        if not str(term).isdigit() or int(term) > 36500:
            raise DomainError("El plazo debe ser un número de días entre 0 y 36500.", field="term_days")
        term = int(term)
    values["term_days"] = term if term != "" else None
    for name in ("executing_company", "supervisor"):
        values[name] = _text(data.get(name), 200)
    values["contraloria_ref"] = _text(data.get("contraloria_ref"), 120)
    for name in DATE_FIELDS:
        value = data.get(name)
        if value is not None and not isinstance(value, dt.date):
            raise DomainError("Fecha inválida (use dd/mm/aaaa).", field=name)
        values[name] = value
    _check_dates(values)
    return values


def _check_dates(values: dict[str, Any]) -> None:
    convenio = values.get("convenio_on")
    if convenio:
        for name, label in (("start_on", "inicio"), ("completion_on", "culminación"), ("reception_on", "recepción"),
                            ("settlement_on", "liquidación")):
            if values.get(name) and values[name] < convenio:
                raise DomainError(f"La fecha de {label} no puede ser anterior a la suscripción del convenio.",
                                  field=name)
    if values.get("awarded_on") and convenio and convenio < values["awarded_on"]:
        raise DomainError("La fecha del convenio no puede ser anterior a la buena pro.", field="convenio_on")
    if values.get("call_on") and values.get("awarded_on") and values["awarded_on"] < values["call_on"]:
        raise DomainError("La buena pro no puede ser anterior a la convocatoria.", field="awarded_on")


def parse_locations(text: str | None, multidepartmental: bool) -> list[str]:
    """Validation: the project's district ubigeos (INEI codes), at least one unless multidepartmental."""
    codes = [c for c in re.split(r"[\s,;]+", (text or "").strip()) if c]
    bad = [c for c in codes if not ubigeo.is_valid(c)]
    if bad:
        raise DomainError(f"Ubigeo inválido: {', '.join(bad)} (use códigos INEI de distrito de 6 dígitos).",
                          field="locations")
    if not codes and not multidepartmental:
        raise DomainError("Indique al menos un ubigeo o marque «multidepartamental».", field="locations")
    return sorted(set(codes))


def _set_locations(project: Project, codes: list[str]) -> None:
    current = {loc.ubigeo: loc for loc in project.locations}
    for code in list(current):
        if code not in codes:
            project.locations.remove(current[code])
    for code in codes:
        if code not in current:
            project.locations.append(ProjectLocation(ubigeo=code))


def _record_transition(project: Project, from_stage: str | None, to_stage: str, note: str | None, actor,
                      on: dt.date | None = None) -> None:
    """Append the stage change to the timeline: it happened ``on`` (today by default), recorded now by ``actor``."""
    db.session.add(StageTransition(project_id=project.id, from_stage=from_stage, to_stage=to_stage,
                                   occurred_on=on or clock.today(), at=utcnow(),
                                   actor_id=getattr(actor, "id", None), actor_email=getattr(actor, "email", None),
                                   note=_text(note)))


@service("projects.manage")
def create_project(*, data: dict[str, Any], actor, is_demo: bool = False) -> Project:
    """Register a project in the initial stage: unique 7-digit CUI, an entity, a sector and valid ubigeos."""
    values = _values(data, None)
    codes = parse_locations(data.get("locations"), values["multidepartmental"])
    project = Project(stage=stages.INITIAL_STAGE, is_demo=is_demo, **values)
    db.session.add(project)
    _set_locations(project, codes)
    db.session.flush()
    _record_transition(project, None, stages.INITIAL_STAGE, "Registro del proyecto", actor,
                      on=values.get("prioritized_on"))
    audit.record("project.create", project, after=audit.snapshot(project, EDITABLE_FIELDS) | {"locations": codes},
                 actor=actor)
    return project


@service("projects.manage")
def update_project(*, project: Project, data: dict[str, Any], expected_version: int | None, actor) -> Project:
    """Edit a project (optimistic locking); after the convenio its entity, amount and date change only by adenda."""
    check_version(project, expected_version)
    values = _values(data, project)
    codes = parse_locations(data.get("locations"), values["multidepartmental"])
    if project.stage in stages.CONVENIO_STAGES:
        for name in LOCKED_AFTER_CONVENIO:
            if values[name] != getattr(project, name):
                raise DomainError("El convenio ya está suscrito: la entidad, el monto y la fecha del convenio solo "
                                  "cambian mediante una adenda (variación).", field=name)
    before = audit.snapshot(project, EDITABLE_FIELDS) | {"locations": project.location_codes}
    for name, value in values.items():
        setattr(project, name, value)
    _set_locations(project, codes)
    flush_or_conflict()
    old, new = audit.changes(before, audit.snapshot(project, EDITABLE_FIELDS) | {"locations": codes})
    audit.record("project.update", project, before=old, after=new, actor=actor)
    return project


@service("projects.manage")
def set_members(*, project: Project, rows: list[tuple[Any, Any]], expected_version: int | None,
                actor) -> Project:
    """Replace the financing consortium before the convenio: ``rows`` = [(company_id, share %)], shares sum 100."""
    check_version(project, expected_version)
    if project.stage in stages.CONVENIO_STAGES:
        raise DomainError("El convenio ya está suscrito: el consorcio no puede cambiar desde esta pantalla.")
    parsed: list[tuple[Company, Decimal]] = []
    for index, (company_id, share) in enumerate(rows):
        if not company_id and (share is None or str(share).strip() == ""):
            continue
        field = f"rows-{index}-share"
        company = db.session.get(Company, int(company_id)) if str(company_id or "").isdigit() else None
        if company is None:
            raise DomainError("Seleccione una empresa registrada en cada fila con participación.",
                              field=f"rows-{index}-company_id")
        if any(c.id == company.id for c, _ in parsed):
            raise DomainError(f"{company.display_name} aparece dos veces.", field=f"rows-{index}-company_id")
        parsed.append((company, pct_value(share, field, minimum=Decimal("0.01"))))
    if not parsed:
        raise DomainError("Indique al menos una empresa financista con su participación.")
    total = sum((s for _, s in parsed), Decimal(0))
    if total != Decimal(100):
        raise DomainError(f"Las participaciones deben sumar exactamente 100 % (suman {total} %).")
    before = [(m.company_id, str(m.share)) for m in project.members]
    project.members.clear()
    db.session.flush()
    for position, (company, share) in enumerate(parsed):
        project.members.append(ProjectMember(company_id=company.id, share_hundredths=pct_to_hundredths(share),
                                             position=position))
    flag_modified(project, "name")  # members live in their own table: bump the project's version too
    flush_or_conflict()
    audit.record("project.members", project, before={"members": before},
                 after={"members": [(c.id, str(s)) for c, s in parsed]}, actor=actor)
    return project


@service("projects.manage")
def transition(*, project: Project, target: str, note: str = "", on: dt.date | None = None,
               expected_stage: str | None = None, actor) -> stages.Check:
    """Move ``project`` to ``target`` only if the stage transition table and its precondition allow it."""
    if expected_stage is not None and expected_stage != project.stage:
        raise Conflict(f"El proyecto ya no está en «{stages.label(expected_stage)}» (ahora: "
                       f"«{stages.label(project.stage)}»). Vuelva a cargar la página.")
    if on is not None and on > clock.today():
        raise DomainError("La fecha no puede ser futura.", field="on")
    if target == Stage.CONVENIO_SUSCRITO:
        from portfolio.projects.caps import lock_for_limits

        lock_for_limits(project)  # the CIPRL cap check must not race another convenio of the same entity
    date_field = stages.STAGE_DATES.get(target)
    if project.stage == Stage.SUSPENDIDO:
        date_field = None  # resuming keeps the original start date
    previous_date = getattr(project, date_field) if date_field else None
    if on is not None and date_field and target in stages.allowed_next(project.stage):
        setattr(project, date_field, on)
    check = stages.check_transition(project, target, note)
    if not check.ok:
        if date_field:
            setattr(project, date_field, previous_date)
        raise DomainError(" ".join(check.reasons), field="target")
    from_stage = project.stage
    project.stage = target
    flush_or_conflict()
    _record_transition(project, from_stage, target, note, actor, on=on)
    audit.record("project.transition", project, before={"stage": from_stage},
                 after={"stage": target, "note": _text(note), "warnings": check.warnings}, actor=actor)
    return check
