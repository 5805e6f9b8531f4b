"""Login throttling, decided by the database so that the limits hold across workers and hosts.

Three limits, all over the last ``LOGIN_LOCK_MINUTES``:

* **account + address** (``LOGIN_MAX_FAILURES_PER_ACCOUNT``, 5): that many failures for one account from
  one address lock that address out of that account (and only that address: the owner elsewhere still
  logs in, so a stranger cannot lock the trustee or a board member out).
* **address** (``LOGIN_MAX_FAILURES_PER_ADDRESS``, 20): failures from one address over all accounts.
* **account** (``LOGIN_ACCOUNT_SLOW_AFTER``, 50): failures for one account from all addresses put the
  account in *slow mode*: it accepts one attempt every ``LOGIN_ACCOUNT_SLOW_SECONDS`` from addresses it has
  not logged in from in the last ``LOGIN_KNOWN_ADDRESS_DAYS``. It slows a distributed guesser; it never
  locks the account. Reaching the ceiling writes an ``auth.login_slowed`` audit row, and the owner's next
  successful login lists the failed attempts since the previous one.

Counting, checking the password and recording the attempt happen under a lock on the account and on the
address (PostgreSQL advisory transaction locks; on SQLite the transaction already holds the database's
write lock from its start, see ``portfolio.db``), so simultaneous attempts cannot all pass the count
before any of them is recorded. The lock ends with the transaction.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select

from portfolio import db
from portfolio.auth.models import LoginAttempt
from portfolio.db_types import utcnow
from portfolio.domain_errors import DomainError

NOTICE_ATTEMPTS_SHOWN = 5


class LoginThrottled(DomainError):
    status_code = 429

    def __init__(self, message: str, *, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


def lock(email: str, address: str) -> None:
    """Serialise login attempts for this account and for this address until the transaction ends."""
    # Always account first, then address: every transaction takes them in the same order.
    for key in (f"login:account:{email}", f"login:address:{address}"):
        db.named_lock(key)


def _failures(*conditions, since: dt.datetime) -> int:
    return db.session.scalar(
        select(func.count(LoginAttempt.id)).where(*conditions, LoginAttempt.at >= since,
                                                  LoginAttempt.success.is_(False))
    ) or 0


def _last(*conditions) -> dt.datetime | None:
    return db.session.scalar(select(func.max(LoginAttempt.at)).where(*conditions))


@dataclass
class Verdict:
    """What ``check`` found: the account's failures in the window (to tell when the ceiling is reached)."""

    account_failures: int


def check(email: str, address: str) -> Verdict:
    """Raise ``LoginThrottled`` when this attempt may not be evaluated now. Call under ``lock``."""
    from flask import current_app

    cfg = current_app.config
    minutes = cfg["LOGIN_LOCK_MINUTES"]
    now = utcnow()
    window = now - dt.timedelta(minutes=minutes)
    is_account = LoginAttempt.email == email
    is_address = LoginAttempt.address == address
    succeeded = LoginAttempt.success.is_(True)

    last_ok_here = _last(is_account, is_address, succeeded)
    since_here = max(window, last_ok_here) if last_ok_here else window
    if _failures(is_account, is_address, since=since_here) >= cfg["LOGIN_MAX_FAILURES_PER_ACCOUNT"]:
        raise LoginThrottled(
            f"Demasiados intentos fallidos para esta cuenta. Espere {minutes} minutos e intente de nuevo.",
            retry_after=minutes * 60,
        )
    if _failures(is_address, since=window) >= cfg["LOGIN_MAX_FAILURES_PER_ADDRESS"]:
        raise LoginThrottled(
            f"Demasiados intentos fallidos desde su dirección. Espere {minutes} minutos e intente de nuevo.",
            retry_after=minutes * 60,
        )

    last_ok = _last(is_account, succeeded)
    since = max(window, last_ok) if last_ok else window
    account_failures = _failures(is_account, since=since)
    if account_failures >= cfg["LOGIN_ACCOUNT_SLOW_AFTER"]:
        known_since = now - dt.timedelta(days=cfg["LOGIN_KNOWN_ADDRESS_DAYS"])
        known = last_ok_here is not None and last_ok_here >= known_since
        seconds = cfg["LOGIN_ACCOUNT_SLOW_SECONDS"]
        last_failure = _last(is_account, LoginAttempt.success.is_(False))
        if not known and last_failure is not None and now - last_failure < dt.timedelta(seconds=seconds):
            raise LoginThrottled(
                "Esta cuenta recibió muchos intentos fallidos; por seguridad solo se admite un intento cada "
                f"{seconds} segundos. Espere unos segundos e intente de nuevo.",
                retry_after=seconds,
            )
    return Verdict(account_failures=account_failures)


def reached_ceiling(verdict: Verdict) -> bool:
    """Did the failure just recorded bring the account to the slow-mode ceiling?"""
    from flask import current_app

    return verdict.account_failures + 1 == current_app.config["LOGIN_ACCOUNT_SLOW_AFTER"]


@dataclass
class FailedAttempts:
    """Failed attempts on an account since its previous successful login, for the owner's notice."""

    count: int
    latest: list[tuple[dt.datetime, str]]


def failures_since_last_login(email: str) -> FailedAttempts:
    is_account = LoginAttempt.email == email
    last_ok = _last(is_account, LoginAttempt.success.is_(True))
    conditions = [is_account, LoginAttempt.success.is_(False)]
    if last_ok is not None:
        conditions.append(LoginAttempt.at > last_ok)
    count = db.session.scalar(select(func.count(LoginAttempt.id)).where(*conditions)) or 0
    latest = []
    if count:
        latest = [tuple(row) for row in db.session.execute(
            select(LoginAttempt.at, LoginAttempt.address).where(*conditions)
            .order_by(LoginAttempt.at.desc(), LoginAttempt.id.desc()).limit(NOTICE_ATTEMPTS_SHOWN)
        )]
    return FailedAttempts(count=count, latest=latest)
