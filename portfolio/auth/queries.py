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


def session_user(user_id: int, user_token: str, session_key: str | None, *also) -> tuple[User | None, tuple]:
    """The active user whose open, unexpired session ``session_key`` names, else None; in one statement, with
    the values of ``also`` (scalar subqueries a page needs anyway: the data version, the bell's count)
    beside it, or ``()`` when there is no such user."""
    if not session_key:
        return None, ()
    row = db.session.execute(
        select(User, *also)
        .join(UserSession, UserSession.user_id == User.id)
        .where(User.id == user_id, User.active.is_(True), UserSession.key_hash == session_key_hash(session_key),
               UserSession.ended_at.is_(None), UserSession.expires_at > utcnow())
    ).first()
    if row is None or not secrets.compare_digest(row[0].session_token, user_token):
        return None, ()
    return row[0], tuple(row[1:])
