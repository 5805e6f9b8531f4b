"""Obras por Impuestos models: ``projects`` (projects, members, locations, stage transitions), ``execution``
(budget lines and revisions, variations, milestones, the current convenio amount) and ``certificates``
(certificates, holdings, prior-year tax declarations). ``from portfolio.projects.models import X`` works for
every one of them.

Money columns are ``Money`` (integer céntimos ↔ Decimal). Percent shares and physical progress are kept
as integer hundredths of a percent (``3333`` = 33.33 %) so they are exact on SQLite and PostgreSQL.
"""
from __future__ import annotations

from portfolio.projects.models.certificates import Certificate, CertificateHolding, TaxDeclaration
from portfolio.projects.models.execution import (
    BudgetLine,
    BudgetRevision,
    Milestone,
    Variation,
)
from portfolio.projects.models.projects import (
    BUDGET_CATEGORIES,
    CERTIFICATE_STATUSES,
    HUNDRED,
    MECHANISMS,
    MILESTONE_KINDS,
    MILESTONE_STATUSES,
    SECTORS,
    VARIATION_KINDS,
    Project,
    ProjectLocation,
    ProjectMember,
    ProjectTally,
    StageTransition,
    hundredths_to_pct,
    pct_to_hundredths,
)
from portfolio.projects.vocab import (  # the status sets, re-exported for existing imports
    ACCEPTED_MILESTONE_STATUSES,
    CLOSED_MILESTONE_STATUSES,
    LIVE_CERTIFICATE_STATUSES,
    CertificateStatus,
    MilestoneStatus,
    Stage,
)

__all__ = [
    "ACCEPTED_MILESTONE_STATUSES", "BUDGET_CATEGORIES", "CERTIFICATE_STATUSES", "CLOSED_MILESTONE_STATUSES",
    "HUNDRED", "LIVE_CERTIFICATE_STATUSES", "MECHANISMS", "MILESTONE_KINDS", "MILESTONE_STATUSES", "SECTORS",
    "VARIATION_KINDS", "BudgetLine", "BudgetRevision", "Certificate", "CertificateHolding", "CertificateStatus",
    "Milestone", "MilestoneStatus", "Project", "ProjectLocation", "ProjectMember", "ProjectTally", "Stage", "StageTransition",
    "TaxDeclaration", "Variation", "hundredths_to_pct", "pct_to_hundredths",
]
