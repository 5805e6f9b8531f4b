"""Reading the expediente: the owners documents attach to, the current documents of an owner, a disbursement's
dossier with its invoice register, the documents a vote saw, what rests on a document, and the
permission-aware getters for downloads (a document out of the reader's scope is the same 404 as a missing one).

``documents_for(kind, id)`` is the stable read for other packages (the PDFs list it with hashes).
"""
from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Integer, bindparam, exists, func, insert, select
from sqlalchemy.orm import aliased, selectinload

from portfolio import db
from portfolio.auth.policy import allows
from portfolio.auth.roles import COMPANY
from portfolio.documents.models import Document, VoteDocument
from portfolio.documents.vocab import (
    OWNER_LABELS,
    PROJECT_OWNERS,
    PUBLISHABLE_OWNERS,
    TRUST_OWNERS,
    DocumentStatus,
    OwnerKind,
    types_for,
)
from portfolio.domain_errors import NotFound
from portfolio.projects.vocab import CertificateStatus

NOT_FOUND = "El documento no existe o no está a su alcance."


@dataclass(frozen=True)
class DocumentInfo:
    """One document as other packages read it (``documents_for``)."""

    id: int
    type: str          # catalogue code (``convenio``, ``comprobante``…)
    type_label: str    # its Spanish label
    name: str          # the file's name as uploaded
    date: dt.date      # the document's own date
    size: int          # bytes
    sha256: str
    version: int
    public: bool
    uploaded_at: dt.datetime


@dataclass
class Owner:
    kind: OwnerKind
    id: int
    obj: Any
    project_id: int | None
    disbursement: Any  # the disbursement of a trust owner, else None

    @property
    def label(self) -> str:
        return f"{OWNER_LABELS[self.kind]} N.º {self.id}"


def owner(kind: OwnerKind | str, owner_id: int) -> Owner:
    """The object a document attaches to, or NotFound."""
    from portfolio.projects.models import Certificate, Milestone, Project
    from portfolio.trust.models import Disbursement, Tranche

    kind = OwnerKind(kind)
    model = {OwnerKind.PROJECT: Project, OwnerKind.MILESTONE: Milestone, OwnerKind.CERTIFICATE: Certificate,
             OwnerKind.DISBURSEMENT: Disbursement, OwnerKind.DECISION: Disbursement, OwnerKind.TRANCHE: Tranche}[kind]
    obj = db.session.get(model, owner_id) if isinstance(owner_id, int) else None
    if obj is None:
        raise NotFound(f"{OWNER_LABELS[kind]}: no existe.")
    if kind == OwnerKind.PROJECT:
        return Owner(kind, owner_id, obj, obj.id, None)
    if kind in (OwnerKind.MILESTONE, OwnerKind.CERTIFICATE):
        return Owner(kind, owner_id, obj, obj.project_id, None)
    if kind == OwnerKind.TRANCHE:
        return Owner(kind, owner_id, obj, None, obj.disbursement)
    return Owner(kind, owner_id, obj, None, obj)


@functools.cache
def _successor():
    """SQL: a newer version supersedes the document (built once; SQL expressions are immutable)."""
    newer = aliased(Document)
    return exists().where(newer.supersedes_id == Document.id)


def _current(query):
    return query.where(Document.status == DocumentStatus.VIGENTE, ~_successor())


def is_current(document: Document) -> bool:
    """Is ``document`` the latest version (no newer version supersedes it)?"""
    return db.session.scalar(select(Document.id).where(Document.supersedes_id == document.id)) is None


def get_document(document_id: int, *, lock: bool = False) -> Document:
    row = db.session.get(Document, document_id, with_for_update=lock, populate_existing=lock) \
        if isinstance(document_id, int) else None
    if row is None:
        raise NotFound(NOT_FOUND)
    return row


def current_documents(kind: OwnerKind | str, owner_id: int) -> list[Document]:
    return list(db.session.scalars(_current(select(Document).where(
        Document.owner_kind == OwnerKind(kind), Document.owner_id == owner_id)).order_by(Document.doc_date, Document.id)))


