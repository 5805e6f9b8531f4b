"""Verification codes of issued PDFs: printed as XXXX-XXXX-XXXX, read back forgivingly."""
from __future__ import annotations

import secrets

# Crockford's base32 without I, L, O, U: no letter reads as a digit, nothing spells a word.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_GROUPS, GROUP = 3, 4  # XXXX-XXXX-XXXX: 60 bits, unguessable


def new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_GROUPS * GROUP))
    return "-".join(raw[i:i + GROUP] for i in range(0, len(raw), GROUP))


def normalize_code(text: str | None) -> str | None:
    """A code as typed or read (lower case, spaces, no hyphens, O for 0, I/L for 1) in its printed form;
    None when it cannot be one."""
    raw = "".join((text or "").split()).replace("-", "").upper()
    raw = raw.translate(str.maketrans({"O": "0", "I": "1", "L": "1"}))
    if len(raw) != CODE_GROUPS * GROUP or any(ch not in ALPHABET for ch in raw):
        return None
    return "-".join(raw[i:i + GROUP] for i in range(0, len(raw), GROUP))
