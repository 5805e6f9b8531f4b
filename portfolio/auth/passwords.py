"""Password hashing (argon2id) and the password policy."""
from __future__ import annotations

import gzip
import re
from functools import lru_cache
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from argon2.profiles import RFC_9106_LOW_MEMORY

MIN_LENGTH = 12
MAX_LENGTH = 128

# RFC 9106's second recommended profile: argon2id, t=3, m=64 MiB, p=4.
STRONG = RFC_9106_LOW_MEMORY
_hashers = {
    "strong": PasswordHasher.from_parameters(STRONG),
    # Only for the test suite, where hundreds of users are created; never selectable in production.
    "fast": PasswordHasher(time_cost=1, memory_cost=8, parallelism=1),
}


def _hasher():
    from flask import current_app, has_app_context

    profile = current_app.config.get("PASSWORD_HASH_PROFILE", "strong") if has_app_context() else "strong"
    if profile not in _hashers:
        profile = "strong"
    if has_app_context() and current_app.config.get("ENV_MODE") == "production":
        profile = "strong"
    return _hashers[profile]


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    try:
        return _hasher().check_needs_rehash(stored_hash)
    except InvalidHashError:
        return True


# Verified against for unknown e-mails, so that a missing account costs the same work as a wrong password:
# one argon2 verification with the profile's parameters and no hashing. Fixed strings (of random passwords
# nobody knows) rather than hashes computed at run time, so not even the first call in a process differs;
# tests/auth/test_timing.py checks that each still carries its profile's parameters.
_DUMMY_HASHES = {
    "strong": "$argon2id$v=19$m=65536,t=3,p=4$N4lh8r5njwZ0h47Da88thA$mJELXPnWDgebvdbtSq5f4GkmjnXxs39j/RadOmN3Ijs",
    "fast": "$argon2id$v=19$m=8,t=1,p=1$mhwd8el837i6GVdmZraIwg$CGTKvEuNlTLAxu9BUn0KDrJT0IYmFeOJhfCkrjtN/UA",
}


def dummy_hash() -> str:
    hasher = _hasher()
    return next(stored for name, stored in _DUMMY_HASHES.items() if _hashers[name] is hasher)


def burn_time(password: str) -> None:
    """Do the work of checking ``password`` against an account's hash, for an account that does not exist."""
    verify_password(dummy_hash(), password)


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    base = resources.files("portfolio.auth")
    with gzip.open(base.joinpath("common-passwords.txt.gz").open("rb"), "rt", encoding="utf-8") as fh:
        words = {line.strip().lower() for line in fh if line.strip()}
    for line in base.joinpath("common-passwords-es.txt").read_text(encoding="utf-8").splitlines():
        line = line.strip().lower()
        if line and not line.startswith("#"):
            words.add(line)
    return frozenset(words)


_EDGES = re.compile(r"^[\W\d_]+|[\W\d_]+$")


def password_problems(password: str, *, email: str | None = None, name: str | None = None) -> list[str]:
    """Spanish messages describing why ``password`` is not acceptable (empty when it is)."""
    problems: list[str] = []
    if len(password) < MIN_LENGTH:
        problems.append(f"La contraseña debe tener al menos {MIN_LENGTH} caracteres.")
    if len(password) > MAX_LENGTH:
        problems.append(f"La contraseña no puede tener más de {MAX_LENGTH} caracteres.")
    lowered = password.lower()
    core = _EDGES.sub("", lowered)
    common = common_passwords()
    if lowered in common or (core and core in common and len(lowered) - len(core) <= 8):
        problems.append("Esa contraseña es demasiado común; elija otra que no sea fácil de adivinar.")
    elif not core:
        problems.append("La contraseña no puede estar formada solo por números o símbolos.")
    elif len(set(lowered)) <= 3:
        problems.append("La contraseña repite muy pocos caracteres distintos.")
    if email:
        local = email.split("@", 1)[0].lower()
        if len(local) >= 4 and local in lowered:
            problems.append("La contraseña no debe contener su correo electrónico.")
    return problems