def documents_for(kind: str, owner_id: int) -> list[DocumentInfo]:
    """The documents on file for an owner (current versions, withdrawn ones left out), oldest first:
    ``kind`` is one of project, milestone, certificate, disbursement, tranche, decision."""
    return [_info(d) for d in current_documents(kind, owner_id)]


def dossier_infos(disbursement_id: int) -> list[DocumentInfo]:
    """Every current document of a disbursement's dossier (request, invoices, tranches, decision), as
    :func:`documents_for` gives them: what the acta de decisión lists with each file's SHA-256."""
    return [_info(d) for d in dossier_documents(disbursement_id)]


def _info(d: Document) -> DocumentInfo:
    return DocumentInfo(d.id, d.doc_type, d.type_label, d.filename, d.doc_date, d.size, d.sha256, d.version,
                        d.is_public, d.uploaded_at)


def history(document: Document) -> list[Document]:
    """Every version of a document's line, newest first (the old ones stay readable)."""
    line = [document]
    while line[-1].supersedes_id is not None:
        line.append(db.session.get(Document, line[-1].supersedes_id))
    newer = document
    while (nxt := db.session.scalar(select(Document).where(Document.supersedes_id == newer.id))) is not None:
        line.insert(0, nxt)
        newer = nxt
    return line


def dossier_documents(disbursement_id: int) -> list[Document]:
    """Every current document of a disbursement's dossier (request, invoices, tranches, decision)."""
    return dossiers_documents([disbursement_id])[disbursement_id]


@functools.cache
def _dossiers_query():
    return (_current(select(Document).where(Document.disbursement_id.in_(bindparam("ids", expanding=True))))
            .options(selectinload(Document.invoice)).order_by(Document.id))


def dossiers_documents(disbursement_ids: Iterable[int]) -> dict[int, list[Document]]:
    """:func:`dossier_documents` of several disbursements (the board's queue) from one statement."""
    ids = sorted(set(disbursement_ids))
    out: dict[int, list[Document]] = {i: [] for i in ids}
    if ids:
        for d in db.session.scalars(_dossiers_query(), {"ids": ids}):
            out[d.disbursement_id].append(d)
    return out


def _on_file(vote_id, disbursement_id):
    """SQL: the ballot's dossier rows (vote, document, SHA-256): the request's current documents."""
    return _current(select(vote_id, Document.id, Document.sha256).where(Document.disbursement_id == disbursement_id))


@functools.cache
def dossier_insert():
    """INSERT INTO vote_documents the dossier of the vote ``:vote`` (built once)."""
    return insert(VoteDocument.__table__).from_select(
        ["vote_id", "document_id", "sha256"],
        _on_file(bindparam("vote", type_=Integer), bindparam("disbursement", type_=Integer)))


@functools.cache
def ballot_with_dossier():
    """PostgreSQL: the ballot's INSERT … ON CONFLICT DO NOTHING and its dossier's INSERT … SELECT in one
    statement, returning the vote's columns and how many documents were recorded (no row: already voted)."""
    from sqlalchemy.dialects.postgresql import insert as pg_insert

    from portfolio.trust.models import Vote

    votes = Vote.__table__
    ballot = (pg_insert(votes).values({c.key: bindparam(c.key, type_=c.type) for c in votes.c if c.key != "id"})
              .on_conflict_do_nothing().returning(*votes.c).cte("ballot"))
    dossier = (insert(VoteDocument.__table__)
               .from_select(["vote_id", "document_id", "sha256"], _on_file(ballot.c.id, ballot.c.disbursement_id))
               .returning(VoteDocument.__table__.c.id).cte("dossier"))
    return select(*ballot.c, select(func.count()).select_from(dossier).scalar_subquery())


@dataclass
class Dossier:
    request: list[Document]
    invoices: list[Document]
    tranches: dict[int, list[Document]]
    decision: list[Document]
    invoice_total: Decimal
    missing_invoices: list[str]  # invoices of the register with no document on file

    @property
    def count(self) -> int:
        return len(self.request) + len(self.invoices) + sum(map(len, self.tranches.values())) + len(self.decision)


