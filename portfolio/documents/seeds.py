"""Demo documents: a small generated PDF for each demo project's convenio (public) and, before the board votes,
each demo disbursement request's proposal and invoices — uploaded through the same service as the page, so
the demo votes record their dossier's hashes. Idempotent: an owner that already has documents is skipped."""
from __future__ import annotations

import io
from decimal import Decimal

from sqlalchemy import select

from portfolio import clock, db
from portfolio.documents.models import Document
from portfolio.documents.vocab import OwnerKind


def demo_pdf(*lines: str) -> bytes:
    """A one-page PDF with the lines written on it (Helvetica, WinAnsi); the same lines give the same bytes."""
    import pikepdf

    pdf = pikepdf.new()
    page = pdf.add_blank_page(page_size=(595, 842))
    font = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1,
                                                BaseFont=pikepdf.Name.Helvetica, Encoding=pikepdf.Name.WinAnsiEncoding))
    page.Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font))
    body = b"BT /F1 13 Tf 60 780 Td 18 TL "
    for line in lines:
        text = line.encode("cp1252", "replace").replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
        body += b"(" + text + b") Tj T* "
    page.Contents = pdf.make_stream(body + b"ET")
    out = io.BytesIO()
    pdf.save(out, deterministic_id=True)
    return out.getvalue()


def _has_documents(kind: OwnerKind, owner_id: int) -> bool:
    return db.session.scalar(select(Document.id).where(Document.owner_kind == kind, Document.owner_id == owner_id)
                             .limit(1)) is not None


def _attach(kind: OwnerKind, owner_id: int, doc_type: str, filename: str, data: bytes, actor, **kw) -> None:
    from flask import current_app

    from portfolio.documents import services

    store = current_app.extensions["portfolio_documents"]
    staged = services.stage_upload(io.BytesIO(data), store, services.Limits())
    try:
        services.upload(owner_kind=kind, owner_id=owner_id, doc_type=doc_type, staged=staged, filename=filename,
                        store=store, actor=actor, **kw)
    finally:
        staged.discard()


def attach_request(disbursement, invoices: list[tuple[str, str, str]], actor) -> int:
    """A demo request's proposal and one document per invoice (amounts split evenly); 0 when already there."""
    if _has_documents(OwnerKind.DISBURSEMENT, disbursement.id):
        return 0
    _attach(OwnerKind.DISBURSEMENT, disbursement.id, "propuesta", f"propuesta-{disbursement.id}.pdf",
            demo_pdf("Propuesta (documento de demostración)", disbursement.purpose,
                     f"Monto solicitado: S/ {disbursement.amount:,.2f}"), actor, doc_date=disbursement.requested_on)
    share = (disbursement.amount / len(invoices)).quantize(Decimal("0.01"))
    for n, (ruc, serie, numero) in enumerate(invoices):
        amount = share if n < len(invoices) - 1 else disbursement.amount - share * (len(invoices) - 1)
        _attach(OwnerKind.DISBURSEMENT, disbursement.id, "comprobante", f"{serie}-{numero}.pdf",
                demo_pdf("Factura electrónica (demostración)", f"RUC {ruc}  {serie}-{numero}", f"Total S/ {amount:,.2f}"),
                actor, doc_date=disbursement.requested_on, invoice=(ruc, serie, numero), invoice_amount=amount)
    return 1 + len(invoices)


def load_demo() -> dict[str, int]:
    """The convenio of every demo project that has signed one (public, as on INFOBRAS)."""
    from portfolio.auth.models import User
    from portfolio.projects.models import Project

    staff = db.session.scalar(select(User).where(User.email == "staff@demo.pe"))
    added = 0
    from portfolio.projects.vocab import CONVENIO_STAGES

    projects = db.session.scalars(select(Project).where(Project.convenio_on.is_not(None), Project.name.like("%(demo)"),
                                                        Project.stage.in_(CONVENIO_STAGES)).order_by(Project.id))
    for project in projects:
        if staff is None or _has_documents(OwnerKind.PROJECT, project.id) or project.convenio_on > clock.today():
            continue
        _attach(OwnerKind.PROJECT, project.id, "convenio", f"convenio-{project.cui or project.id}.pdf",
                demo_pdf("Convenio de inversión (documento de demostración)", project.name,
                         f"Suscrito el {project.convenio_on:%d/%m/%Y}"), staff, doc_date=project.convenio_on)
        added += 1
    db.session.flush()
    return {"documentos demo": added}
