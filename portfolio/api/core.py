"""The API's door: token authentication, one decorator per operation, input checking and idempotent POSTs.

``operation`` declares, on each view, the permission (from the one policy table) and the token scope it
needs, the shapes of its query, body and answers (which spectree turns into the OpenAPI document), and
runs the checks in a fixed order: token (401) → role and scope (403) → query and body (415, 400, 422) →
the Idempotency-Key of a POST (replay or 409) → the view, which calls one service; the door commits once.
"""
from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Callable
from typing import Any

from flask import Blueprint, current_app, g, request
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from spectree import Response, SecurityScheme, SpecTree
from spectree.models import SecuritySchemeData
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portfolio import clock, db
from portfolio.api.models import ApiToken, IdempotentRequest, secret_hash
from portfolio.api.problems import ApiProblem
from portfolio.api.schemas import Problem
from portfolio.api.translate import field_errors
from portfolio.auth import policy

bp = Blueprint("api", __name__, url_prefix="/api/v1")

KEY_PATTERN = r"^[A-Za-z0-9_.:-]{8,100}$"
BEARER = re.compile(r"^Bearer\s+(\S+)\s*$", re.IGNORECASE)
TOUCH_EVERY_SECONDS = 60
MAX_ID = 2**31 - 1
MAX_BODY_BYTES = 64 * 1024

spec = SpecTree(
    "flask", mode="strict", path="_spectree", annotations=False,
    title="API de la cartera de seguridad ciudadana – La Libertad", version="1.0",
    description=(
        "API JSON para que los sistemas de planillas de las empresas declaren y paguen sus aportes al "
        "fideicomiso, y para que el personal, el MEF y los auditores lean la cartera de Obras por Impuestos. "
        "Autenticación: cabecera `Authorization: Bearer pf_…` con una clave creada en «Claves de API». Montos: "
        'texto con dos decimales ("1851.85"). Fechas ISO 8601. Cada POST lleva «Idempotency-Key». Errores: '
        "application/problem+json (RFC 9457)."),
    security_schemes=[SecurityScheme(name="clave", data=SecuritySchemeData(
        type="http", scheme="bearer", description="Clave de API (pf_…) creada en «Claves de API»."))],
    validation_error_status=422, validation_error_model=Problem,
    naming_strategy=lambda model: model.__name__, nested_naming_strategy=lambda _parent, child: child,
)


