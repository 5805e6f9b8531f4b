"""Execution of a project: budget lines with versioned revisions, variations (adendas) and milestones. The sum of
a project's variations is ``Project.variations_total``, kept by database triggers (migration 0023)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portfolio.db_types import Base, Money, UTCDateTime, utcnow
from portfolio.projects.models.projects import (
    BUDGET_CATEGORIES,
    MILESTONE_KINDS,
    MILESTONE_STATUSES,
    VARIATION_KINDS,
    hundredths_to_pct,
)
from portfolio.projects.vocab import ACCEPTED_MILESTONE_STATUSES, MilestoneStatus


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
