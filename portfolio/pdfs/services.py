"""Issuing a PDF: check who may have it, build its content from the pages' own queries, give it a fresh
verification code, render it, record its SHA-256 (append-only) and audit the issue.

Each issue is a new document with its own code: two downloads of the same constancia are two documents,
each verifiable on its own, each saying what the books said when it was issued.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from portfolio import audit, clock, db
from portfolio.auth.policy import authorize, service
from portfolio.auth.roles import COMPANY
from portfolio.domain_errors import DomainError, NotFound
from portfolio.pdfs import content as contents
from portfolio.pdfs import render
from portfolio.pdfs.codes import new_code
from portfolio.pdfs.models import IssuedDocument
from portfolio.pdfs.vocab import KIND_PERMISSIONS, DocumentKind


@dataclass(frozen=True)
class Issued:
    document: IssuedDocument
    pdf: bytes

    @property
    def filename(self) -> str:
        return f"{self.document.kind}-{self.document.code}.pdf"


def _check_scope(kind: str, params: dict[str, Any], actor) -> None:
    """Object scope on top of the permission: a company issues only its own constancia and statement and the
    ficha of a project it finances; anything else is the same NotFound as a missing object."""
    if kind in (DocumentKind.CONSTANCIA, DocumentKind.ESTADO_EMPRESA):
        if getattr(actor, "role", None) != COMPANY or actor.company_id is None:
            raise NotFound("La empresa no existe.")
        if str(params.get("company_id")) != str(actor.company_id):
            raise NotFound("La empresa no existe.")
    if kind == DocumentKind.FICHA:
        from portfolio.projects.queries import get_project_or_404

        try:
            project_id = int(params.get("project_id"))
        except (TypeError, ValueError) as exc:
            raise NotFound("El proyecto no existe.") from exc
        get_project_or_404(project_id, actor)


def _period(params: dict[str, Any], today: dt.date) -> None:
    if "start" in params and "end" in params:
        start, end = dt.date.fromisoformat(params["start"]), dt.date.fromisoformat(params["end"])
        if end < start:
            raise DomainError("La fecha final es anterior a la inicial.", field="end")
        if end > today:
            raise DomainError("El periodo no puede terminar después de hoy: un estado de cuenta certifica lo "
                              "ocurrido, no lo que aún puede ocurrir.", field="end")


@service("pdfs.company", "pdfs.trust", "pdfs.project", "notifications.run")
def issue(*, kind: str, params: dict[str, Any], verify_base: str, actor, today: dt.date | None = None) -> Issued:
    """Issue one PDF of ``kind`` for ``params`` (ids, ISO dates). ``verify_base`` is the public address the
    QR code points at (``https://host/verificar``); the code is appended."""
    if kind not in KIND_PERMISSIONS:
        raise DomainError("Tipo de documento desconocido.", field="kind")
    authorize(actor, KIND_PERMISSIONS[kind])
    _check_scope(kind, params, actor)
    today = today or clock.today()
    params = dict(params)
    if kind in (DocumentKind.CONSTANCIA, DocumentKind.CARTA_COBRANZA):
        params["as_of"] = today.isoformat()
    try:
        _period(params, today)
    except ValueError as exc:
        raise DomainError("Fecha del documento inválida.", field="start") from exc
    content = contents.build(kind, params)
    code = new_code()
    while db.session.scalar(select(IssuedDocument.id).where(IssuedDocument.code == code)):  # pragma: no cover
        code = new_code()
    issued_at = clock.utcnow()
    pdf = render.pdf(content, code=code, verify_url=f"{verify_base.rstrip('/')}/{code}", issued_at=issued_at,
                     issued_by=actor.name)
    document = IssuedDocument(
        code=code, kind=content.kind, title=content.title, subject=content.subject[:300],
        params_json=_json(content.params), figures_json=content.figures_json(),
        figures_sha256=content.figures_sha256(), pdf_sha256=hashlib.sha256(pdf).hexdigest(), pdf_size=len(pdf),
        company_id=content.company_id, issued_at=issued_at, issued_by_id=actor.id)
    db.session.add(document)
    db.session.flush()
    audit.record("pdf.issue", document, actor=actor,
                 after={"code": code, "kind": content.kind, "subject": document.subject,
                        "pdf_sha256": document.pdf_sha256})
    return Issued(document, pdf)


def _json(value: dict[str, Any]) -> str:
    return json.dumps(value, sort_keys=True)
