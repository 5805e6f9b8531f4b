"""Programs with annual plans, beneficiary organizations and the board's conflict-of-interest register."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select

from portfolio import audit, db
from portfolio.auth.models import User
from portfolio.auth.policy import service
from portfolio.auth.roles import BOARD
from portfolio.domain_errors import DomainError, NotFound
from portfolio.money import format_money
from portfolio.orgs.ruc import clean_ruc, ruc_problem
from portfolio.trust.ledger import ZERO
from portfolio.trust.models import LEGAL_STATUS, ConflictOfInterest, Organization, Program, ProgramAllocation
from portfolio.trust.services.common import insert_unique, positive_amount
from portfolio.trust.vocab import LegalStatus


@service("trust.programs.manage")
def create_program(*, code: str, name: str, description: str | None, actor) -> Program:
    """Create a program with a unique short code."""
    code = (code or "").strip().upper()
    if not code or len(code) > 20 or not code.replace("-", "").isalnum():
        raise DomainError("El código tiene hasta 20 letras, dígitos o guiones.", field="code")
    if not (name or "").strip():
        raise DomainError("Ingrese el nombre del programa.", field="name")
    program = Program(code=code, name=name.strip()[:200], description=(description or "").strip() or None, active=True)
    insert_unique(program, "Ya existe un programa con ese código o nombre.", field="code")
    audit.record("trust.program.create", program, actor=actor, after={"code": code, "name": program.name})
    return program


@service("trust.programs.manage")
def set_allocation(*, program_id: int, year: int, amount: Decimal, goals: str | None, actor) -> ProgramAllocation:
    """Create or raise a program's annual allocation; it cannot go below what is already committed."""
    from portfolio.trust.services.disbursements import allocation_for

    positive_amount(amount)
    if db.session.get(Program, program_id) is None:
        raise NotFound("El programa no existe.")
    if not 2000 <= year <= 2100:
        raise DomainError("Año inválido.", field="year")
    allocation = allocation_for(program_id, year, lock=True)  # what it commits can only move after this commits
    committed = allocation.committed if allocation is not None else ZERO
    if amount < committed:
        raise DomainError(f"La asignación no puede ser menor que lo ya comprometido ({format_money(committed)}).",
                          field="amount")
    before = {"amount": allocation.amount} if allocation else None
    if allocation is None:
        allocation = ProgramAllocation(program_id=program_id, year=year, amount=amount, goals=goals)
        insert_unique(allocation, "Ya existe la asignación de ese año.", field="year")
    else:
        allocation.amount, allocation.goals = amount, goals or allocation.goals
    db.session.flush()
    audit.record("trust.program.allocation", allocation, actor=actor, before=before,
                 after={"year": year, "amount": amount})
    return allocation


@service("trust.programs.manage")
def create_organization(*, ruc: str, name: str, legal_status: str, registry_entry: str | None,
                        constituted_on: dt.date | None, actor) -> Organization:
    """Register an implementing organisation with a valid, unique RUC."""
    ruc = clean_ruc(ruc)
    problem = ruc_problem(ruc)
    if problem:
        raise DomainError(problem, field="ruc")
    if not (name or "").strip():
        raise DomainError("Ingrese el nombre de la organización.", field="name")
    if legal_status not in LEGAL_STATUS:
        raise DomainError("Seleccione la situación legal.", field="legal_status")
    if legal_status == LegalStatus.CONSTITUIDA and not (registry_entry or "").strip():
        raise DomainError("Indique la partida registral (SUNARP) de la organización constituida.",
                          field="registry_entry")
    org = Organization(ruc=ruc, name=name.strip()[:200], legal_status=legal_status,
                       registry_entry=(registry_entry or "").strip() or None, constituted_on=constituted_on)
    insert_unique(org, "Ya existe una organización con ese RUC.", field="ruc")
    audit.record("trust.organization.create", org, actor=actor, after={"ruc": ruc, "legal_status": legal_status})
    return org


@service("trust.conflicts.declare")
def declare_conflict(*, user_id: int, organization_id: int, description: str, actor) -> ConflictOfInterest:
    """Board members declare their own conflicts; staff/trustee may register one on a member's behalf."""
    member = db.session.get(User, user_id)
    if member is None or member.role != BOARD:
        raise DomainError("Seleccione un miembro del Comité Técnico.", field="user_id")
    if actor.role == BOARD and actor.id != user_id:
        raise DomainError("Solo puede declarar sus propios conflictos de interés.", field="user_id")
    if db.session.get(Organization, organization_id) is None:
        raise DomainError("Seleccione la organización.", field="organization_id")
    if not (description or "").strip():
        raise DomainError("Describa el vínculo con la organización.", field="description")
    conflict = ConflictOfInterest(user_id=user_id, organization_id=organization_id, description=description.strip()[:300])
    insert_unique(conflict, "Ese conflicto ya está registrado.", field="organization_id")
    audit.record("trust.conflict.declare", conflict, actor=actor,
                 after={"user": user_id, "organization": organization_id})
    return conflict


def programs() -> list[Program]:
    return list(db.session.scalars(select(Program).order_by(Program.name)))


def organizations() -> list[Organization]:
    return list(db.session.scalars(select(Organization).order_by(Organization.name)))
