"""Reads of accounts shared by the login machinery and the pages."""
from __future__ import annotations

from portfolio import db
from portfolio.auth.models import User


def user_by_id(user_id: int) -> User | None:
    """The account with this id, or None (the session loader decides what a missing or inactive one means)."""
    return db.session.get(User, user_id)
