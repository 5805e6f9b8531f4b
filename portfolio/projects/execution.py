"""Budget lines (versioned), variations (adendas) and milestones (hitos / valorizaciones).

A budget revision adds a new ``BudgetRevision`` row: the original (version 1) is never overwritten.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from portfolio import audit, clock, db
from portfolio.auth.policy import service
from portfolio.domain_errors import DomainError
from portfolio.projects import caps, stages
from portfolio.projects.models import (
    BUDGET_CATEGORIES,
    MILESTONE_KINDS,
    MILESTONE_STATUSES,
    BudgetLine,
    BudgetRevision,
    Milestone,
    Project,
    Variation,
    pct_to_hundredths,
)
from portfolio.projects.services import _text, check_version, flush_or_conflict, money_value, pct_value
from portfolio.projects.vocab import (
    ACCEPTED_MILESTONE_STATUSES,
    CLOSED_STAGES,
    VARIATION_STAGES,
    MilestoneStatus,
)

ZERO = Decimal("0.00")
MILESTONE_FIELDS = ["kind", "description", "planned_date", "actual_date", "planned_physical", "actual_physical",
                    "amount", "status", "conformity_date"]


def _not_future(value: dt.date | None, field: str) -> None:
    if value is not None and value > clock.today():
        raise DomainError("La fecha no puede ser futura.", field=field)


def _after_convenio(project: Project, value: dt.date | None, field: str, what: str) -> None:
    if value is None:
        return
    if project.convenio_on is None:
        raise DomainError(f"Registre primero la suscripción del convenio: {what} no puede tener fecha real antes.",
                          field=field)
    if value < project.convenio_on:
        raise DomainError(f"La fecha {what} no puede ser anterior a la suscripción del convenio "
                          f"({project.convenio_on:%d/%m/%Y}).", field=field)


# --- budget ------------------------------------------------------------------------------------------

@service("projects.manage")
def add_budget_line(*, project: Project, category: str, description: str | None, amount: Any,
                    actor) -> BudgetLine:
    """Add a budget line with its original amount as version 1, which is never overwritten."""
    if category not in BUDGET_CATEGORIES:
        raise DomainError("Seleccione la categoría de la partida.", field="category")
    value = money_value(amount, "amount")
    if value is None:
        raise DomainError("Ingrese el monto original de la partida.", field="amount")
    line = BudgetLine(project_id=project.id, category=category, description=_text(description, 300),
                      accrued=ZERO, paid=ZERO)
    line.revisions.append(BudgetRevision(number=1, amount=value, reason="Presupuesto original",
                                         created_by_id=getattr(actor, "id", None)))
    db.session.add(line)
    db.session.flush()
    audit.record("budget.add", line, after={"project_id": project.id, "category": category, "original": value},
                 actor=actor)
    return line


@service("projects.manage")
def revise_budget_line(*, line: BudgetLine, amount: Any, reason: str | None, actor) -> BudgetRevision:
    """A justified budget revision (a new version), never below what is already accrued."""
    value = money_value(amount, "amount")
    if value is None:
        raise DomainError("Ingrese el nuevo monto de la partida.", field="amount")
    if not _text(reason):
        raise DomainError("Indique el sustento de la modificación presupuestal.", field="reason")
    if value < line.accrued:
        raise DomainError("El presupuesto modificado no puede ser menor que lo ya devengado.", field="amount")
    number = (db.session.scalar(select(func.max(BudgetRevision.number)).where(BudgetRevision.line_id == line.id))
              or 0) + 1
    revision = BudgetRevision(line_id=line.id, number=number, amount=value, reason=_text(reason, 300),
                              created_by_id=getattr(actor, "id", None))
    db.session.add(revision)
    db.session.flush()
    db.session.expire(line, ["revisions"])
    audit.record("budget.revise", line, after={"version": number, "amount": value, "reason": revision.reason},
                 actor=actor)
    return revision


@service("projects.manage")
def record_budget_execution(*, line: BudgetLine, accrued: Any, paid: Any, expected_version: int | None,
                            actor) -> BudgetLine:
    """Record accrued and paid to date: paid ≤ accrued ≤ the line's current budget."""
    check_version(line, expected_version)
    accrued_value = money_value(accrued, "accrued")
    paid_value = money_value(paid, "paid")
    if accrued_value is None or paid_value is None:
        raise DomainError("Ingrese el devengado y el girado acumulados (pueden ser 0.00).")
    if accrued_value > line.current:
        raise DomainError("El devengado no puede superar el presupuesto vigente de la partida.", field="accrued")
    if paid_value > accrued_value:
        raise DomainError("El girado no puede superar el devengado.", field="paid")
    before = {"accrued": line.accrued, "paid": line.paid}
    line.accrued, line.paid = accrued_value, paid_value
    flush_or_conflict()
    audit.record("budget.execution", line, before=before, after={"accrued": accrued_value, "paid": paid_value},
                 actor=actor)
    return line