def dossier(disbursement, docs: list[Document] | None = None) -> Dossier:
    """The dossier of ``disbursement`` by part; ``docs``: its :func:`dossier_documents`, when already read."""
    if docs is None:
        docs = dossier_documents(disbursement.id)
    invoices = [d for d in docs if d.owner_kind == OwnerKind.DISBURSEMENT and d.invoice_id is not None]
    tranches: dict[int, list[Document]] = {}
    for d in docs:
        if d.owner_kind == OwnerKind.TRANCHE:
            tranches.setdefault(d.owner_id, []).append(d)
    with_doc = {d.invoice_id for d in invoices}
    return Dossier(
        request=[d for d in docs if d.owner_kind == OwnerKind.DISBURSEMENT and d.invoice_id is None],
        invoices=invoices, tranches=tranches,
        decision=[d for d in docs if d.owner_kind == OwnerKind.DECISION],
        invoice_total=sum((d.invoice_amount for d in invoices if d.invoice_amount is not None), Decimal("0.00")),
        missing_invoices=[i.label for i in disbursement.invoices if i.id not in with_doc])


def vote_hashes(disbursement_id: int) -> dict[int, list[VoteDocument]]:
    """vote id → the documents (with the hash) on file when it was cast."""
    return votes_hashes([disbursement_id])[disbursement_id]


def votes_hashes(disbursement_ids: Iterable[int]) -> dict[int, dict[int, list[VoteDocument]]]:
    """:func:`vote_hashes` of several disbursements from one statement: disbursement id → vote id → documents."""
    from portfolio.trust.models import Vote

    ids = sorted(set(disbursement_ids))
    out: dict[int, dict[int, list[VoteDocument]]] = {i: {} for i in ids}
    if ids:
        rows = db.session.execute(select(Vote.disbursement_id, VoteDocument).join(Vote, Vote.id == VoteDocument.vote_id)
                                  .where(Vote.disbursement_id.in_(ids)).order_by(VoteDocument.id))
        for disbursement_id, row in rows:
            out[disbursement_id].setdefault(row.vote_id, []).append(row)
    return out


def project_documents(project_id: int) -> dict[str, list[Document]]:
    """A project's current documents by owner: the project's own, each milestone's, each certificate's."""
    docs = list(db.session.scalars(_current(select(Document).where(Document.project_id == project_id))
                                   .order_by(Document.doc_date, Document.id)))
    return {kind: [d for d in docs if d.owner_kind == kind] for kind in PROJECT_OWNERS}


def public_documents(project_id: int) -> list[Document]:
    """What citizens see on the portal's project page: current public documents of the project and its milestones."""
    return list(db.session.scalars(_current(select(Document).where(
        Document.project_id == project_id, Document.is_public.is_(True),
        Document.owner_kind.in_(PUBLISHABLE_OWNERS))).order_by(Document.doc_date, Document.id)))


def rests_on(document: Document) -> str | None:
    """Why a document may no longer be withdrawn (a board decision or an issued certificate rests on it), or None."""
    from portfolio.projects.models import Certificate
    from portfolio.trust.vocab import DisbursementStatus

    kind = OwnerKind(document.owner_kind)
    if db.session.scalar(select(VoteDocument.id).where(VoteDocument.document_id == document.id).limit(1)):
        return "un miembro del Comité Técnico votó con este documento en el expediente"
    if kind == OwnerKind.DECISION:
        return "es el sustento de un acuerdo del Comité Técnico"
    if kind in TRUST_OWNERS and document.disbursement_id is not None:
        from portfolio.trust.models import Disbursement

        status = db.session.get(Disbursement, document.disbursement_id).status
        if kind == OwnerKind.DISBURSEMENT and status != DisbursementStatus.SOLICITADO:
            return "el Comité Técnico ya decidió la solicitud"
        if kind == OwnerKind.TRANCHE:
            return "sustenta un pago ya ejecutado"
    issued = (CertificateStatus.EMITIDO, CertificateStatus.ANULADO)
    if kind == OwnerKind.CERTIFICATE:
        if db.session.get(Certificate, document.owner_id).status in issued:
            return "el certificado ya fue emitido"
    if kind == OwnerKind.MILESTONE and db.session.scalar(select(Certificate.id).where(
            Certificate.milestone_id == document.owner_id, Certificate.status.in_(issued)).limit(1)):
        return "un certificado emitido se sustenta en esta valorización"
    if kind == OwnerKind.PROJECT and document.doc_type in ("convenio", "adenda") and db.session.scalar(
            select(Certificate.id).where(Certificate.project_id == document.project_id,
                                         Certificate.status.in_(issued)).limit(1)):
        return "un certificado emitido del proyecto se sustenta en el convenio"
    return None


