"""Reads of accounts shared by the login machinery and the pages."""
from __future__ import annotations

import functools
import secrets

from sqlalchemy import bindparam, select

from portfolio import db
from portfolio.auth.models import User, UserSession, session_key_hash
from portfolio.db_types import utcnow


def user_by_id(user_id: int) -> User | None:
    """The account with this id, or None (the session loader decides what a missing or inactive one means)."""
    return db.session.get(User, user_id)


USER_ID = bindparam("user_id")  # the session's user, for the columns a page reads beside it (``session_user``)


def session_user(user_id: int, user_token: str, session_key: str | None, *also) -> tuple[User | None, tuple]:
    """The active user whose open, unexpired session ``session_key`` names, else None; in one statement, with
    the values of ``also`` (scalar subqueries a page needs anyway: the data version, the bell's count; the
    same objects on every call, their user as ``USER_ID``) beside it, or ``()`` when there is no such user."""
    if not session_key:
        return None, ()
    row = db.session.execute(_session_statement(also), {"user_id": user_id, "key_hash": session_key_hash(session_key),
                                                        "now": utcnow()}).first()
    if row is None or not secrets.compare_digest(row[0].session_token, user_token):
        return None, ()
    return row[0], tuple(row[1:])


@functools.cache
def _session_statement(also: tuple):
    """Built once per set of extra columns (every signed-in request sends it), the values bound when it runs."""
    return (select(User, *also)
            .join(UserSession, UserSession.user_id == User.id)
            .where(User.id == USER_ID, User.active.is_(True), UserSession.key_hash == bindparam("key_hash"),
                   UserSession.ended_at.is_(None), UserSession.expires_at > bindparam("now")))