# --- variations --------------------------------------------------------------------------------------

@service("projects.manage")
def add_variation(*, project: Project, kind: str, amount_delta: Any, days_delta: Any, approved_on: dt.date | None,
                  legal_reference: str | None, description: str | None = None, actor) -> tuple[Variation, list[str]]:
    """An adenda between convenio and reception, with its legal reference, within the variation and CIPRL caps."""
    if project.stage not in VARIATION_STAGES:
        raise DomainError("Solo se registran adendas con el convenio suscrito y antes de la recepción "
                          f"(etapa actual: {stages.label(project.stage)}).")
    if kind not in ("plazo", "monto", "alcance"):
        raise DomainError("Seleccione el tipo de variación.", field="kind")
    amount = money_value(amount_delta, "amount_delta", allow_negative=True) or ZERO
    try:
        days = int(days_delta or 0)
    except (TypeError, ValueError) as exc:
        raise DomainError("Los días deben ser un número entero.", field="days_delta") from exc
    if abs(days) > 3650:
        raise DomainError("Los días de ampliación no pueden superar 3650.", field="days_delta")
    if kind == "monto" and amount == 0:
        raise DomainError("Una variación de monto necesita un monto distinto de cero.", field="amount_delta")
    if kind == "plazo" and days == 0:
        raise DomainError("Una ampliación de plazo necesita los días.", field="days_delta")
    if approved_on is None:
        raise DomainError("Indique la fecha de aprobación.", field="approved_on")
    _not_future(approved_on, "approved_on")
    _after_convenio(project, approved_on, "approved_on", "de aprobación")
    reference = _text(legal_reference, 200)
    if not reference:
        raise DomainError("Indique la referencia legal de la adenda (resolución o documento).", field="legal_reference")
    caps.lock_for_limits(project)
    check = stages.Check()
    caps.check_variation_cap(project, amount, approved_on, check)
    if not check.reasons and amount > 0:
        caps.check_ciprl_cap(project.entity, project.convenio_on.year, amount, approved_on, check, "esta variación")
    if check.reasons:
        raise DomainError(" ".join(check.reasons), field="amount_delta")
    variation = Variation(project_id=project.id, kind=kind, amount_delta=amount, days_delta=days,
                          approved_on=approved_on, legal_reference=reference, description=_text(description))
    db.session.add(variation)
    if days and project.term_days is not None:
        project.term_days = max(0, project.term_days + days)
    flush_or_conflict()
    db.session.expire(project, ["variations_total"])
    audit.record("variation.add", variation, after={"project_id": project.id, "kind": kind, "amount_delta": amount,
                                                    "days_delta": days, "approved_on": approved_on,
                                                    "legal_reference": reference, "warnings": check.warnings},
                 actor=actor)
    return variation, check.warnings


# --- milestones --------------------------------------------------------------------------------------