def readable(document: Document, user: Any) -> bool:
    """May ``user`` read ``document``? Companies: documents of the projects their company finances;
    trust dossiers: the trust's readers (staff, board, trustee, auditor); auditors read everything."""
    kind = OwnerKind(document.owner_kind)
    if kind in PROJECT_OWNERS:
        if not allows(user, "projects.view"):
            return False
        if user.role == COMPANY:
            from portfolio.projects.models import ProjectMember

            return db.session.scalar(select(ProjectMember.id).where(
                ProjectMember.project_id == document.project_id, ProjectMember.company_id == user.company_id)) is not None
        return True
    return allows(user, "trust.view")


def get_readable_document(document_id: int, user: Any) -> Document:
    """The document if ``user`` may read it (withdrawn ones: only the auditor); the same 404 otherwise."""
    document = get_document(document_id)
    if not readable(document, user):
        raise NotFound(NOT_FOUND)
    if document.status != DocumentStatus.VIGENTE and not allows(user, "audit.view"):
        raise NotFound(NOT_FOUND)
    return document


def get_public_document(document_id: int) -> Document:
    """A document citizens may download: public, of a project or milestone, not withdrawn."""
    document = get_document(document_id)
    if not (document.is_public and document.owner_kind in PUBLISHABLE_OWNERS
            and document.status == DocumentStatus.VIGENTE):
        raise NotFound(NOT_FOUND)
    return document


def project_targets(project_id: int, milestones=None, certificates=None) -> list[tuple[str, str]]:
    """(value, label) of what a project page's upload form may attach to: the project, its milestones (by planned
    date) and certificates (by id); ``milestones`` and ``certificates`` are read here unless the caller has them."""
    from portfolio.projects.models import Certificate, Milestone

    if milestones is None:
        milestones = db.session.scalars(select(Milestone).where(Milestone.project_id == project_id))
    if certificates is None:
        certificates = db.session.scalars(select(Certificate).where(Certificate.project_id == project_id))
    out = [(f"{OwnerKind.PROJECT}:{project_id}", "El proyecto")]
    for m in sorted(milestones, key=lambda m: (m.planned_date, m.id)):
        out.append((f"{OwnerKind.MILESTONE}:{m.id}", f"Hito: {m.label} ({m.planned_date:%d/%m/%Y})"))
    for c in sorted(certificates, key=lambda c: c.id):
        out.append((f"{OwnerKind.CERTIFICATE}:{c.id}", f"Certificado {c.cert_type} {c.number}"))
    return out


def disbursement_targets(disbursement) -> list[tuple[str, str]]:
    out = [(f"{OwnerKind.DISBURSEMENT}:{disbursement.id}", "La solicitud (propuesta, presupuesto, comprobantes)")]
    for t in disbursement.tranches:
        out.append((f"{OwnerKind.TRANCHE}:{t.id}", f"Tramo {t.reference} del {t.executed_on:%d/%m/%Y}"))
    out.append((f"{OwnerKind.DECISION}:{disbursement.id}", "El acuerdo del Comité Técnico (acta)"))
    return out


def type_choices(kinds) -> list[tuple[str, str]]:
    seen: dict[str, str] = {}
    for kind in kinds:
        for t in types_for(kind):
            seen.setdefault(t.code, t.label)
    return list(seen.items())
