"""Companies, public entities and their annual CIPRL caps.

Services take keyword-only arguments and a required ``actor`` (checked against ``orgs.manage``), flush, never
commit."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from portfolio import audit, clock, db
from portfolio.auth.policy import service
from portfolio.domain_errors import DomainError, NotFound
from portfolio.orgs import ubigeo
from portfolio.orgs.models import ENTITY_KINDS, LEVELS, SECTORS, Company, EntityCap, PublicEntity
from portfolio.orgs.ruc import clean_ruc, ruc_problem
from portfolio.service_checks import check_version, clean_text

COMPANY_FIELDS = ["ruc", "legal_name", "trade_name", "sector", "ubigeo", "contact_name", "contact_email",
                  "contact_phone", "active"]
ENTITY_FIELDS = ["name", "short_name", "ruc", "level", "kind", "ubigeo", "active"]


def _check_ubigeo(code: str | None) -> None:
    if code and not ubigeo.is_valid(code):
        raise DomainError("Ubigeo inválido: use el código INEI de 6 dígitos de un distrito.", field="ubigeo")


# --- companies --------------------------------------------------------------------------------------

def get_company(company_id: int) -> Company:
    """Read: the company, or ``NotFound``."""
    company = db.session.get(Company, company_id)
    if company is None:
        raise NotFound("La empresa no existe.")
    return company


def _company_values(data: dict[str, Any]) -> dict[str, Any]:
    values = {name: clean_text(data.get(name)) for name in COMPANY_FIELDS if name != "active"}
    values["ruc"] = clean_ruc(values["ruc"])
    problem = ruc_problem(values["ruc"])
    if problem:
        raise DomainError(problem, field="ruc")
    if not values["legal_name"]:
        raise DomainError("Ingrese la razón social.", field="legal_name")
    if values["sector"] not in SECTORS:
        raise DomainError("Seleccione un sector.", field="sector")
    _check_ubigeo(values["ubigeo"])
    if values["contact_email"]:
        values["contact_email"] = values["contact_email"].lower()
    values["active"] = bool(data.get("active", True))
    return values


def _ensure_unique_ruc(model, ruc: str | None, exclude_id: int | None = None) -> None:
    if not ruc:
        return
    query = select(model.id).where(model.ruc == ruc)
    if exclude_id is not None:
        query = query.where(model.id != exclude_id)
    if db.session.scalar(query):
        raise DomainError("Ya existe un registro con ese RUC.", field="ruc")


@service("orgs.manage")
def create_company(*, data: dict[str, Any], actor) -> Company:
    """Register a company: a valid RUC not already registered, a legal name, a sector and a valid ubigeo."""
    values = _company_values(data)
    _ensure_unique_ruc(Company, values["ruc"])
    company = Company(**values)
    db.session.add(company)
    db.session.flush()
    audit.record("company.create", company, actor=actor, after=audit.snapshot(company, COMPANY_FIELDS))
    return company


@service("orgs.manage")
def update_company(*, company: Company, data: dict[str, Any], expected_version: int | None = None,
                   actor) -> Company:
    """Edit a company (optimistic locking) under the same rules as its registration."""
    check_version(company, expected_version)
    values = _company_values(data)
    _ensure_unique_ruc(Company, values["ruc"], exclude_id=company.id)
    before = audit.snapshot(company, COMPANY_FIELDS)
    for name, value in values.items():
        setattr(company, name, value)
    old, new = audit.changes(before, audit.snapshot(company, COMPANY_FIELDS))
    if new:
        db.session.flush()
        audit.record("company.update", company, actor=actor, before=old, after=new)
    return company


# --- public entities ----------------------------------------------------------------------------------

def get_entity(entity_id: int) -> PublicEntity:
    """Read: the public entity, or ``NotFound``."""
    entity = db.session.get(PublicEntity, entity_id)
    if entity is None:
        raise NotFound("La entidad pública no existe.")
    return entity


def _entity_values(data: dict[str, Any]) -> dict[str, Any]:
    values = {name: clean_text(data.get(name)) for name in ENTITY_FIELDS if name != "active"}
    if not values["name"]:
        raise DomainError("Ingrese el nombre de la entidad.", field="name")
    if values["level"] not in LEVELS:
        raise DomainError("Seleccione el nivel de gobierno.", field="level")
    if values["kind"] not in ENTITY_KINDS:
        raise DomainError("Seleccione el tipo de entidad.", field="kind")
    if values["ruc"]:
        values["ruc"] = clean_ruc(values["ruc"])
        problem = ruc_problem(values["ruc"])
        if problem:
            raise DomainError(problem, field="ruc")
    _check_ubigeo(values["ubigeo"])
    values["active"] = bool(data.get("active", True))
    return values


def _ensure_unique_entity_name(name: str, exclude_id: int | None = None) -> None:
    query = select(PublicEntity.id).where(PublicEntity.name == name)
    if exclude_id is not None:
        query = query.where(PublicEntity.id != exclude_id)
    if db.session.scalar(query):
        raise DomainError("Ya existe una entidad con ese nombre.", field="name")


@service("orgs.manage")
def create_entity(*, data: dict[str, Any], actor) -> PublicEntity:
    """Register a public entity: a unique name, a level and kind of government, a valid RUC and ubigeo."""
    values = _entity_values(data)
    _ensure_unique_entity_name(values["name"])
    _ensure_unique_ruc(PublicEntity, values["ruc"])
    entity = PublicEntity(**values)
    db.session.add(entity)
    db.session.flush()
    audit.record("entity.create", entity, actor=actor, after=audit.snapshot(entity, ENTITY_FIELDS))
    return entity


@service("orgs.manage")
def update_entity(*, entity: PublicEntity, data: dict[str, Any], expected_version: int | None = None,
                  actor) -> PublicEntity:
    """Edit a public entity (optimistic locking) under the same rules as its registration."""
    check_version(entity, expected_version)
    values = _entity_values(data)
    _ensure_unique_entity_name(values["name"], exclude_id=entity.id)
    _ensure_unique_ruc(PublicEntity, values["ruc"], exclude_id=entity.id)
    before = audit.snapshot(entity, ENTITY_FIELDS)
    for name, value in values.items():
        setattr(entity, name, value)
    old, new = audit.changes(before, audit.snapshot(entity, ENTITY_FIELDS))
    if new:
        db.session.flush()
        audit.record("entity.update", entity, actor=actor, before=old, after=new)
    return entity


@service("orgs.manage")
def set_cap(*, entity: PublicEntity, year: int, amount: Decimal, legal_basis: str,
            published_on: dt.date | None = None, notes: str | None = None, actor) -> EntityCap:
    """Record (or correct) a CIPRL entity's annual cap with its legal basis; zero is a valid, real cap."""
    if entity.certificate_type != "CIPRL":
        raise DomainError("Las entidades del gobierno nacional usan CIPGN y no tienen tope CIPRL anual.")
    if not 2008 <= year <= clock.today().year + 5:
        raise DomainError("Año fuera de rango (2008 en adelante).", field="year")
    if amount is None or amount < 0:
        raise DomainError("El tope no puede ser negativo.", field="amount")
    if not (legal_basis or "").strip():
        raise DomainError("Indique la base legal del tope (p. ej. el decreto supremo).", field="legal_basis")
    cap = db.session.scalar(select(EntityCap).where(EntityCap.entity_id == entity.id, EntityCap.year == year))
    fields = ["year", "amount", "legal_basis", "published_on", "notes"]
    before = audit.snapshot(cap, fields) if cap else None
    if cap is None:
        cap = EntityCap(entity=entity, year=year, amount=amount, legal_basis=legal_basis.strip())
        db.session.add(cap)
    cap.amount = amount
    cap.legal_basis = legal_basis.strip()
    cap.published_on = published_on
    cap.notes = clean_text(notes)
    db.session.flush()
    audit.record("entity_cap.set", cap, actor=actor, before=before, after=audit.snapshot(cap, fields))
    return cap


def cap_for(entity_id: int, year: int) -> EntityCap | None:
    """Read: the entity's CIPRL cap for ``year``, if recorded."""
    return db.session.scalar(select(EntityCap).where(EntityCap.entity_id == entity_id, EntityCap.year == year))