def _milestone_values(project: Project, data: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    values["kind"] = data.get("kind") or ""
    if values["kind"] not in MILESTONE_KINDS:
        raise DomainError("Seleccione el tipo de hito.", field="kind")
    values["description"] = _text(data.get("description"), 300)
    values["planned_date"] = data.get("planned_date")
    if not isinstance(values["planned_date"], dt.date):
        raise DomainError("Indique la fecha programada.", field="planned_date")
    for name in ("actual_date", "conformity_date"):
        value = data.get(name)
        if value is not None and not isinstance(value, dt.date):
            raise DomainError("Fecha inválida (use dd/mm/aaaa).", field=name)
        values[name] = value
        _not_future(value, name)
    _after_convenio(project, values["actual_date"], "actual_date", "real del hito")
    _after_convenio(project, values["conformity_date"], "conformity_date", "de conformidad")
    if values["conformity_date"] and (values["actual_date"] is None or values["conformity_date"] < values["actual_date"]):
        raise DomainError("La conformidad requiere la fecha real y no puede ser anterior a ella.",
                          field="conformity_date")
    for name in ("planned_physical", "actual_physical"):
        raw = data.get(name)
        values[name] = None if raw in (None, "") else pct_to_hundredths(pct_value(raw, name))
    values["amount"] = money_value(data.get("amount"), "amount")
    values["status"] = data.get("status") or MilestoneStatus.PROGRAMADO
    if values["status"] not in MILESTONE_STATUSES:
        raise DomainError("Seleccione el estado del hito.", field="status")
    if values["status"] in ACCEPTED_MILESTONE_STATUSES and values["actual_date"] is None:
        raise DomainError("Un hito cumplido o parcial necesita su fecha real.", field="actual_date")
    if values["status"] == MilestoneStatus.PROGRAMADO and values["actual_date"] is not None:
        raise DomainError("Con fecha real, indique si el hito se cumplió, fue parcial o no se cumplió.",
                          field="status")
    if values["actual_physical"] is not None and values["actual_date"] is None:
        raise DomainError("El avance físico real necesita la fecha real.", field="actual_date")
    return values


@service("projects.manage")
def add_milestone(*, project: Project, data: dict[str, Any], actor) -> Milestone:
    """Add a milestone to an open project; real dates after the convenio and never future."""
    if project.stage in CLOSED_STAGES:
        raise DomainError(f"No se agregan hitos a un proyecto {stages.label(project.stage).lower()}.")
    values = _milestone_values(project, data)
    milestone = Milestone(project_id=project.id, **values)
    db.session.add(milestone)
    db.session.flush()
    audit.record("milestone.add", milestone, after=audit.snapshot(milestone, MILESTONE_FIELDS) |
                 {"project_id": project.id}, actor=actor)
    return milestone


@service("projects.manage")
def update_milestone(*, project: Project, milestone: Milestone, data: dict[str, Any], expected_version: int | None,
                     actor) -> Milestone:
    """Edit a milestone (optimistic locking) without un-backing the certificates it supports."""
    check_version(milestone, expected_version)
    if project.stage in CLOSED_STAGES:
        raise DomainError(f"El proyecto está {stages.label(project.stage).lower()}: sus hitos ya no cambian.")
    values = _milestone_values(project, data)
    certified = caps.live_certificates_total(project.id, milestone.id)
    if certified and ((values["amount"] or ZERO) < certified or values["conformity_date"] is None):
        raise DomainError(f"Este hito respalda certificados por {certified:,.2f}: no puede quitarle la conformidad "
                          "ni bajar su monto por debajo de lo certificado.", field="amount")
    before = audit.snapshot(milestone, MILESTONE_FIELDS)
    for name, value in values.items():
        setattr(milestone, name, value)
    flush_or_conflict()
    old, new = audit.changes(before, audit.snapshot(milestone, MILESTONE_FIELDS))
    audit.record("milestone.update", milestone, before=old, after=new, actor=actor)
    return milestone
