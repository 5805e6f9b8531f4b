"""Obras por Impuestos: projects, consortium members, locations and stage transitions (the package's
``__init__`` re-exports these with the budget, variation, milestone and certificate models).

Money columns are ``Money`` (integer céntimos ↔ Decimal). Percent shares and physical progress are kept
as integer hundredths of a percent (``3333`` = 33.33 %) so they are exact on SQLite and PostgreSQL.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Computed,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portfolio import clock
from portfolio.db_types import TALLY_ID, Base, Money, UTCDateTime, utcnow
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

# A project's place in the stage order (the Stage enum's order: the main line, then the side states; 99 for
# anything else), computed by the database from ``stage`` so the list's default order reads an index. The
# migration that adds the column (0022_stage_rank) holds the same text; a new or reordered stage needs one.
STAGE_RANK_SQL = "CASE stage " + " ".join(f"WHEN '{s.value}' THEN {i}" for i, s in enumerate(Stage)) + " ELSE 99 END"
# The amount a project weighs in lists, sorts and sums (``Project.current_amount`` in Python): the current
# convenio (awarded + variations) once awarded, else the reference amount. Computed by the database and
# indexed (migration 0024_list_amount holds the same text).
LIST_AMOUNT_SQL = ("CASE WHEN awarded_amount IS NOT NULL THEN awarded_amount + variations_total "
                   "ELSE COALESCE(reference_amount, 0) END")

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
        Index("ix_projects_stage_rank", "stage_rank", "id"),
        Index("ix_projects_list_amount", "list_amount", "id"),
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
    stage_rank: Mapped[int] = mapped_column(Integer, Computed(STAGE_RANK_SQL))
    reference_amount: Mapped[Decimal | None] = mapped_column(Money)
    awarded_amount: Mapped[Decimal | None] = mapped_column(Money)
    # Σ of the project's variations' amount_delta, kept by the database (triggers on project_variations,
    # migration 0023_variations_total): lists, sorts and sums over many projects read a column instead of
    # running a subquery per project. The application never writes it.
    variations_total: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"), server_default="0")
    list_amount: Mapped[Decimal] = mapped_column(Money, Computed(LIST_AMOUNT_SQL))
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
        """Awarded + Σ approved monetary variations (``variations_total``, kept by the database)."""
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


class ProjectTally(Base):
    """Projects and their ``list_amount`` per stage and demo flag, appended by database triggers on every change
    of a project (migration 0026_project_tallies) and folded by ``portfolio.tallies``."""

    __tablename__ = "project_tallies"

    id: Mapped[int] = mapped_column(TALLY_ID, primary_key=True)
    stage: Mapped[str] = mapped_column(String(30))
    is_demo: Mapped[bool] = mapped_column(Boolean)
    row_count: Mapped[int] = mapped_column(Integer)
    amount: Mapped[Decimal] = mapped_column(Money)
    compacted: Mapped[bool] = mapped_column(Boolean, default=False)
