"""Domain errors raised by services and the ledger: no web framework here.

Each carries a Spanish, user-presentable ``message`` and the HTTP status the error pages use;
:mod:`portfolio.errors` turns them into responses.
"""
from __future__ import annotations


class DomainError(Exception):
    """A business rule refused the action. ``message`` is Spanish and safe to show to the user.

    ``field`` names the form field the message belongs to, when there is one.
    """

    status_code = 422

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(DomainError):
    status_code = 404


class Forbidden(DomainError):
    status_code = 403


class Conflict(DomainError):
    """Someone else changed the object first (optimistic locking) or a duplicate was found."""

    status_code = 409
