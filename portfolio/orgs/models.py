"""Companies and public entities, shared by the OxI pipeline and the trust."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portfolio.db_types import Base, Money, UTCDateTime, utcnow

LEVELS = {
    "nacional": "Gobierno nacional",
    "regional": "Gobierno regional",
    "provincial": "Municipalidad provincial",
    "distrital": "Municipalidad distrital",
    "universidad": "Universidad pública",
}

ENTITY_KINDS = {
    "ministerio": "Ministerio",
    "organismo": "Organismo público adscrito",
    "policia": "Policía Nacional",
    "gobierno_regional": "Gobierno regional",
    "municipalidad": "Municipalidad",
    "universidad": "Universidad",
}

SECTORS = {
    "mineria": "Minería",
    "agroindustria": "Agroindustria",
    "construccion": "Construcción",
    "banca": "Banca y finanzas",
    "comercio": "Comercio",
    "manufactura": "Manufactura",
    "telecomunicaciones": "Telecomunicaciones",
    "energia": "Energía",
    "servicios": "Servicios",
    "otros": "Otros",
}


CIPGN_LEVELS = ("nacional",)


def certificate_type_for(level: str) -> str:
    """National entities pay with CIPGN; regional/local governments and universities with CIPRL."""
    return "CIPGN" if level in CIPGN_LEVELS else "CIPRL"


class Company(Base):
    __tablename__ = "companies"
    __table_args__ = (CheckConstraint("length(ruc) = 11", name="ruc_length"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ruc: Mapped[str] = mapped_column(String(11), unique=True)
    legal_name: Mapped[str] = mapped_column(String(200))
    trade_name: Mapped[str | None] = mapped_column(String(200))
    sector: Mapped[str] = mapped_column(String(40))
    ubigeo: Mapped[str | None] = mapped_column(String(6))
    contact_name: Mapped[str | None] = mapped_column(String(200))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    contact_phone: Mapped[str | None] = mapped_column(String(30))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}

    @property
    def display_name(self) -> str:
        return self.trade_name or self.legal_name

    @property
    def sector_label(self) -> str:
        return SECTORS.get(self.sector, self.sector)


class PublicEntity(Base):
    __tablename__ = "public_entities"
    __table_args__ = (
        CheckConstraint("level IN ('nacional', 'regional', 'provincial', 'distrital', 'universidad')", name="level_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    short_name: Mapped[str | None] = mapped_column(String(40))
    ruc: Mapped[str | None] = mapped_column(String(11), unique=True)
    level: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(30))
    ubigeo: Mapped[str | None] = mapped_column(String(6))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}

    caps: Mapped[list[EntityCap]] = relationship(
        back_populates="entity", order_by="EntityCap.year.desc()", cascade="all, delete-orphan"
    )

    @property
    def certificate_type(self) -> str:
        return certificate_type_for(self.level)

    @property
    def level_label(self) -> str:
        return LEVELS.get(self.level, self.level)

    @property
    def kind_label(self) -> str:
        return ENTITY_KINDS.get(self.kind, self.kind)


class EntityCap(Base):
    """The annual CIPRL cap (tope) that MEF sets for a regional/local government or university."""

    __tablename__ = "entity_caps"
    __table_args__ = (
        UniqueConstraint("entity_id", "year", name="uq_entity_caps_entity_year"),
        CheckConstraint("amount >= 0", name="amount_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    entity_id: Mapped[int] = mapped_column(ForeignKey("public_entities.id"))
    year: Mapped[int] = mapped_column(Integer)
    amount: Mapped[Decimal] = mapped_column(Money)
    legal_basis: Mapped[str] = mapped_column(String(300))
    published_on: Mapped[dt.date | None] = mapped_column(Date)
    notes: Mapped[str | None] = mapped_column(Text)

    entity: Mapped[PublicEntity] = relationship(back_populates="caps")
