"""Obras por Impuestos: projects, consortium members, stage transitions, budget, variations, milestones,
certificates and the company's prior-year tax declarations.

Money columns are ``Money`` (integer céntimos ↔ Decimal). Percent shares and physical progress are kept
as integer hundredths of a percent (``3333`` = 33.33 %) so they are exact on SQLite and PostgreSQL.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    select,
)
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from portfolio import clock
from portfolio.db_types import Base, Money, UTCDateTime, utcnow
from portfolio.orgs.models import Company, PublicEntity
from portfolio.projects.vocab import (  # noqa: F401  (the status sets are re-exported for existing imports)
    ACCEPTED_MILESTONE_STATUSES,
    CLOSED_MILESTONE_STATUSES,
    LIVE_CERTIFICATE_STATUSES,
    CertificateStatus,
    MilestoneStatus,
    Stage,
)

HUNDRED = Decimal(100)

SECTORS = {
    "orden_publico": "Orden público y seguridad",
    "justicia": "Justicia (sistema penitenciario)",
    "defensa": "Defensa y seguridad nacional",
    "otros": "Otras funciones",
}

MECHANISMS = {
    "oxi": "Obras por Impuestos",
    "activos": "Proyectos en activos",
}

BUDGET_CATEGORIES = {
    "expediente": "Expediente técnico",
    "obra": "Obra o equipamiento",
    "supervision": "Supervisión",
    "mantenimiento": "Mantenimiento u operación",
    "otros": "Otros",
}

VARIATION_KINDS = {
    "plazo": "Ampliación de plazo",
    "monto": "Variación de monto (mayores trabajos / deductivos)",
    "alcance": "Variación de alcance",
}

MILESTONE_KINDS = {
    "expediente": "Expediente técnico",
    "inicio": "Inicio",
    "valorizacion": "Valorización / avance",
    "entrega": "Entrega de equipamiento",
    "culminacion": "Culminación",
    "recepcion": "Recepción",
    "liquidacion": "Liquidación",
    "mantenimiento": "Mantenimiento",
}

MILESTONE_STATUSES = {
    MilestoneStatus.PROGRAMADO: "Programado",
    MilestoneStatus.CUMPLIDO: "Cumplido",
    MilestoneStatus.PARCIAL: "Parcial",
    MilestoneStatus.NO_CUMPLIDO: "No cumplido",
}

CERTIFICATE_STATUSES = {
    CertificateStatus.SOLICITADO: "Solicitado",
    CertificateStatus.EMITIDO: "Emitido",
    CertificateStatus.ANULADO: "Anulado",
}


def hundredths_to_pct(value: int | None) -> Decimal | None:
    return None if value is None else (Decimal(value) / HUNDRED).quantize(Decimal("0.01"))


def pct_to_hundredths(value: Decimal) -> int:
    scaled = value * HUNDRED
    if scaled != scaled.to_integral_value():
        raise ValueError("more than two decimals")
    return int(scaled)


class Project(Base):
    __tablename__ = "projects"
    __table_args__ = (
        CheckConstraint("reference_amount IS NULL OR reference_amount >= 0", name="reference_not_negative"),
        CheckConstraint("awarded_amount IS NULL OR awarded_amount >= 0", name="awarded_not_negative"),
        CheckConstraint("final_cost IS NULL OR final_cost >= 0", name="final_cost_not_negative"),
        Index("ix_projects_stage_entity", "stage", "entity_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cui: Mapped[str | None] = mapped_column(String(7), unique=True)
    name: Mapped[str] = mapped_column(String(300), index=True)
    description: Mapped[str | None] = mapped_column(Text)
    entity_id: Mapped[int] = mapped_column(ForeignKey("public_entities.id"), index=True)
    sector: Mapped[str] = mapped_column(String(30))
    mechanism: Mapped[str] = mapped_column(String(20), default="oxi")
    multidepartmental: Mapped[bool] = mapped_column(Boolean, default=False)
    stage: Mapped[str] = mapped_column(String(30), default=Stage.PRIORIZADO)
    reference_amount: Mapped[Decimal | None] = mapped_column(Money)
    awarded_amount: Mapped[Decimal | None] = mapped_column(Money)
    final_cost: Mapped[Decimal | None] = mapped_column(Money)
    term_days: Mapped[int | None] = mapped_column(Integer)
    executing_company: Mapped[str | None] = mapped_column(String(200))
    supervisor: Mapped[str | None] = mapped_column(String(200))
    proinversion_assisted: Mapped[bool] = mapped_column(Boolean, default=False)
    contraloria_ref: Mapped[str | None] = mapped_column(String(120))
    contraloria_date: Mapped[dt.date | None] = mapped_column(Date)
    prioritized_on: Mapped[dt.date | None] = mapped_column(Date)
    call_on: Mapped[dt.date | None] = mapped_column(Date)
    awarded_on: Mapped[dt.date | None] = mapped_column(Date)
    convenio_on: Mapped[dt.date | None] = mapped_column(Date)
    start_on: Mapped[dt.date | None] = mapped_column(Date)
    completion_on: Mapped[dt.date | None] = mapped_column(Date)
    reception_on: Mapped[dt.date | None] = mapped_column(Date)
    settlement_on: Mapped[dt.date | None] = mapped_column(Date)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}

    entity: Mapped[PublicEntity] = relationship(lazy="joined", innerjoin=True)
    members: Mapped[list[ProjectMember]] = relationship(
        back_populates="project", order_by="ProjectMember.position", cascade="all, delete-orphan"
    )
    locations: Mapped[list[ProjectLocation]] = relationship(
        back_populates="project", order_by="ProjectLocation.ubigeo", cascade="all, delete-orphan"
    )

    @property
    def original_convenio_amount(self) -> Decimal | None:
        """The convenio as signed: the awarded amount."""
        return self.awarded_amount

    @property
    def current_convenio_amount(self) -> Decimal:
        """Awarded + Σ approved monetary variations (``variations_total`` is a SQL subquery)."""
        return (self.awarded_amount or Decimal("0.00")) + (self.variations_total or Decimal("0.00"))

    @property
    def current_amount(self) -> Decimal:
        """The amount shown in lists and the pipeline: current convenio if any, else the reference amount."""
        if self.awarded_amount is not None:
            return self.current_convenio_amount
        return self.reference_amount or Decimal("0.00")

    @property
    def certificate_type(self) -> str:
        return self.entity.certificate_type

    @property
    def location_codes(self) -> list[str]:
        return [loc.ubigeo for loc in self.locations]


# current convenio amount = awarded + Σ approved monetary variations: derived in SQL, never typed.
def _variations_total():
    return (
        select(func.coalesce(func.sum(Variation.amount_delta), 0))
        .where(Variation.project_id == Project.id)
        .correlate_except(Variation)
        .scalar_subquery()
    )


class ProjectMember(Base):
    """A financing company; several rows make a consortium. Shares sum to exactly 100 % (service rule)."""

    __tablename__ = "project_members"
    __table_args__ = (
        UniqueConstraint("project_id", "company_id", name="uq_project_members_project_company"),
        CheckConstraint("share_hundredths > 0 AND share_hundredths <= 10000", name="share_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    share_hundredths: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer, default=0)

    project: Mapped[Project] = relationship(back_populates="members")
    company: Mapped[Company] = relationship(lazy="joined", innerjoin=True)

    @property
    def share(self) -> Decimal:
        return hundredths_to_pct(self.share_hundredths)


class ProjectLocation(Base):
    __tablename__ = "project_locations"
    __table_args__ = (UniqueConstraint("project_id", "ubigeo", name="uq_project_locations_project_ubigeo"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    ubigeo: Mapped[str] = mapped_column(String(6), index=True)

    project: Mapped[Project] = relationship(back_populates="locations")


class StageTransition(Base):
    """Every change of stage: when it happened (``occurred_on``, a business date), who recorded it and when
    (``at``, UTC), from, to and why. Append-only."""

    __tablename__ = "project_stage_transitions"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    from_stage: Mapped[str | None] = mapped_column(String(30))
    to_stage: Mapped[str] = mapped_column(String(30))
    occurred_on: Mapped[dt.date] = mapped_column(Date, default=clock.today)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_email: Mapped[str | None] = mapped_column(String(254))
    note: Mapped[str | None] = mapped_column(Text)


class BudgetLine(Base):
    """A budget line by category. Its amounts live in versioned revisions (version 1 = original)."""

    __tablename__ = "budget_lines"
    __table_args__ = (
        CheckConstraint("accrued >= 0 AND paid >= 0", name="execution_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    category: Mapped[str] = mapped_column(String(20))
    description: Mapped[str | None] = mapped_column(String(300))
    accrued: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    paid: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}

    revisions: Mapped[list[BudgetRevision]] = relationship(
        back_populates="line", order_by="BudgetRevision.number", cascade="all, delete-orphan"
    )

    @property
    def category_label(self) -> str:
        return BUDGET_CATEGORIES.get(self.category, self.category)

    @property
    def original(self) -> Decimal:
        return self.revisions[0].amount if self.revisions else Decimal("0.00")

    @property
    def current(self) -> Decimal:
        return self.revisions[-1].amount if self.revisions else Decimal("0.00")


class BudgetRevision(Base):
    """One version of a budget line's amount. Rows are only ever added, never updated."""

    __tablename__ = "budget_revisions"
    __table_args__ = (
        UniqueConstraint("line_id", "number", name="uq_budget_revisions_line_number"),
        CheckConstraint("amount >= 0", name="amount_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("budget_lines.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    amount: Mapped[Decimal] = mapped_column(Money)
    reason: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    line: Mapped[BudgetLine] = relationship(back_populates="revisions")


class Variation(Base):
    """An approved adenda: plazo (days), monto (amount delta) or alcance."""

    __tablename__ = "project_variations"
    __table_args__ = (CheckConstraint("kind IN ('plazo', 'monto', 'alcance')", name="kind_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    amount_delta: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    days_delta: Mapped[int] = mapped_column(Integer, default=0)
    approved_on: Mapped[dt.date] = mapped_column(Date)
    legal_reference: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def kind_label(self) -> str:
        return VARIATION_KINDS.get(self.kind, self.kind)


Project.variations_total = column_property(_variations_total(), deferred=False)  # type: ignore[attr-defined]


class Milestone(Base):
    __tablename__ = "project_milestones"
    __table_args__ = (
        CheckConstraint("amount IS NULL OR amount >= 0", name="amount_not_negative"),
        CheckConstraint("planned_physical IS NULL OR (planned_physical >= 0 AND planned_physical <= 10000)",
                        name="planned_physical_range"),
        CheckConstraint("actual_physical IS NULL OR (actual_physical >= 0 AND actual_physical <= 10000)",
                        name="actual_physical_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    description: Mapped[str | None] = mapped_column(String(300))
    planned_date: Mapped[dt.date] = mapped_column(Date)
    actual_date: Mapped[dt.date | None] = mapped_column(Date)
    planned_physical: Mapped[int | None] = mapped_column(Integer)  # cumulative, hundredths of a percent
    actual_physical: Mapped[int | None] = mapped_column(Integer)
    amount: Mapped[Decimal | None] = mapped_column(Money)  # valorización amount
    status: Mapped[str] = mapped_column(String(20), default=MilestoneStatus.PROGRAMADO)
    conformity_date: Mapped[dt.date | None] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}

    @property
    def kind_label(self) -> str:
        return MILESTONE_KINDS.get(self.kind, self.kind)

    @property
    def status_label(self) -> str:
        return MILESTONE_STATUSES.get(self.status, self.status)

    @property
    def planned_physical_pct(self) -> Decimal | None:
        return hundredths_to_pct(self.planned_physical)

    @property
    def actual_physical_pct(self) -> Decimal | None:
        return hundredths_to_pct(self.actual_physical)

    @property
    def accepted(self) -> bool:
        return self.conformity_date is not None and self.status in ACCEPTED_MILESTONE_STATUSES

    def overdue(self, today: dt.date) -> bool:
        return self.status == MilestoneStatus.PROGRAMADO and self.actual_date is None and self.planned_date < today

    @property
    def label(self) -> str:
        return f"{self.kind_label} — {self.description}" if self.description else self.kind_label


class Certificate(Base):
    __tablename__ = "project_certificates"
    __table_args__ = (
        UniqueConstraint("cert_type", "number", name="uq_project_certificates_type_number"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("cert_type IN ('CIPRL', 'CIPGN')", name="type_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    milestone_id: Mapped[int | None] = mapped_column(ForeignKey("project_milestones.id"))
    cert_type: Mapped[str] = mapped_column(String(5))
    number: Mapped[str] = mapped_column(String(40))
    amount: Mapped[Decimal] = mapped_column(Money)
    issue_date: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12), default=CertificateStatus.SOLICITADO)
    negotiable: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}

    milestone: Mapped[Milestone | None] = relationship()
    holdings: Mapped[list[CertificateHolding]] = relationship(
        back_populates="certificate", order_by="CertificateHolding.position", cascade="all, delete-orphan"
    )
    project: Mapped[Project] = relationship()

    @property
    def status_label(self) -> str:
        return CERTIFICATE_STATUSES.get(self.status, self.status)


class CertificateHolding(Base):
    """A consortium member's part of a certificate (cents exact; the last member takes the remainder)."""

    __tablename__ = "certificate_holdings"
    __table_args__ = (CheckConstraint("amount >= 0", name="amount_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    certificate_id: Mapped[int] = mapped_column(ForeignKey("project_certificates.id"), index=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    share_hundredths: Mapped[int] = mapped_column(Integer)
    amount: Mapped[Decimal] = mapped_column(Money)
    position: Mapped[int] = mapped_column(Integer, default=0)

    certificate: Mapped[Certificate] = relationship(back_populates="holdings")
    company: Mapped[Company] = relationship(lazy="joined", innerjoin=True)

    @property
    def share(self) -> Decimal:
        return hundredths_to_pct(self.share_hundredths)


class TaxDeclaration(Base):
    """The company's prior-year income tax, entered by the company to see how much it may pay with certificates."""

    __tablename__ = "company_tax_declarations"
    __table_args__ = (
        UniqueConstraint("company_id", "year", name="uq_company_tax_declarations_company_year"),
        CheckConstraint("amount >= 0", name="amount_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)  # the tax year (the prior year)
    amount: Mapped[Decimal] = mapped_column(Money)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
