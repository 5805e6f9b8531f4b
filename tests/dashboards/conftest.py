from __future__ import annotations

import datetime as dt
import itertools
import re
from decimal import Decimal

import pytest
from sqlalchemy import select

from portfolio import clock, db
from portfolio.orgs.models import EntityCap, PublicEntity

_serial = itertools.count(1)


@pytest.fixture
def populate(app, isolated):
    """``populate(n, company_id=None)`` adds ``n`` OxI projects in execution, each with an overdue milestone,
    a progress milestone, an issued CIPRL certificate of S/ 100.00 held by ``company_id`` and an old stage
    transition (so each also counts as stalled). Returns the ids created."""
    from portfolio.projects.models import (
        Certificate,
        CertificateHolding,
        Milestone,
        Project,
        ProjectMember,
        StageTransition,
    )

    def factory(n: int, company_id: int | None = None, *, amount: str = "1000.00") -> list[int]:
        today = clock.today()
        with app.app_context():
            entity_id = db.session.scalar(select(PublicEntity.id).where(PublicEntity.short_name == "GRLL"))
            ids = []
            for _ in range(n):
                k = next(_serial)
                project = Project(name=f"Proyecto tablero {k}", entity_id=entity_id, sector="orden_publico",
                                  stage="en_ejecucion", awarded_amount=Decimal(amount), convenio_on=today,
                                  start_on=today)
                db.session.add(project)
                db.session.flush()
                ids.append(project.id)
                db.session.add_all([
                    Milestone(project_id=project.id, kind="valorizacion", planned_date=today - dt.timedelta(days=30),
                              status="programado", planned_physical=5000),
                    Milestone(project_id=project.id, kind="inicio", planned_date=today - dt.timedelta(days=60),
                              actual_date=today - dt.timedelta(days=60), status="cumplido", planned_physical=1000,
                              actual_physical=2000),
                    StageTransition(project_id=project.id, from_stage="convenio_suscrito", to_stage="en_ejecucion",
                                    at=db.utcnow() - dt.timedelta(days=400)),
                ])
                if company_id:
                    db.session.add(ProjectMember(project_id=project.id, company_id=company_id, share_hundredths=10000))
                cert = Certificate(project_id=project.id, cert_type="CIPRL", number=f"T-{k}", amount=Decimal("100.00"),
                                   issue_date=today, status="emitido")
                db.session.add(cert)
                db.session.flush()
                if company_id:
                    db.session.add(CertificateHolding(certificate_id=cert.id, company_id=company_id,
                                                      share_hundredths=10000, amount=Decimal("100.00")))
            if db.session.scalar(select(EntityCap.id).where(EntityCap.entity_id == entity_id,
                                                            EntityCap.year == today.year)) is None:
                db.session.add(EntityCap(entity_id=entity_id, year=today.year, amount=Decimal("5000000.00"),
                                         legal_basis="DS de prueba"))
            db.session.commit()
            return ids

    return factory


def kpi(html: str, name: str) -> str:
    match = re.search(rf'id="kpi-{name}">(?:<a[^>]*>)?([^<]+)<', html)
    assert match, f"kpi {name} not found"
    return match.group(1).strip()


@pytest.fixture
def populate_trust(app, isolated):
    """``populate_trust(n, company_id)`` adds, directly in the tables, ``n`` overdue contributions of the
    company, ``n`` payments to confirm, ``n`` disbursement requests in vote, ``n`` approved ones and ``n``
    bank balances that differ from the (empty) ledger."""
    from portfolio.auth.models import User
    from portfolio.trust.models import (
        BankBalance,
        Contribution,
        Disbursement,
        Organization,
        Payment,
        Program,
        ProgramAllocation,
    )
    from tests.trust.conftest import new_ruc

    state = {"day": 0}

    def factory(n: int, company_id: int) -> None:
        today = clock.today()
        with app.app_context():
            requester = db.session.scalar(select(User.id).where(User.role == "staff").limit(1))
            if requester is None:
                user = User(email=f"req-{next(_serial)}@prueba.pe", name="Solicitante", role="staff", active=True,
                            password_hash="!")
                db.session.add(user)
                db.session.flush()
                requester = user.id
            program = Program(code=f"PR{next(_serial)}", name=f"Programa tablero {next(_serial)}")
            org = Organization(ruc=new_ruc(), name=f"Asociación tablero {next(_serial)}", legal_status="constituida")
            db.session.add_all([program, org])
            db.session.flush()
            db.session.add(ProgramAllocation(program_id=program.id, year=today.year, amount=Decimal("1000000.00")))
            for _ in range(n):
                state["day"] += 1
                month = dt.date(1990 + state["day"] // 12, state["day"] % 12 + 1, 1)
                contribution = Contribution(company_id=company_id, month=month, due_date=month + dt.timedelta(days=45),
                                            amount_due=Decimal("150.00"), amount_paid=Decimal("0.00"))
                db.session.add(contribution)
                db.session.flush()
                db.session.add_all([
                    Payment(contribution_id=contribution.id, company_id=company_id, amount=Decimal("10.00"),
                            paid_on=today, bank="BCP", operation_number=f"OP{next(_serial)}"),
                    Disbursement(program_id=program.id, organization_id=org.id, year=today.year,
                                 amount=Decimal("500.00"), purpose="Equipos", status="solicitado",
                                 requested_by_id=requester, requested_on=today),
                    Disbursement(program_id=program.id, organization_id=org.id, year=today.year,
                                 amount=Decimal("700.00"), purpose="Patrullaje", status="aprobado",
                                 requested_by_id=requester, requested_on=today),
                    BankBalance(on=today - dt.timedelta(days=state["day"]), balance=Decimal("1.00")),
                ])
            db.session.commit()

    return factory
