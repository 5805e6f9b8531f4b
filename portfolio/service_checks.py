"""Plain checks every service shares: cleaning a text value and the optimistic-lock version check."""
from __future__ import annotations

from typing import Any

from portfolio.domain_errors import Conflict

CONFLICT_MESSAGE = ("Otra persona modificó este registro mientras usted lo editaba. "
                    "Vuelva a abrirlo para ver los cambios y repita su edición.")


def clean_text(value: Any, limit: int | None = None) -> str | None:
    """A text value from a form, a file or a caller: stripped, cut to ``limit`` characters; blank is None."""
    if value is None:
        return None
    text = str(value).strip()
    return (text[:limit] if limit else text) or None


def check_version(obj, expected_version: int | None, message: str = CONFLICT_MESSAGE) -> None:
    """Optimistic locking: the object must still be at the version the edit started from (None: no check)."""
    if expected_version is not None and obj.version != expected_version:
        raise Conflict(message)
