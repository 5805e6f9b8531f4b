"""Accounts: login with throttling, user management, password changes. No commits here."""
from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from sqlalchemy import delete, or_, select, update

from portfolio import audit, db
from portfolio.auth import passwords, throttle
from portfolio.auth.models import LoginAttempt, User, UserSession, new_session_token, session_key_hash
from portfolio.auth.policy import LOGIN_GUARD, service
from portfolio.auth.roles import COMPANY, ROLES
from portfolio.db_types import utcnow
from portfolio.domain_errors import DomainError, Forbidden, NotFound
from portfolio.orgs.models import Company


def _app():
    """The running Flask app (imported on use: the services module itself loads without Flask)."""
    from flask import current_app

    return current_app

GENERIC_LOGIN_ERROR = "Correo o contraseña incorrectos."
USER_FIELDS = ["email", "name", "role", "company_id", "active"]
LoginThrottled = throttle.LoginThrottled


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()


@dataclass
class LoginResult:
    user: User | None
    error: str | None = None
    session_key: str | None = None  # names the server-side session; goes into the signed cookie
    failed_attempts: throttle.FailedAttempts | None = None  # since the previous login, for the owner


def authenticate(email: str, password: str, address: str) -> LoginResult:
    """Check the credentials, record the attempt and, on success, open a server-side session.

    Raises ``LoginThrottled`` when this attempt may not be evaluated now (see ``portfolio.auth.throttle``).
    An unknown e-mail, an inactive account and a wrong password get the same message and the same work
    (one argon2 verification), so the form reveals nothing about which accounts exist.
    """
    email = normalize_email(email)[:254]
    address = (address or "-")[:64]
    throttle.lock(email, address)
    verdict = throttle.check(email, address)
    user = db.session.scalar(select(User).where(User.email == email))
    ok = False
    if user is None:
        passwords.burn_time(password)
    else:
        ok = passwords.verify_password(user.password_hash, password) and user.active
    if not ok:
        db.session.add(LoginAttempt(email=email, address=address, success=False))
        if user is not None and throttle.reached_ceiling(verdict):
            audit.record("auth.login_slowed", user, actor=LOGIN_GUARD,
                         after={"intentos_fallidos": verdict.account_failures + 1,
                                "ventana_minutos": _app().config["LOGIN_LOCK_MINUTES"]})
        db.session.flush()
        return LoginResult(None, GENERIC_LOGIN_ERROR)
    failed = throttle.failures_since_last_login(email)
    db.session.add(LoginAttempt(email=email, address=address, success=True))
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    user.last_login_at = utcnow()
    key = start_session(user, address=address)
    audit.record("auth.login", user, actor=user,
                 after={"intentos_fallidos_previos": failed.count} if failed.count else None)
    db.session.flush()
    return LoginResult(user, session_key=key, failed_attempts=failed)


def start_session(user: User, *, address: str | None) -> str:
    """Open a server-side session for ``user``; returns the key the browser's signed cookie carries."""
    now = utcnow()
    # Sessions of this user that ended or expired more than a day ago are of no further use.
    db.session.execute(delete(UserSession).where(
        UserSession.user_id == user.id,
        or_(UserSession.expires_at < now - dt.timedelta(days=1), UserSession.ended_at < now - dt.timedelta(days=1)),
    ))
    key = secrets.token_urlsafe(32)
    lifetime = _app().permanent_session_lifetime  # the signed cookie's own lifetime (SESSION_HOURS)
    db.session.add(UserSession(user_id=user.id, key_hash=session_key_hash(key), created_at=now,
                               expires_at=now + lifetime, address=address))
    return key


def end_session(*, user: User, session_key: str | None, actor) -> None:
    """Logout: the server-side session ends, so the cookie that named it (and any copy) opens nothing."""
    if actor is None or actor.id != user.id:
        raise Forbidden("Solo puede cerrar su propia sesión.")
    if session_key:
        db.session.execute(
            update(UserSession)
            .where(UserSession.user_id == user.id, UserSession.key_hash == session_key_hash(session_key),
                   UserSession.ended_at.is_(None))
            .values(ended_at=utcnow())
        )
    audit.record("auth.logout", user, actor=actor)
    db.session.flush()


