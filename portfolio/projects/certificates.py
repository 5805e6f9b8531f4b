"""CIPRL / CIPGN certificates, their split among consortium members, and the company's tax panel."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portfolio import audit, clock, db
from portfolio.auth.policy import service
from portfolio.domain_errors import DomainError, Forbidden
from portfolio.money import round_money, split_by_shares
from portfolio.projects import caps, stages
from portfolio.projects.models import (
    LIVE_CERTIFICATE_STATUSES,
    Certificate,
    CertificateHolding,
    Milestone,
    Project,
    TaxDeclaration,
)
from portfolio.projects.services import _text, check_version, flush_or_conflict, money_value
from portfolio.projects.vocab import CERTIFICATE_TRANSITIONS, FINISHED_STAGES, CertificateStatus
from portfolio.rules import rule_value

ZERO = Decimal("0.00")
# solicitado → emitido → (anulado); a request may also be withdrawn (anulado). Nothing leaves anulado.
WHOLE_PROJECT_STAGES = FINISHED_STAGES


@service("certificates.manage")
def add_certificate(*, project: Project, number: str | None, amount: Any, issue_date: dt.date | None,
                    milestone_id: Any = None, actor) -> tuple[Certificate, list[str]]:
    """Request a certificate (``solicitado``) only within every legal cap; split exactly among the members."""
    if project.stage not in stages.CONVENIO_STAGES:
        raise DomainError(f"Los certificados se emiten con el convenio suscrito (etapa actual: "
                          f"{stages.label(project.stage)}).")
    number = _text(number, 40)
    if not number:
        raise DomainError("Ingrese el número del certificado.", field="number")
    value = money_value(amount, "amount")
    if not value:
        raise DomainError("Ingrese el monto del certificado (mayor que cero).", field="amount")
    if issue_date is None:
        raise DomainError("Indique la fecha de emisión.", field="issue_date")
    if issue_date > clock.today():
        raise DomainError("La fecha de emisión no puede ser futura.", field="issue_date")
    if project.convenio_on is None or issue_date < project.convenio_on:
        raise DomainError("La fecha de emisión no puede ser anterior a la suscripción del convenio.",
                          field="issue_date")
    milestone = None
    if milestone_id not in (None, "", 0, "0"):
        milestone = db.session.get(Milestone, int(milestone_id)) if str(milestone_id).isdigit() else None
        if milestone is None or milestone.project_id != project.id:
            raise DomainError("El hito elegido no pertenece a este proyecto.", field="milestone_id")
        if not milestone.accepted:
            raise DomainError("El hito elegido no tiene conformidad de la supervisora (cumplido o parcial).",
                              field="milestone_id")
    elif project.stage not in WHOLE_PROJECT_STAGES:
        raise DomainError("Un certificado por avance debe indicar el hito o valorización con conformidad que lo "
                          "respalda.", field="milestone_id")
    if not project.members:
        raise DomainError("El proyecto no tiene empresa financista registrada.")
    cert_type = project.entity.certificate_type
    if db.session.scalar(select(Certificate.id).where(Certificate.cert_type == cert_type,
                                                      Certificate.number == number)):
        raise DomainError(f"Ya existe un {cert_type} con el número {number}.", field="number")
    caps.lock_for_limits(project)
    check = stages.Check()
    caps.check_certificate_limits(project, value, issue_date, milestone, check)
    if check.reasons:
        raise DomainError(" ".join(check.reasons), field="amount")
    certificate = Certificate(project_id=project.id, milestone_id=milestone.id if milestone else None,
                              cert_type=cert_type, number=number, amount=value, issue_date=issue_date,
                              status=CertificateStatus.SOLICITADO, negotiable=True)
    members = list(project.members)
    parts = split_by_shares(value, [m.share for m in members])
    for position, (member, part) in enumerate(zip(members, parts, strict=True)):
        certificate.holdings.append(CertificateHolding(company_id=member.company_id,
                                                       share_hundredths=member.share_hundredths,
                                                       amount=part, position=position))
    db.session.add(certificate)
    db.session.flush()
    audit.record("certificate.add", certificate, after={
        "project_id": project.id, "type": cert_type, "number": number, "amount": value, "issue_date": issue_date,
        "milestone_id": certificate.milestone_id, "holdings": [(h.company_id, h.amount) for h in certificate.holdings],
        "warnings": check.warnings}, actor=actor)
    return certificate, check.warnings


@service("certificates.manage")
def change_status(*, certificate: Certificate, target: str, expected_version: int | None, actor) -> Certificate:
    """Move a certificate along solicitado → emitido → anulado only (nothing leaves anulado)."""
    check_version(certificate, expected_version)
    allowed = CERTIFICATE_TRANSITIONS.get(certificate.status, ())
    if target not in allowed:
        raise DomainError(f"Un certificado {certificate.status_label.lower()} no puede pasar a «{target}».",
                          field="status")
    before = certificate.status
    certificate.status = target
    flush_or_conflict()
    audit.record("certificate.status", certificate, before={"status": before}, after={"status": target}, actor=actor)
    return certificate


# --- company panel -----------------------------------------------------------------------------------

@service("tax_share.declare")
def declare_tax(*, company_id: int, year: Any, amount: Any, actor) -> TaxDeclaration:
    """A company declares its own income tax of a past year (the base of its certificate tax share)."""
    if actor.company_id != company_id:
        raise Forbidden("Solo puede declarar el impuesto de su propia empresa.")
    try:
        year = int(year)
    except (TypeError, ValueError) as exc:
        raise DomainError("Año inválido.", field="year") from exc
    if not 2008 <= year < clock.today().year:
        raise DomainError("Indique un año anterior al actual (desde 2008).", field="year")
    value = money_value(amount, "amount")
    if value is None:
        raise DomainError("Ingrese el impuesto a la renta de ese año.", field="amount")
    row = db.session.scalar(select(TaxDeclaration).where(TaxDeclaration.company_id == company_id,
                                                         TaxDeclaration.year == year))
    before = {"amount": row.amount} if row else None
    if row is None:
        row = TaxDeclaration(company_id=company_id, year=year, amount=value)
        db.session.add(row)
    else:
        row.amount = value
    db.session.flush()
    audit.record("tax.declare", row, before=before, after={"company_id": company_id, "year": year, "amount": value},
                 actor=actor)
    return row


@dataclass
class TaxShare:
    tax_year: int
    tax: Decimal | None
    share_pct: Decimal
    may_apply: Decimal | None
    applied: Decimal

    @property
    def remaining(self) -> Decimal | None:
        return None if self.may_apply is None else self.may_apply - self.applied


def company_panel(company_id: int, today: dt.date | None = None) -> tuple[list[CertificateHolding], TaxShare]:
    """Read: the company's holdings and how much of its prior-year income tax it may pay with certificates
    (advisory: ``oxi.tax_share_pct`` in force today)."""
    today = today or clock.today()
    holdings = list(db.session.scalars(
        select(CertificateHolding).join(Certificate).where(CertificateHolding.company_id == company_id)
        .options(selectinload(CertificateHolding.certificate).selectinload(Certificate.project))
        .order_by(Certificate.issue_date.desc(), Certificate.id.desc())
    ))
    tax_year = today.year - 1
    declaration = db.session.scalar(select(TaxDeclaration).where(TaxDeclaration.company_id == company_id,
                                                                 TaxDeclaration.year == tax_year))
    share_pct = rule_value("oxi.tax_share_pct", on=today)
    applied = sum((h.amount for h in holdings if h.certificate.status == CertificateStatus.EMITIDO
                   and h.certificate.issue_date.year == today.year), ZERO)
    may_apply = round_money(declaration.amount * share_pct / 100) if declaration else None
    return holdings, TaxShare(tax_year, declaration.amount if declaration else None, share_pct, may_apply, applied)


def live(certificate: Certificate) -> bool:
    """Read: does the certificate still count against the caps (solicitado or emitido)?"""
    return certificate.status in LIVE_CERTIFICATE_STATUSES
