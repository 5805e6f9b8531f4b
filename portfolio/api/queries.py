"""Reads for the «Claves de API» pages."""
from __future__ import annotations

from sqlalchemy import select

from portfolio import db
from portfolio.api.models import ApiToken
from portfolio.auth.models import User


def tokens_of(user_id: int) -> list[ApiToken]:
    return list(db.session.scalars(select(ApiToken).where(ApiToken.user_id == user_id)
                                   .order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc())))


def all_tokens(limit: int = 500) -> list[ApiToken]:
    return list(db.session.scalars(select(ApiToken).join(User, User.id == ApiToken.user_id)
                                   .order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc())
                                   .limit(limit)))


def active_users() -> list[User]:
    return list(db.session.scalars(select(User).where(User.active.is_(True)).order_by(User.email)))


PROJECT_TYPES = ("projects", "budget_lines", "project_variations", "project_milestones", "project_certificates")
TRUST_TYPES = ("trust_contributions", "trust_payments", "trust_programs", "trust_program_allocations",
               "trust_organizations", "trust_disbursements", "trust_votes", "ledger_periods", "trust_bank_balances")


def _visible_changes(viewer):
    """What part of the audit trail ``viewer`` may follow: a company its own declarations, payments and
    projects; other roles the object types of the areas their role reads."""
    from sqlalchemy import String, and_, cast, false, or_

    from portfolio.audit import AuditEntry
    from portfolio.auth.policy import allows
    from portfolio.auth.roles import COMPANY
    from portfolio.projects.models import ProjectMember
    from portfolio.trust.models import Contribution, Payment

    if viewer.role == COMPANY:
        def own(object_type: str, column, company_column):
            ids = select(cast(column, String)).where(company_column == viewer.company_id)
            return and_(AuditEntry.object_type == object_type, AuditEntry.object_id.in_(ids))

        return or_(own("projects", ProjectMember.project_id, ProjectMember.company_id),
                   own("trust_contributions", Contribution.id, Contribution.company_id),
                   own("trust_payments", Payment.id, Payment.company_id))
    types = (PROJECT_TYPES if allows(viewer, "projects.view") else ()) + (
        TRUST_TYPES if allows(viewer, "trust.view") else ())
    return AuditEntry.object_type.in_(types) if types else false()


def changes_for(viewer, *, after: int, limit: int) -> list:
    """Audit rows after id ``after`` that ``viewer`` may see, oldest first (the change feed)."""
    from portfolio.audit import AuditEntry
    from portfolio.auth.policy import allows

    query = select(AuditEntry).where(AuditEntry.id > after)
    if not allows(viewer, "audit.view"):
        query = query.where(_visible_changes(viewer))
    return list(db.session.scalars(query.order_by(AuditEntry.id).limit(limit)))
