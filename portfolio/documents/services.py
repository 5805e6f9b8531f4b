"""Writing the expediente: upload a document (or a new version of one), withdraw it, and record the dossier a
board vote saw.

Every door (page, CLI, tests) stages the upload first (``storage.stage``: hashed, size-limited, in a staging
file), then calls :func:`upload`, which checks who may attach what to which owner, reads the real format from
the content (``sniff.identify``), stores the content once per SHA-256 and adds the rows. When the transaction
rolls back, a content this transaction wrote to the store is deleted again: nothing partial stays on disk or
in the database. The door discards the staging file in every case.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import event, select

from portfolio import audit, clock, db
from portfolio.auth.policy import authorize, service
from portfolio.documents import queries
from portfolio.documents.models import Document, DocumentBlob
from portfolio.documents.sniff import Limits, check_filename, identify
from portfolio.documents.storage import Staged, Store
from portfolio.documents.vocab import (
    DOC_TYPES,
    FORMATS,
    OWNER_LABELS,
    PUBLISHABLE_OWNERS,
    DocumentStatus,
    OwnerKind,
)
from portfolio.domain_errors import Conflict, DomainError
from portfolio.money import CENT, MAX_AMOUNT
from portfolio.trust.vocab import DisbursementStatus

# Who may attach to each owner (on top of documents.upload): the permission of the work the owner belongs to.
OWNER_PERMISSION = {
    OwnerKind.PROJECT: "projects.manage", OwnerKind.MILESTONE: "projects.manage",
    OwnerKind.CERTIFICATE: "certificates.manage", OwnerKind.DISBURSEMENT: "trust.request",
    OwnerKind.DECISION: "trust.request", OwnerKind.TRANCHE: "trust.execute",
}
CLOSED_DISBURSEMENTS = frozenset({DisbursementStatus.RECHAZADO, DisbursementStatus.CANCELADO})
_PENDING = "documents.new_blobs"


@dataclass
class Uploaded:
    document: Document
    deduplicated: bool  # the same content was already stored: kept once


def _owner_kind(value: str) -> OwnerKind:
    try:
        return OwnerKind(value)
    except ValueError as exc:
        raise DomainError("Indique a qué se adjunta el documento.", field="owner") from exc


def _invoice_amount(value) -> Decimal:
    if not isinstance(value, Decimal) or not value.is_finite() or value <= 0:
        raise DomainError("Indique el monto del comprobante (mayor que cero).", field="invoice_amount")
    if value > MAX_AMOUNT or value != value.quantize(CENT):
        raise DomainError("Monto del comprobante inválido.", field="invoice_amount")
    return value


def _link_invoice(disbursement, invoice: tuple[str, str, str], amount: Decimal):
    """The invoice register row for this comprobante: the request's own one, or a new one; never another
    disbursement's (the register's unique RUC + serie + número blocks reuse, concurrent uploads included)."""
    from portfolio.trust.models import DisbursementInvoice
    from portfolio.trust.services.disbursements import invoice_in_use, normalize_invoice

    ruc, serie, numero = normalize_invoice(*invoice)
    used = invoice_in_use(ruc, serie, numero)
    if used is not None and used.disbursement_id != disbursement.id:
        raise DomainError(f"El comprobante {used.label} ya sustenta el desembolso N.º {used.disbursement_id}: "
                          "no puede usarse dos veces.", field="invoice_ruc")
    if used is not None:
        other = db.session.scalar(select(Document).where(Document.invoice_id == used.id,
                                                         Document.status == DocumentStatus.VIGENTE,
                                                         Document.invoice_amount != amount))
        if other is not None and queries.is_current(other):
            raise DomainError(f"El comprobante {used.label} ya figura con otro monto en el expediente; "
                              "suba una nueva versión de ese documento.", field="invoice_amount")
        return used
    row = DisbursementInvoice(disbursement_id=disbursement.id, ruc=ruc, serie=serie, numero=numero)
    db.insert_unique(row, f"El comprobante {ruc} {serie}-{numero} ya sustenta otro desembolso.", field="invoice_ruc")
    return row


def _track_new_blob(store: Store, sha256: str) -> None:
    """Delete ``sha256`` from the store again if this transaction rolls back instead of committing."""
    session = db.session()
    if not session.info.get(_PENDING + ".listening"):
        session.info[_PENDING + ".listening"] = True

        @event.listens_for(session, "after_commit")
        def _committed(sess):
            if not sess.in_nested_transaction():  # a savepoint's release also reports a commit
                sess.info.pop(_PENDING, None)

        @event.listens_for(session, "after_transaction_end")
        def _ended(sess, transaction):
            # The whole transaction ended without a commit: rolled back, or closed after an unexpected error.
            if transaction.parent is None and not transaction.nested:
                for pending_store, sha in sess.info.pop(_PENDING, []):
                    pending_store.delete(sha)

    session.info.setdefault(_PENDING, []).append((store, sha256))


def _store_content(staged: Staged, fmt, store: Store) -> bool:
    """Store the content once; True when it was already there (deduplicated)."""
    blob = db.session.scalar(select(DocumentBlob).where(DocumentBlob.sha256 == staged.sha256))
    if blob is None:
        # The row first: a concurrent upload of the same content waits on its unique key until this ends.
        db.insert_unique(DocumentBlob(sha256=staged.sha256, size=staged.size, file_format=fmt),
                         "Otra persona está subiendo el mismo archivo en este momento: intente de nuevo.", field="file")
        if store.put(staged.sha256, staged.path, FORMATS[fmt][0]):
            _track_new_blob(store, staged.sha256)
        return False
    if not store.exists(staged.sha256):  # the store lost it: this upload restores it
        store.put(staged.sha256, staged.path, FORMATS[fmt][0])
    return True


@service("documents.upload")
def upload(*, owner_kind: str, owner_id: int, doc_type: str, staged: Staged, filename: str, store: Store,
           actor, doc_date: dt.date | None = None, title: str | None = None, public: bool | None = None,
           supersedes_id: int | None = None, invoice: tuple[str, str, str] | None = None,
           invoice_amount: Decimal | None = None, limits: Limits = Limits()) -> Uploaded:  # noqa: B008
    """Attach a file to an owner (or a new version of a document): type from the catalogue, format read from
    the content, stored once per SHA-256; a comprobante's RUC, serie and número go into the invoice register."""
    kind = _owner_kind(owner_kind)
    authorize(actor, OWNER_PERMISSION[kind])
    owner = queries.owner(kind, owner_id)
    previous = None
    if supersedes_id is not None:
        previous = queries.get_document(supersedes_id)
        if (previous.owner_kind, previous.owner_id) != (kind, owner_id):
            raise DomainError("La versión anterior pertenece a otro expediente.", field="file")
        if not queries.is_current(previous) or previous.status != DocumentStatus.VIGENTE:
            raise Conflict("Ese documento ya fue reemplazado o retirado: actualice la página.")
        doc_type = previous.doc_type
    kind_type = DOC_TYPES.get(doc_type)
    if kind_type is None or kind not in kind_type.owners:
        raise DomainError(f"Elija un tipo de documento válido para {OWNER_LABELS[kind].lower()}.", field="doc_type")
    public = kind_type.public if public is None else bool(public)
    if public and kind not in PUBLISHABLE_OWNERS:
        raise DomainError("Solo los documentos del proyecto y de sus hitos se publican en el portal.", field="public")
    today = clock.today()
    doc_date = doc_date or today
    if doc_date > today:
        raise DomainError("La fecha del documento no puede ser futura.", field="doc_date")
    title = (title or "").strip()[:200] or None
    disbursement = owner.disbursement if kind in (OwnerKind.DISBURSEMENT, OwnerKind.DECISION, OwnerKind.TRANCHE) else None
    if disbursement is not None and kind != OwnerKind.TRANCHE and disbursement.status in CLOSED_DISBURSEMENTS:
        raise DomainError(f"El desembolso está «{disbursement.status_label}»: su expediente está cerrado.")
    if kind == OwnerKind.DECISION and disbursement.status == DisbursementStatus.SOLICITADO:
        raise DomainError("El Comité Técnico aún no decide esta solicitud: el acta se adjunta después de la decisión.")
    filename = check_filename(filename)
    fmt = identify(staged.path, filename, limits)  # the content decides, before anything is stored
    invoice_row = None
    if kind_type.invoice:
        if not invoice or not all((part or "").strip() for part in invoice):
            raise DomainError("Un comprobante lleva RUC, serie y número.", field="invoice_ruc")
        invoice_amount = _invoice_amount(invoice_amount)
        invoice_row = _link_invoice(disbursement, invoice, invoice_amount)
    else:
        invoice_amount = None
    deduplicated = _store_content(staged, fmt, store)
    document = Document(owner_kind=kind, owner_id=owner_id, project_id=owner.project_id,
                        disbursement_id=disbursement.id if disbursement is not None else None, doc_type=doc_type,
                        title=title, filename=filename, doc_date=doc_date, sha256=staged.sha256, is_public=public,
                        status=DocumentStatus.VIGENTE, version=previous.version + 1 if previous else 1,
                        supersedes_id=previous.id if previous else None,
                        invoice_id=invoice_row.id if invoice_row is not None else None, invoice_amount=invoice_amount,
                        uploaded_by_id=getattr(actor, "id", None))
    db.insert_unique(document, "Otra persona acaba de subir una nueva versión de este documento: actualice la página.",
                     field="file")
    after = {"owner": f"{kind}:{owner_id}", "doc_type": doc_type, "filename": filename, "sha256": staged.sha256,
             "size": staged.size, "public": public, "dedup": deduplicated}
    if invoice_row is not None:
        after.update(invoice=invoice_row.label, amount=invoice_amount)
    if previous is not None:
        after["supersedes"] = previous.id
    audit.record("document.version" if previous else "document.upload", document, actor=actor, after=after)
    return Uploaded(document, deduplicated)


