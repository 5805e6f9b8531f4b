"""Fixtures of the OxI tests: ``oxi`` builds companies, caps and projects in any stage through the services."""
from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from sqlalchemy import select

from portfolio import db
from portfolio.orgs.models import EntityCap, PublicEntity
from portfolio.projects import execution, services
from portfolio.projects.models import Project
from tests.support import STAFF_ACTOR

D = dt.date
INPE = "Instituto Nacional Penitenciario"          # national → CIPGN, no cap
MPT = "Municipalidad Provincial de Trujillo"       # provincial → CIPRL, annual cap
PATH = ("priorizado", "actos_previos", "en_seleccion", "adjudicado", "convenio_suscrito", "en_ejecucion", "recibido",
        "liquidado")


def new_cui() -> str:
    while True:
        cui = f"{uuid.uuid4().int % 10**7:07d}"
        if db.session.scalar(select(Project.id).where(Project.cui == cui)) is None:
            return cui


class Oxi:
    def __init__(self, make_company):
        self.make_company = make_company

    def entity(self, name: str = INPE) -> PublicEntity:
        return db.session.scalar(select(PublicEntity).where(PublicEntity.name == name))

    def cap(self, entity_name: str, year: int, amount: str) -> EntityCap:
        cap = EntityCap(entity_id=self.entity(entity_name).id, year=year, amount=Decimal(amount), legal_basis="Prueba")
        db.session.add(cap)
        db.session.flush()
        return cap

    def data(self, **kw) -> dict:
        convenio_on = kw.pop("convenio_on", D(2026, 3, 2))
        base = convenio_on or D(2026, 3, 2)
        data = {
            "cui": new_cui(), "name": f"Proyecto de prueba {uuid.uuid4().hex[:6]}",
            "entity_id": self.entity(kw.pop("entity", INPE)).id, "sector": "orden_publico", "mechanism": "oxi",
            "locations": "130101", "reference_amount": "1200000.00", "awarded_amount": "1000000.00",
            "contraloria_ref": "Informe previo 001-2026", "call_on": base - dt.timedelta(days=60),
            "awarded_on": base - dt.timedelta(days=20), "convenio_on": convenio_on,
            "start_on": base + dt.timedelta(days=10), "supervisor": "Supervisora S.A.C.",
        }
        data.update(kw)
        return data

    def project(self, stage: str = "priorizado", *, shares=("100",), companies=None, **kw) -> Project:
        """A project moved through the transition table up to ``stage`` (side states from their source)."""
        project = services.create_project(data=self.data(**kw), actor=STAFF_ACTOR)
        if stage == "priorizado":
            return project
        companies = companies or [self.make_company() for _ in shares]
        target = stage if stage in PATH else _source(stage)
        if PATH.index(target) >= PATH.index("adjudicado"):
            services.set_members(project=project, rows=list(zip(companies, shares, strict=True)), expected_version=None, actor=STAFF_ACTOR)
        for step in PATH[1:PATH.index(target) + 1]:
            if step == "recibido" and project.reception_on is None:
                project.reception_on = project.start_on + dt.timedelta(days=200)
            if step == "liquidado":
                project.final_cost = project.current_convenio_amount
                project.settlement_on = project.reception_on + dt.timedelta(days=30)
            services.transition(project=project, target=step, actor=STAFF_ACTOR)
        if stage not in PATH:
            services.transition(project=project, target=stage, note="Motivo de prueba", actor=STAFF_ACTOR)
        return project

    def milestone(self, project: Project, *, amount="500000.00", accepted=True, **kw):
        data = {"kind": "valorizacion", "description": "Valorización", "planned_date": project.convenio_on
                + dt.timedelta(days=30), "amount": amount, "planned_physical": "50"}
        if accepted:
            actual = project.convenio_on + dt.timedelta(days=30)
            data.update(actual_date=actual, status="cumplido", conformity_date=actual + dt.timedelta(days=5),
                        actual_physical="45")
        data.update(kw)
        return execution.add_milestone(project=project, data=data, actor=STAFF_ACTOR)


def _source(side: str) -> str:
    return {"desierto": "en_seleccion", "suspendido": "en_ejecucion", "cancelado": "priorizado"}[side]


@pytest.fixture
def oxi(ctx, make_company):
    return Oxi(make_company)


@pytest.fixture
def make_project(app, isolated, make_company):
    """Commit a project in ``stage`` (for HTTP tests); returns a dict with its id and members' company ids."""

    def factory(stage: str = "priorizado", *, milestone: bool = False, **kw) -> dict:
        with app.app_context():
            oxi = Oxi(make_company)
            project = oxi.project(stage, **kw)
            milestone_id = oxi.milestone(project).id if milestone else None
            db.session.commit()
            return {"id": project.id, "version": project.version, "companies": [m.company_id for m in project.members],
                    "milestone_id": milestone_id}

    return factory
