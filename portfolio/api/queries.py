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