class IdempotencyHeaders(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    idempotency_key: str = Field(alias="Idempotency-Key", pattern=KEY_PATTERN,
                                 description="Clave única de la operación (8–100 caracteres A-Z a-z 0-9 _ . : -). "
                                             "Repetirla con los mismos datos devuelve la primera respuesta.")


# ---- authentication ----------------------------------------------------------------------------------------
@bp.before_request
def authenticate() -> None:
    """Every API request carries a token; the session cookie is never read (so there is no CSRF to forge)."""
    g.api_user = g.api_token = None
    endpoint = current_app.view_functions.get(request.endpoint or "")
    if endpoint is not None and getattr(endpoint, "access_policy", None) == policy.PUBLIC:
        return
    match = BEARER.match(request.headers.get("Authorization", ""))
    if not match:
        raise ApiProblem(401, headers={"WWW-Authenticate": 'Bearer realm="api"'})
    token = db.session.scalar(select(ApiToken).where(ApiToken.secret_hash == secret_hash(match.group(1))))
    now = clock.utcnow()
    if token is None or not token.usable(now):
        raise ApiProblem(401, "La clave de API no existe, venció, fue revocada o su usuario está desactivado.",
                         headers={"WWW-Authenticate": 'Bearer realm="api", error="invalid_token"'})
    address = (request.remote_addr or "")[:64] or None
    if (token.last_used_at is None or (now - token.last_used_at).total_seconds() >= TOUCH_EVERY_SECONDS
            or token.last_used_address != address):
        token.last_used_at, token.last_used_address = now, address
        db.session.commit()
    user = token.user
    user.audit_name = f"{user.email} · {token.label}"[:254]  # every audit row of an API action names the token
    g.api_user, g.api_token = user, token


def actor():
    return g.api_user


def service_key() -> str:
    """The idempotency key handed to the service (the services' own idempotency records)."""
    return f"api:{g.api_user.id}:{g.api_idempotency_key}"


# ---- operations ----------------------------------------------------------------------------------------------
def _validate(model: type[BaseModel] | None, raw: Any, *, where: str, as_json: bool = False) -> Any:
    if model is None:
        return None
    try:
        return model.model_validate_json(raw) if as_json else model.model_validate(raw)
    except ValidationError as exc:
        if as_json and any(e["type"] == "json_invalid" for e in exc.errors()):
            raise ApiProblem(400, "El cuerpo no es JSON válido.") from exc
        errors = field_errors(exc, where)
        raise ApiProblem(422, "Revise los campos indicados: " + "; ".join(f"{e['field']}: {e['detail']}" for e in errors),
                         errors=errors) from exc


def _body(model: type[BaseModel]) -> Any:
    if request.mimetype != "application/json":
        raise ApiProblem(415)
    if (request.content_length or 0) > MAX_BODY_BYTES:
        raise ApiProblem(413, f"El cuerpo supera {MAX_BODY_BYTES // 1024} KB; una operación de la API es pequeña.")
    return _validate(model, request.get_data() or b"", where="body", as_json=True)


def _fingerprint() -> str:
    try:
        canonical = json.dumps(json.loads(request.get_data() or b"null"), sort_keys=True, separators=(",", ":"))
    except ValueError:
        canonical = request.get_data().decode("utf-8", "replace")
    return hashlib.sha256(f"{request.method} {request.path}\n{canonical}".encode()).hexdigest()


def _stored(user_id: int, key: str) -> IdempotentRequest | None:
    return db.session.scalar(select(IdempotentRequest).where(IdempotentRequest.user_id == user_id,
                                                             IdempotentRequest.key == key))


def _replay(row: IdempotentRequest, fingerprint: str):
    if row.fingerprint != fingerprint:
        raise ApiProblem(409, "Esa Idempotency-Key ya se usó con otros datos u otra dirección. Use una clave nueva "
                              "para una operación nueva.", errors=[{"field": "Idempotency-Key",
                                                                     "detail": "Usada con otros datos."}])
    if row.status == 0:
        raise ApiProblem(409, "Una solicitud con esa Idempotency-Key está en curso; repítala en unos segundos.")
    response = current_app.response_class(row.body, status=row.status, mimetype="application/json")
    response.headers["Idempotent-Replayed"] = "true"
    response.headers["Cache-Control"] = "no-store"
    return response


def _claim_key() -> tuple[IdempotentRequest | None, Any]:
    """Claim the request's Idempotency-Key in this transaction, or answer the first response."""
    key = request.headers.get("Idempotency-Key", "")
    if not re.fullmatch(KEY_PATTERN, key):
        raise ApiProblem(400, "Falta la cabecera Idempotency-Key o no es válida (8 a 100 caracteres A-Z a-z 0-9 _ . : -).",
                         errors=[{"field": "Idempotency-Key", "detail": "Obligatoria en cada POST."}])
    user_id, fingerprint = g.api_user.id, _fingerprint()
    existing = _stored(user_id, key)
    if existing is not None:
        return None, _replay(existing, fingerprint)
    row = IdempotentRequest(user_id=user_id, key=key, fingerprint=fingerprint, status=0, body="")
    try:
        with db.session.begin_nested():
            db.session.add(row)
            db.session.flush()  # a concurrent request with the same key waits here until the first one ends
    except IntegrityError:
        existing = _stored(user_id, key)
        if existing is None:
            raise ApiProblem(409, "Una solicitud con esa Idempotency-Key está en curso; repítala en unos segundos.") from None
        return None, _replay(existing, fingerprint)
    g.api_idempotency_key = key
    return row, None


def _json(payload: Any, status: int):
    text = json.dumps(payload, ensure_ascii=False, default=str)
    response = current_app.response_class(text, status=status, mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"  # financial and personal data: never in a shared cache
    return response, text


def operation(permission: str | tuple[str, ...] | None, scope: str | None, *, ok: Any = None, status: int = 200,
              query: type[BaseModel] | None = None, body: type[BaseModel] | None = None, tags: tuple[str, ...] = (),
              errors: tuple[int, ...] = (), summary_codes: dict[int, str] | None = None) -> Callable:
    """Declare an API operation (see the module docstring). The view gets ``query=`` and ``body=`` (validated
    models) and returns ``(payload, status)`` or a payload; a POST commits once after it returns."""
    permissions = () if permission is None else (permission,) if isinstance(permission, str) else tuple(permission)
    codes = {401, 403, 422, 429, *errors}
    if body is not None:
        codes |= {400, 409, 413, 415}

    def decorate(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def view(**path: Any):
            user = g.api_user
            if permissions and not any(policy.allows(user, p) for p in permissions):
                raise ApiProblem(403, "Su rol no permite esta operación.")
            if scope is not None and scope not in g.api_token.scope_set:
                raise ApiProblem(403, f"La clave no tiene el alcance «{scope}».")
            if any(isinstance(v, int) and not 0 < v <= MAX_ID for v in path.values()):
                raise ApiProblem(404)  # an id no row can have (PostgreSQL integers end at 2³¹−1): not found
            kwargs = dict(path)
            if query is not None:
                kwargs["query"] = _validate(query, request.args.to_dict(), where="query")
            claimed = None
            if body is not None:
                kwargs["body"] = _body(body)
                claimed, replay = _claim_key()
                if replay is not None:
                    return replay
            result = fn(**kwargs)
            payload, code = result if isinstance(result, tuple) else (result, status)
            response, text = _json(payload, code)
            if claimed is not None:
                claimed.status, claimed.body = code, text
                db.session.flush()
                db.session.commit()
            return response

        responses: dict[str, Any] = {f"HTTP_{status}": ok}
        responses |= {f"HTTP_{code}": Problem for code in sorted(codes)}
        documented = spec.validate(query=query, json=body, headers=IdempotencyHeaders if body is not None else None,
                                   resp=Response(**responses), tags=tags, security={"clave": []},
                                   skip_validation=True)(view)
        documented.api_scope = scope  # type: ignore[attr-defined]
        return policy.api(*permissions)(documented)

    return decorate


def public_operation(fn: Callable) -> Callable:
    return policy.public(fn)
