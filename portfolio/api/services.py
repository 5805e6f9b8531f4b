"""API tokens: create (shown once, stored as a hash) and revoke.

A user creates tokens for themself («Claves de API»); the administrator, and the command line as SYSTEM, for
any user. A token acts with its user's role and never more (every operation checks the same policy), and
within its scopes; deactivating the user stops all of the user's tokens at once (checked on every request).
"""
from __future__ import annotations

import datetime as dt

from portfolio import audit, clock, db
from portfolio.api.models import SCOPES, ApiToken, new_secret, secret_hash
from portfolio.auth.models import User
from portfolio.auth.policy import allows, service
from portfolio.domain_errors import DomainError, NotFound

DEFAULT_DAYS = 90
MAX_DAYS = 366


def _may_manage_others(actor) -> bool:
    return allows(actor, "api.tokens.manage")


@service("api.tokens.own", "api.tokens.manage")
def create_token(*, user_id: int, name: str, scopes, days: int | None = DEFAULT_DAYS, actor) -> tuple[ApiToken, str]:
    """A new token for ``user_id``: returns the token row and its secret (shown once, never stored)."""
    if not _may_manage_others(actor) and user_id != actor.id:
        raise NotFound("El usuario no existe.")
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("El usuario no existe.")
    if not user.active:
        raise DomainError("El usuario está desactivado; no puede tener claves de API.", field="user_id")
    name = (name or "").strip()
    if not name or len(name) > 80:
        raise DomainError("Dé un nombre a la clave (hasta 80 caracteres), p. ej. «Sistema de planillas».", field="name")
    chosen = sorted({str(s).strip() for s in scopes or () if str(s).strip()})
    unknown = [s for s in chosen if s not in SCOPES]
    if unknown or not chosen:
        raise DomainError("Elija al menos un alcance válido: " + ", ".join(SCOPES) + ".", field="scopes")
    days = DEFAULT_DAYS if days is None else days
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= MAX_DAYS:
        raise DomainError(f"La vigencia debe ser de 1 a {MAX_DAYS} días.", field="days")
    secret = new_secret()
    token = ApiToken(user_id=user.id, name=name, prefix=secret[:10], secret_hash=secret_hash(secret),
                     scopes=",".join(chosen), created_by_id=getattr(actor, "id", None),
                     expires_at=clock.utcnow() + dt.timedelta(days=days))
    db.session.add(token)
    db.session.flush()
    audit.record("api.token.create", token, actor=actor,
                 after={"name": name, "token_user": user.email, "scopes": ",".join(chosen),
                        "expires_at": token.expires_at.isoformat(timespec="minutes")})
    return token, secret


@service("api.tokens.own", "api.tokens.manage")
def revoke_token(*, token_id: int, actor) -> ApiToken:
    """Revoke a token at once: the user revokes their own (another's is "not found"), the administrator any."""
    token = db.session.get(ApiToken, token_id)
    if token is None or (not _may_manage_others(actor) and token.user_id != actor.id):
        raise NotFound("La clave no existe.")
    if token.revoked_at is not None:
        raise DomainError("La clave ya estaba revocada.")
    token.revoked_at = clock.utcnow()
    db.session.flush()
    audit.record("api.token.revoke", token, actor=actor, before={"revoked": False},
                 after={"revoked": True, "name": token.name, "token_user": token.user.email})
    return token


@service("api.tokens.manage")
def purge_idempotency(*, days: int, actor) -> int:
    """Forget remembered POST answers older than ``days`` (a retry after that is a new request)."""
    from sqlalchemy import delete

    from portfolio.api.models import IdempotentRequest

    if not isinstance(days, int) or isinstance(days, bool) or days < 1:
        raise DomainError("Indique un número de días mayor que cero.", field="days")
    cutoff = clock.utcnow() - dt.timedelta(days=days)
    removed = db.session.execute(delete(IdempotentRequest).where(IdempotentRequest.created_at < cutoff)).rowcount
    audit.record("api.idempotency.purge", actor=actor, object_type="api_idempotency",
                 after={"days": days, "rows": removed})
    return removed
