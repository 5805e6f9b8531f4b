"""Excel exports of the organizations' list pages: companies and public entities (with their CIPRL caps).

Each uses the page's own query function (portfolio/orgs/queries.py), so the export holds exactly the rows
the page shows for the same query string, in the same order.
"""
from __future__ import annotations

from sqlalchemy import and_
from sqlalchemy.orm import aliased

from portfolio import clock
from portfolio.exports.registry import ExportRequest, count_of, list_export, register_export
from portfolio.exports.xlsx import Column, Table
from portfolio.orgs import queries as orgs_queries
from portfolio.orgs import ubigeo
from portfolio.orgs.models import EntityCap, PublicEntity

COMPANY_COLUMNS = [
    Column("ruc", "RUC", width=14),
    Column("legal_name", "Razón social"),
    Column("trade_name", "Nombre comercial"),
    Column("sector", "Sector"),
    Column("ubigeo", "Ubigeo", width=9),
    Column("location", "Ubicación"),
    Column("contact_name", "Contacto"),
    Column("contact_email", "Correo de contacto"),
    Column("contact_phone", "Teléfono"),
    Column("active", "Estado", width=10),
    Column("created_at", "Registrada el", "datetime"),
]


def _companies(req: ExportRequest):
    listing = orgs_queries.company_list(req.params)
    rows = (
        (c.ruc, c.legal_name, c.trade_name, c.sector_label, c.ubigeo, ubigeo.describe(c.ubigeo) if c.ubigeo else None,
         c.contact_name, c.contact_email, c.contact_phone, "Activa" if c.active else "Inactiva", c.created_at)
        for c in req.stream(listing.ordered(req.params))
    )
    return [Table("Empresas", COMPANY_COLUMNS, rows), req.notes_sheet("Empresas", listing.notes)]


def cap_year(req: ExportRequest) -> int:
    return clock.local_date(req.generated_at).year


def _entity_columns(year: int) -> list[Column]:
    return [
        Column("name", "Entidad"),
        Column("short_name", "Sigla", width=12),
        Column("ruc", "RUC", width=14),
        Column("level", "Nivel de gobierno"),
        Column("kind", "Tipo"),
        Column("certificate", "Certificado", width=12),
        Column("ubigeo", "Ubigeo", width=9),
        Column("location", "Ubicación"),
        Column("active", "Estado", width=10),
        Column("cap_prev", f"Tope CIPRL {year - 1}", "money", total=True),
        Column("cap", f"Tope CIPRL {year}", "money", total=True),
        Column("cap_change", f"Variación {year} vs {year - 1}", "money", total=True, formula="{cap}-{cap_prev}"),
    ]


def _entities(req: ExportRequest):
    listing = orgs_queries.entity_list(req.params)
    year = cap_year(req)
    cap, prev = aliased(EntityCap), aliased(EntityCap)
    query = (listing.ordered(req.params)
             .add_columns(prev.amount, cap.amount)
             .outerjoin(prev, and_(prev.entity_id == PublicEntity.id, prev.year == year - 1))
             .outerjoin(cap, and_(cap.entity_id == PublicEntity.id, cap.year == year)))

    def rows():
        for entity, prev_amount, amount in req.stream(query, scalars=False):
            change = None
            if prev_amount is not None or amount is not None:
                change = (amount or 0) - (prev_amount or 0)
            yield (entity.name, entity.short_name, entity.ruc, entity.level_label, entity.kind_label,
                   entity.certificate_type, entity.ubigeo, ubigeo.describe(entity.ubigeo) if entity.ubigeo else None,
                   "Activa" if entity.active else "Inactiva", prev_amount, amount, change)

    return [Table("Entidades", _entity_columns(year), rows()),
            req.notes_sheet("Entidades públicas", listing.notes,
                            extra=[("Topes", f"Topes CIPRL anuales de {year - 1} y {year} (vacío: sin tope registrado)")])]


def register() -> None:
    register_export(list_export("companies", "Empresas", "orgs.view", _companies,
                                count=count_of(orgs_queries.company_list, scoped=False), back_endpoint="orgs.companies",
                                filename="empresas"))
    register_export(list_export("entities", "Entidades públicas", "orgs.view", _entities,
                                count=count_of(orgs_queries.entity_list, scoped=False), back_endpoint="orgs.entities",
                                filename="entidades"))
