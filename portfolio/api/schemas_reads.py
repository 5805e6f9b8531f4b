"""Shapes of the read operations for staff, auditors and MEF, and of the milestone progress write."""
from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from portfolio.api.schemas import Day, Instant, Money, MoneyOut, Out, Page, Strict
from portfolio.orgs.models import LEVELS
from portfolio.projects.vocab import MilestoneStatus, Stage

PCT_PATTERN = r"^(100\.00|[0-9]{1,2}\.[0-9]{2})$"
Pct = str
StageName = Literal[tuple(str(s) for s in Stage)]  # type: ignore[valid-type]
LevelName = Literal[tuple(LEVELS)]  # type: ignore[valid-type]


class ProjectQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    stage: StageName | None = Field(None, description="Etapa (priorizado, actos_previos, …).")
    entity_id: int | None = Field(None, ge=1, le=2**31 - 1, description="Entidad pública (id).")
    level: LevelName | None = Field(None, description="Nivel de gobierno de la entidad.")
    region: str | None = Field(None, pattern=r"^([0-9]{2}|multi)$",
                               description="Departamento (2 dígitos de ubigeo, La Libertad = 13) o «multi».")
    updated_since: Instant | None = Field(None, description="Solo proyectos creados o cambiados desde (ISO 8601).")
    cursor: str | None = Field(None, max_length=200)
    limit: int = Field(50, ge=1, le=200)


class EntityRef(Out):
    id: int
    name: str
    level: str
    certificate_type: str


class MemberOut(Out):
    company_id: int
    legal_name: str
    share_pct: str


class ProjectOut(Out):
    id: int
    cui: str | None
    name: str
    entity: EntityRef
    stage: str
    stage_label: str
    sector: str
    multidepartmental: bool
    ubigeos: list[str]
    reference_amount: MoneyOut | None
    awarded_amount: MoneyOut | None
    current_amount: MoneyOut
    members: list[MemberOut]
    convenio_on: dt.date | None
    start_on: dt.date | None
    reception_on: dt.date | None


class ProjectList(Page):
    items: list[ProjectOut]


class BudgetLineOut(Out):
    id: int
    category: str
    description: str | None
    original: MoneyOut
    current: MoneyOut
    accrued: MoneyOut
    paid: MoneyOut


class VariationOut(Out):
    id: int
    kind: str
    amount_delta: MoneyOut
    days_delta: int
    approved_on: dt.date
    legal_reference: str


class MilestoneOut(Out):
    id: int
    kind: str
    description: str | None
    planned_date: dt.date
    actual_date: dt.date | None
    planned_physical_pct: str | None
    actual_physical_pct: str | None
    amount: MoneyOut | None
    status: str
    conformity_date: dt.date | None
    version: int


class CertificateOut(Out):
    id: int
    type: str
    number: str
    amount: MoneyOut
    issue_date: dt.date
    status: str
    milestone_id: int | None


class ProjectDetail(ProjectOut):
    budget: list[BudgetLineOut]
    variations: list[VariationOut]
    milestones: list[MilestoneOut]
    certificates: list[CertificateOut]


class CapQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    year: int = Field(ge=2000, le=2100, description="Año del tope.")


class CapOut(Out):
    entity_id: int
    name: str
    year: int
    cap: MoneyOut | None
    used: MoneyOut
    committed: MoneyOut
    issued: MoneyOut
    remaining: MoneyOut | None


class TrustStatementLine(Out):
    concept: str
    amount: MoneyOut


class TrustStatementOut(Out):
    start: dt.date
    end: dt.date
    opening_balance: MoneyOut
    lines: list[TrustStatementLine]
    closing_balance: MoneyOut
    ties: bool


class VoteOut(Out):
    decision: str
    cast_on: dt.date


class TrancheOut(Out):
    amount: MoneyOut
    reference: str
    executed_on: dt.date


class DisbursementOut(Out):
    id: int
    program_id: int
    organization_id: int
    year: int
    amount: MoneyOut
    purpose: str
    status: str
    paid_amount: MoneyOut
    votes: list[VoteOut]
    tranches: list[TrancheOut]


class DisbursementList(Page):
    items: list[DisbursementOut]


class ProgramOut(Out):
    program_id: int
    code: str
    name: str
    allocation: MoneyOut
    reserved: MoneyOut
    paid: MoneyOut
    free: MoneyOut


class ProgramList(Out):
    year: int
    items: list[ProgramOut]


class YearQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    year: int | None = Field(None, ge=2000, le=2100)


class AuditOut(Out):
    id: int
    at: dt.datetime
    actor: str | None
    action: str
    action_label: str
    object_type: str
    object_id: str | None
    before: dict | None
    after: dict | None


class AuditList(Page):
    items: list[AuditOut]


class ChangeQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    after: str | None = Field(None, max_length=200, description="Cursor: el next_cursor de la respuesta anterior.")
    limit: int = Field(100, ge=1, le=500)


class ChangeOut(Out):
    id: int
    at: dt.datetime
    action: str
    action_label: str
    object_type: str
    object_id: str | None


class ChangeList(Out):
    items: list[ChangeOut]
    next_cursor: str = Field(description="Páselo como «after» para recibir lo que cambie después.")


class ProgressIn(Strict):
    version: int = Field(ge=1, description="Versión del hito leída (bloqueo optimista).")
    actual_date: Day | None = None
    actual_physical_pct: str | None = Field(None, pattern=PCT_PATTERN, description='Avance físico real, "45.50".')
    amount: Money | None = Field(None, description="Monto de la valorización.")
    conformity_date: Day | None = None
    status: Literal[tuple(str(s) for s in MilestoneStatus)]  # type: ignore[valid-type]
