"""Reference data (every deployment) and demo data (development only), loaded idempotently from seeds/.

Each loader inserts only what is missing, so running ``flask seed`` twice duplicates nothing. Domain
packages add their own loaders in ``<package>/seeds.py`` (functions ``load_reference`` / ``load_demo``).
"""
from __future__ import annotations

import csv
import importlib
import importlib.util
from pathlib import Path

from sqlalchemy import select

from portfolio import db, rules
from portfolio.auth.models import User
from portfolio.auth.policy import SYSTEM
from portfolio.money import parse_money
from portfolio.orgs.models import Company, EntityCap, PublicEntity

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
DEMO_PASSWORD = "Libertad-Demo-2026"
DOMAIN_SEEDERS = ("portfolio.projects.seeds", "portfolio.trust.seeds", "portfolio.indicators.seeds",
                  "portfolio.documents.seeds", "portfolio.mef.seeds")


def read_csv(name: str) -> list[dict[str, str]]:
    with open(SEEDS / name, newline="", encoding="utf-8") as fh:
        return [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(fh)]


def _domain_modules():
    for name in DOMAIN_SEEDERS:
        if importlib.util.find_spec(name) is not None:
            yield importlib.import_module(name)


def entity_by_name(name: str) -> PublicEntity:
    entity = db.session.scalar(select(PublicEntity).where(PublicEntity.name == name))
    if entity is None:
        raise LookupError(f"seed entity not found: {name}")
    return entity


def company_by_ruc(ruc: str) -> Company:
    company = db.session.scalar(select(Company).where(Company.ruc == ruc))
    if company is None:
        raise LookupError(f"seed company not found: {ruc}")
    return company


def _load_caps(filename: str) -> int:
    added = 0
    for row in read_csv(filename):
        entity = entity_by_name(row["entity"])
        year = int(row["year"])
        exists = db.session.scalar(select(EntityCap.id).where(EntityCap.entity_id == entity.id, EntityCap.year == year))
        if not exists:
            db.session.add(EntityCap(entity=entity, year=year, amount=parse_money(row["amount"]),
                                     legal_basis=row["legal_basis"]))
            added += 1
    return added


def load_reference() -> dict[str, int]:
    report = {"reglas": rules.seed_defaults(actor=SYSTEM)}
    added = 0
    for row in read_csv("entities.csv"):
        if db.session.scalar(select(PublicEntity.id).where(PublicEntity.name == row["name"])) is None:
            db.session.add(PublicEntity(name=row["name"], short_name=row["short_name"] or None, level=row["level"],
                                        kind=row["kind"], ubigeo=row["ubigeo"] or None))
            added += 1
    db.session.flush()
    report["entidades"] = added
    report["topes CIPRL"] = _load_caps("entity_caps.csv")
    db.session.flush()
    for module in _domain_modules():
        if hasattr(module, "load_reference"):
            report.update(module.load_reference())
    return report


def load_demo() -> dict[str, int]:
    from portfolio.auth import passwords

    report: dict[str, int] = {}
    added = 0
    for row in read_csv("demo_companies.csv"):
        if db.session.scalar(select(Company.id).where(Company.ruc == row["ruc"])) is None:
            db.session.add(Company(**{k: (v or None) for k, v in row.items()}))
            added += 1
    db.session.flush()
    report["empresas demo"] = added
    report["topes demo"] = _load_caps("demo_entity_caps.csv")
    added = 0
    password_hash = None
    for row in read_csv("demo_users.csv"):
        if db.session.scalar(select(User.id).where(User.email == row["email"])) is None:
            password_hash = password_hash or passwords.hash_password(DEMO_PASSWORD)
            company_id = company_by_ruc(row["company_ruc"]).id if row["company_ruc"] else None
            db.session.add(User(email=row["email"], name=row["name"], role=row["role"], company_id=company_id,
                                password_hash=password_hash, active=True))
            added += 1
    db.session.flush()
    report["usuarios demo"] = added
    for module in _domain_modules():
        if hasattr(module, "load_demo"):
            report.update(module.load_demo())
    return report


