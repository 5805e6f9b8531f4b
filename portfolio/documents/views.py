"""Document pages: upload (or a new version), withdraw, and the downloads — the expediente's readers
(``/documentos/<id>/descargar``) and citizens for public documents (``/transparencia/documentos/<id>``).

Downloads stream from the store with ``Content-Disposition: attachment``, ``nosniff`` and a sandboxed CSP that
lets nothing run; the ETag is the content's SHA-256 (the file never changes).
"""
from __future__ import annotations

from flask import Blueprint, Response, current_app, flash, redirect, request, url_for
from flask_login import current_user

from portfolio import db
from portfolio.auth.policy import public, requires
from portfolio.documents import queries, services
from portfolio.documents.forms import UploadForm, WithdrawForm
from portfolio.documents.sniff import Limits
from portfolio.documents.vocab import PROJECT_OWNERS, OwnerKind
from portfolio.domain_errors import DomainError

bp = Blueprint("documents", __name__)
DOWNLOAD_CSP = "default-src 'none'; sandbox; frame-ancestors 'none'"


def store():
    return current_app.extensions["portfolio_documents"]


def limits() -> Limits:
    return Limits(max_bytes=int(current_app.config["DOCUMENT_MAX_MB"]) * 1024 * 1024)


def back_to(kind: str, owner_id: int | None, project_id: int | None = None, disbursement_id: int | None = None) -> str:
    if kind in PROJECT_OWNERS and project_id:
        return url_for("projects.detail", project_id=project_id) + "#documentos"
    if disbursement_id:
        return url_for("trust.disbursement_detail", disbursement_id=disbursement_id) + "#expediente"
    return request.referrer if request.referrer and request.referrer.startswith(request.host_url) else url_for("main.home")


def _flash_form(form) -> None:
    for errors in form.errors.values():
        for message in errors:
            flash(message, "danger")


@bp.route("/documentos/subir", methods=["POST"])
@requires("documents.upload")
def upload():
    form = UploadForm(prefix="doc")
    kind, owner_id = form.owner()
    try:
        target = queries.owner(kind, owner_id) if kind in set(OwnerKind) and owner_id else None
    except DomainError:
        target = None
    back = back_to(kind, owner_id, target.project_id if target else None,
                   target.disbursement.id if target and target.disbursement is not None else None)
    if target is None:
        flash("Indique a qué se adjunta el documento.", "danger")
        return redirect(back)
    if not form.validate_on_submit():
        _flash_form(form)
        return redirect(back)
    file = form.file.data
    try:
        staged = services.stage_upload(file.stream, store(), limits())
    except DomainError as exc:
        flash(exc.message, "danger")
        return redirect(back)
    try:
        invoice = (form.invoice_ruc.data or "", form.invoice_serie.data or "", form.invoice_numero.data or "")
        supersedes = int(form.supersedes.data) if (form.supersedes.data or "").isdigit() else None
        outcome = db.commit_or_rollback(lambda: services.upload(
            owner_kind=kind, owner_id=owner_id, doc_type=form.doc_type.data or "", staged=staged,
            filename=file.filename or "", store=store(), actor=current_user, doc_date=form.doc_date.data,
            title=form.title.data, public=form.visibility(), supersedes_id=supersedes,
            invoice=invoice if any(invoice) else None, invoice_amount=form.invoice_amount.data, limits=limits()),
            lambda exc: exc)
    finally:
        staged.discard()
    if isinstance(outcome, DomainError):
        flash(f"No se guardó el documento: {outcome.message}", "danger")
    elif outcome.deduplicated:
        flash(f"Documento «{outcome.document.filename}» adjuntado. El mismo archivo ya estaba almacenado "
              f"(huella {outcome.document.sha256[:12]}…): se guardó una sola vez.", "success")
    else:
        flash(f"Documento «{outcome.document.filename}» adjuntado.", "success")
    return redirect(back)


@bp.route("/documentos/<int:document_id>/retirar", methods=["POST"])
@requires("documents.upload")
def withdraw(document_id: int):
    document = queries.get_readable_document(document_id, current_user)
    back = back_to(document.owner_kind, document.owner_id, document.project_id, document.disbursement_id)
    form = WithdrawForm(prefix=f"r{document_id}")
    if not form.validate_on_submit():
        _flash_form(form)
        return redirect(back)
    outcome = db.commit_or_rollback(
        lambda: services.withdraw(document_id=document_id, reason=form.reason.data, actor=current_user), lambda exc: exc)
    flash(outcome.message if isinstance(outcome, DomainError) else "Documento retirado del expediente.",
          "danger" if isinstance(outcome, DomainError) else "success")
    return redirect(back)


def _send(document, *, cache: str) -> Response:
    if request.if_none_match and document.sha256 in request.if_none_match:
        response = Response(status=304)
    else:
        # A plain generator over the store (it needs no request context): the body streams in chunks and a
        # client that stops reading leaves nothing of the request behind.
        response = Response(store().open(document.sha256), mimetype=document.blob.content_type,
                            direct_passthrough=True)
        response.headers["Content-Length"] = str(document.size)
    from werkzeug.urls import quote
    from werkzeug.utils import secure_filename

    ascii_name = secure_filename(document.filename) or f"documento-{document.id}"
    response.headers["Content-Disposition"] = (f"attachment; filename=\"{ascii_name}\"; "
                                               f"filename*=UTF-8''{quote(document.filename, safe='')}")
    response.headers["Content-Security-Policy"] = DOWNLOAD_CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = cache
    response.headers["ETag"] = f'"{document.sha256}"'
    response.headers["X-Content-SHA256"] = document.sha256
    return response


@bp.route("/documentos/<int:document_id>/descargar")
@requires("documents.view")
def download(document_id: int):
    return _send(queries.get_readable_document(document_id, current_user), cache="private, no-store")


@bp.route("/transparencia/documentos/<int:document_id>")
@public
def public_download(document_id: int):
    return _send(queries.get_public_document(document_id), cache="public, max-age=300")
