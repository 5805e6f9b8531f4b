"""The filtered queries behind the company and entity lists, shared by the pages and their Excel exports.

Each function reads the list's filters from ``args`` (the query string, or the arguments stored with an
export job) and returns a :class:`~portfolio.listing.ListQuery`; invalid filter values are ignored, as
the page ignores them, so an export holds exactly the rows the page shows.
"""
from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import or_, select

from portfolio import db
from portfolio.listing import ListQuery, text_value
from portfolio.orgs import ubigeo
from portfolio.orgs.models import ENTITY_KINDS, LEVELS, SECTORS, Company, PublicEntity


def company_list(args: Mapping[str, str]) -> ListQuery:
    query = select(Company)
    filters: dict[str, str] = {}
    notes: list[tuple[str, str]] = []
    q = text_value(args, "q")
    if q:
        like = f"%{q}%"
        query = query.where(or_(Company.ruc.like(like), Company.legal_name.ilike(like), Company.trade_name.ilike(like)))
        filters["q"] = q
        notes.append(("Búsqueda", q))
    sector = text_value(args, "sector")
    if sector in SECTORS:
        query = query.where(Company.sector == sector)
        filters["sector"] = sector
        notes.append(("Sector", SECTORS[sector]))
    region = text_value(args, "region", 2)
    if region:
        query = query.where(Company.ubigeo.like(f"{region}%"))
        filters["region"] = region
        notes.append(("Región", ubigeo.department_name(region) or region))
    return ListQuery(query=query, sortable={"ruc": Company.ruc, "name": Company.legal_name, "sector": Company.sector},
                     default_sort="name", tiebreak=Company.id, filters=filters, notes=notes)


def entity_list(args: Mapping[str, str]) -> ListQuery:
    query = select(PublicEntity)
    filters: dict[str, str] = {}
    notes: list[tuple[str, str]] = []
    q = text_value(args, "q")
    if q:
        like = f"%{q}%"
        query = query.where(or_(PublicEntity.name.ilike(like), PublicEntity.short_name.ilike(like),
                                PublicEntity.ruc.like(like)))
        filters["q"] = q
        notes.append(("Búsqueda", q))
    level = text_value(args, "nivel")
    if level in LEVELS:
        query = query.where(PublicEntity.level == level)
        filters["nivel"] = level
        notes.append(("Nivel de gobierno", LEVELS[level]))
    kind = text_value(args, "tipo")
    if kind in ENTITY_KINDS:
        query = query.where(PublicEntity.kind == kind)
        filters["tipo"] = kind
        notes.append(("Tipo", ENTITY_KINDS[kind]))
    return ListQuery(query=query, sortable={"name": PublicEntity.name, "level": PublicEntity.level,
                                            "kind": PublicEntity.kind},
                     default_sort="name", tiebreak=PublicEntity.id, filters=filters, notes=notes)


def company_names() -> list:
    """(id, legal_name) of every company, by name (choices of the user form)."""
    return db.session.execute(select(Company.id, Company.legal_name).order_by(Company.legal_name)).all()


def active_companies() -> list[Company]:
    return list(db.session.scalars(select(Company).where(Company.active.is_(True)).order_by(Company.legal_name)))


def active_entities() -> list[PublicEntity]:
    return list(db.session.scalars(select(PublicEntity).where(PublicEntity.active.is_(True))
                                   .order_by(PublicEntity.name)))
