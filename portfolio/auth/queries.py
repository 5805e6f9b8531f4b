"""Reads of accounts shared by the login machinery and the pages."""
from __future__ import annotations

import secrets

from sqlalchemy import select

from portfolio import db
from portfolio.auth.models import User, UserSession, session_key_hash
from portfolio.db_types import utcnow


def user_by_id(user_id: int) -> User | None:
    """The account with this id, or None (the session loader decides what a missing or inactive one means)."""
    return db.session.get(User, user_id)


def session_user(user_id: int, user_token: str, session_key: str | None) -> User | None:
    """The active user whose open, unexpired session ``session_key`` names (one statement), else None."""
    if not session_key:
        return None
    user = db.session.scalar(
        select(User)
        .join(UserSession, UserSession.user_id == User.id)
        .where(User.id == user_id, User.active.is_(True), UserSession.key_hash == session_key_hash(session_key),
               UserSession.ended_at.is_(None), UserSession.expires_at > utcnow())
    )
    if user is None or not secrets.compare_digest(user.session_token, user_token):
        return None
    return user
