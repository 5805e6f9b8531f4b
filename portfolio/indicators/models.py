"""Indicators of §3.2: a catalogue with baseline and annual targets, and quarterly measurements whose
corrections keep history (a new version row pointing at the one it replaces; nothing is overwritten)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from portfolio.db_types import Base, UTCDateTime, utcnow
from portfolio.indicators.vocab import IndicatorStatus

SCALE = Decimal("0.0001")

LEVELS = {
    "nacional": "Nacional",
    "regional": "Regional",
    "provincial": "Provincial",
    "distrital": "Distrital",
}
DIRECTIONS = {"higher": "Mayor es mejor", "lower": "Menor es mejor"}
OWNER_TYPES = {"entity": "Entidad pública", "program": "Programa del fideicomiso", "project": "Proyecto OxI"}
STATUSES = {
    IndicatorStatus.ON_TRACK: "En camino",
    IndicatorStatus.AT_RISK: "En riesgo",
    IndicatorStatus.OFF_TRACK: "Fuera de meta",
    IndicatorStatus.NO_DATA: "Sin datos",
}
QUARTERS = {1: "I trimestre", 2: "II trimestre", 3: "III trimestre", 4: "IV trimestre"}


class Quantity(TypeDecorator):
    """An indicator value: exact ``Decimal`` with up to four decimals, stored as an integer of
    ten-thousandths (SQLite would otherwise store NUMERIC as a float)."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        value = Decimal(value)
        if value != value.quantize(SCALE):
            raise ValueError("indicator values have at most four decimals")
        return int(value / SCALE)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return tidy(Decimal(int(value)) * SCALE)


def tidy(value: Decimal) -> Decimal:
    """Drop trailing zeros without switching to exponent notation (100.0000 → 100, 0.5000 → 0.5)."""
    value = value.normalize()
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value


class Indicator(Base):
    __tablename__ = "indicators"
    __table_args__ = (
        CheckConstraint("direction IN ('higher', 'lower')", name="direction_known"),
        CheckConstraint("level IN ('nacional', 'regional', 'provincial', 'distrital')", name="level_known"),
        CheckConstraint("owner_type IN ('entity', 'program', 'project')", name="owner_type_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(30), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    unit: Mapped[str] = mapped_column(String(60))
    direction: Mapped[str] = mapped_column(String(10))
    level: Mapped[str] = mapped_column(String(20))
    owner_type: Mapped[str] = mapped_column(String(20))
    owner_id: Mapped[int] = mapped_column(Integer)
    baseline_value: Mapped[Decimal | None] = mapped_column(Quantity)
    baseline_year: Mapped[int | None] = mapped_column(Integer)
    baseline_source: Mapped[str | None] = mapped_column(String(300))
    public: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    targets: Mapped[list[IndicatorTarget]] = relationship(back_populates="indicator", order_by="IndicatorTarget.year")

    @property
    def direction_label(self) -> str:
        return DIRECTIONS.get(self.direction, self.direction)

    @property
    def level_label(self) -> str:
        return LEVELS.get(self.level, self.level)

    @property
    def owner_type_label(self) -> str:
        return OWNER_TYPES.get(self.owner_type, self.owner_type)


class IndicatorTarget(Base):
    """The value expected for a year, in the same unit as the quarterly measurements."""

    __tablename__ = "indicator_targets"
    __table_args__ = (UniqueConstraint("indicator_id", "year", name="uq_indicator_targets_indicator_year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicators.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    value: Mapped[Decimal] = mapped_column(Quantity)
    set_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    indicator: Mapped[Indicator] = relationship(back_populates="targets")


class Measurement(Base):
    """One version of a quarter's value. Version 1 is the first record; a correction adds version n+1 with
    its reason and ``supersedes_id``; the current value is the highest version."""

    __tablename__ = "indicator_measurements"
    __table_args__ = (
        UniqueConstraint("indicator_id", "year", "quarter", "version", name="uq_indicator_measurements_version"),
        CheckConstraint("quarter BETWEEN 1 AND 4", name="quarter_range"),
        CheckConstraint("version >= 1", name="version_positive"),
        CheckConstraint("(version = 1) = (supersedes_id IS NULL)", name="correction_points_back"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicators.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    quarter: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer, default=1)
    value: Mapped[Decimal] = mapped_column(Quantity)
    source: Mapped[str] = mapped_column(String(300))
    measured_on: Mapped[dt.date] = mapped_column(Date)
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("indicator_measurements.id"))
    correction_reason: Mapped[str | None] = mapped_column(Text)
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    indicator: Mapped[Indicator] = relationship()

    @property
    def period_label(self) -> str:
        return f"{QUARTERS[self.quarter]} {self.year}"