def validate_password(password: str, email: str | None = None) -> None:
    """Validation: the password policy (length, not the e-mail, not a common password)."""
    problems = passwords.password_problems(password, email=email)
    if problems:
        raise DomainError(" ".join(problems), field="password")


def _resolve_company(role: str, company_id: int | None) -> int | None:
    if role == COMPANY:
        if not company_id or db.session.get(Company, company_id) is None:
            raise DomainError("Un usuario de empresa debe estar vinculado a una empresa registrada.",
                              field="company_id")
        return company_id
    return None


@service("users.manage")
def create_user(*, email: str, name: str, role: str, password: str, company_id: int | None = None,
                actor) -> User:
    """Create an account: a known role, a unique e-mail, a policy-compliant password, a company for company users."""
    email = normalize_email(email)
    if role not in ROLES:
        raise DomainError("Rol desconocido.", field="role")
    if not name.strip():
        raise DomainError("Ingrese el nombre.", field="name")
    if db.session.scalar(select(User.id).where(User.email == email)):
        raise DomainError("Ya existe un usuario con ese correo.", field="email")
    validate_password(password, email)
    user = User(
        email=email,
        name=name.strip(),
        role=role,
        company_id=_resolve_company(role, company_id),
        active=True,
        password_hash=passwords.hash_password(password),
        session_token=new_session_token(),
    )
    db.session.add(user)
    db.session.flush()
    audit.record("user.create", user, after=audit.snapshot(user, USER_FIELDS), actor=actor)
    return user


def get_user(user_id: int) -> User:
    """Read: the user, or ``NotFound``."""
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("El usuario no existe.")
    return user


@service("users.manage")
def update_user(*, user: User, name: str, role: str, company_id: int | None, active: bool, actor) -> User:
    """Edit an account; nobody changes their own role or deactivates themselves; deactivating ends its sessions."""
    if role not in ROLES:
        raise DomainError("Rol desconocido.", field="role")
    if actor is not None and user.id == actor.id and (role != user.role or not active):
        raise DomainError("No puede cambiar su propio rol ni desactivar su propia cuenta.", field="role")
    before = audit.snapshot(user, USER_FIELDS)
    user.name = name.strip() or user.name
    user.company_id = _resolve_company(role, company_id)
    user.role = role
    if user.active and not active:
        user.session_token = new_session_token()  # ends every open session of this user
    user.active = active
    db.session.flush()
    old, new = audit.changes(before, audit.snapshot(user, USER_FIELDS))
    if new:
        audit.record("user.update", user, before=old, after=new, actor=actor)
    return user


@service("users.manage")
def set_active(*, user: User, active: bool, actor) -> User:
    """Activate or deactivate an account under the rules of ``update_user``."""
    return update_user(user=user, name=user.name, role=user.role, company_id=user.company_id, active=active,
                       actor=actor)


@service("users.manage")
def set_password(*, user: User, new_password: str, actor) -> None:
    """Reset a user's password (policy-compliant); every open session of that user ends."""
    _store_password(user, new_password, actor=actor, action="user.reset_password")


def _store_password(user: User, new_password: str, *, actor, action: str) -> None:
    validate_password(new_password, user.email)
    user.password_hash = passwords.hash_password(new_password)
    user.session_token = new_session_token()  # every other session of this user ends
    db.session.flush()
    audit.record(action, user, actor=actor)


@service("account.password")
def change_own_password(*, current_password: str, new_password: str, actor) -> None:
    """The actor changes their own password: the current one must match and the new one must differ."""
    user = actor
    if not passwords.verify_password(user.password_hash, current_password):
        raise DomainError("La contraseña actual no es correcta.", field="current_password")
    if current_password == new_password:
        raise DomainError("La nueva contraseña debe ser distinta de la actual.", field="new_password")
    _store_password(user, new_password, actor=user, action="user.change_password")