@service("documents.upload")
def withdraw(*, document_id: int, reason: str, actor) -> Document:
    """Withdraw a document from the expediente, unless a board decision or an issued certificate rests on it."""
    document = queries.get_document(document_id, lock=True)
    authorize(actor, OWNER_PERMISSION[OwnerKind(document.owner_kind)])
    if not (reason or "").strip():
        raise DomainError("Indique el motivo del retiro.", field="reason")
    if document.status != DocumentStatus.VIGENTE:
        raise DomainError("El documento ya fue retirado.")
    if not queries.is_current(document):
        raise DomainError("Solo se retira la versión vigente: las anteriores quedan como historia.")
    rests = queries.rests_on(document)
    if rests:
        raise DomainError(f"No se puede retirar: {rests}. Suba una nueva versión si hace falta corregirlo.")
    document.status = DocumentStatus.RETIRADO
    document.withdrawn_at, document.withdrawn_by_id = db.utcnow(), getattr(actor, "id", None)
    document.withdraw_reason = reason.strip()[:300]
    db.session.flush()
    audit.record("document.withdraw", document, actor=actor, before={"status": DocumentStatus.VIGENTE},
                 after={"status": DocumentStatus.RETIRADO, "reason": document.withdraw_reason})
    return document


def stage_upload(stream, store: Store, limits: Limits) -> Staged:
    """The door's first step: copy the upload to the store's staging folder, hashed and size-limited."""
    from portfolio.documents.storage import stage

    return stage(stream, store.staging(), limits.max_bytes)


def cast_with_dossier(ballot: dict):
    """An internal step of ``trust.vote``: write the ballot (every column of ``Vote`` but the id) and, with it,
    every document on file for the request when the vote is cast, with its SHA-256 (``vote_documents``). One
    statement on PostgreSQL, two on SQLite; nothing read back but the ballot. Returns the vote, in the session
    (None when the member already voted: the unique index), and how many documents were recorded."""
    from portfolio.trust.models import Vote

    if not db.is_postgresql():
        vote = db.insert_ignoring_conflict(db.session, Vote, ballot)
        if vote is None:
            return None, 0
        recorded = db.session.execute(queries.dossier_insert(), {"vote": vote.id, "disbursement": vote.disbursement_id})
        return vote, recorded.rowcount
    row = db.session.execute(queries.ballot_with_dossier(), ballot).first()
    return (None, 0) if row is None else (db.adopt(db.session, Vote, row), row[-1])
