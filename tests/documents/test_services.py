"""The expediente's rules through the services: dedupe, versions, withdrawal and what rests on a document,
the invoice register, the hashes each vote records, and nothing left behind when an upload fails."""
from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portfolio import db
from portfolio.documents import queries, services
from portfolio.documents.models import Document, DocumentBlob, VoteDocument
from portfolio.domain_errors import DomainError, Forbidden
from portfolio.projects import certificates
from portfolio.trust.models import DisbursementInvoice
from tests.documents.conftest import docx_bytes, pdf_bytes, png_bytes, stored_files, xlsx_bytes
from tests.support import STAFF_ACTOR, ActingAs
from tests.trust.conftest import TODAY, key, new_ruc, run

TRUSTEE = ActingAs("trustee")


def upload(store, staged_item, *, kind, owner_id, doc_type, name, actor=STAFF_ACTOR, **kw):
    return run(lambda: services.upload(owner_kind=kind, owner_id=owner_id, doc_type=doc_type, staged=staged_item,
                                       filename=name, store=store, actor=actor, **kw))


def counts():
    return (db.session.scalar(select(func.count()).select_from(Document)),
            db.session.scalar(select(func.count()).select_from(DocumentBlob)))


def test_project_document_is_stored_by_hash_once(oxi, store, staged):
    project = oxi.project()
    db.session.commit()
    data = pdf_bytes()
    first = upload(store, staged(data), kind="project", owner_id=project.id, doc_type="convenio", name="convenio.pdf")
    assert not first.deduplicated and first.document.is_public  # the convenio is public by default
    second = upload(store, staged(data), kind="project", owner_id=project.id, doc_type="otro", name="copia.pdf",
                    public=False)
    assert second.deduplicated and second.document.sha256 == first.document.sha256 == hashlib.sha256(data).hexdigest()
    files = stored_files(store)
    assert len(files) == 1 and files[0].read_bytes() == data  # exactly what was uploaded, once
    info = queries.documents_for("project", project.id)
    assert [(i.type, i.name, i.size, i.sha256) for i in info] == [
        ("convenio", "convenio.pdf", len(data), first.document.sha256), ("otro", "copia.pdf", len(data), first.document.sha256)]
    assert info[0].type_label == "Convenio de inversión" and isinstance(info[0].date, dt.date)


def test_versions_supersede_and_old_stays_readable(oxi, store, staged):
    project = oxi.project()
    db.session.commit()
    v1 = upload(store, staged(pdf_bytes("v1")), kind="project", owner_id=project.id, doc_type="convenio",
                name="convenio.pdf").document
    v2 = upload(store, staged(pdf_bytes("v2")), kind="project", owner_id=project.id, doc_type="otro",
                name="convenio-firmado.pdf", supersedes_id=v1.id).document
    assert (v2.version, v2.doc_type, v2.supersedes_id) == (2, "convenio", v1.id)  # the type follows the line
    assert [d.id for d in queries.current_documents("project", project.id)] == [v2.id]
    assert [d.id for d in queries.history(v1)] == [v2.id, v1.id]
    assert len(stored_files(store)) == 2 and store.exists(v1.sha256)  # never overwritten
    with pytest.raises(DomainError, match="ya fue reemplazado"):
        upload(store, staged(pdf_bytes("v3")), kind="project", owner_id=project.id, doc_type="convenio",
               name="c.pdf", supersedes_id=v1.id)


def test_the_content_decides_the_format_and_owner_rules(oxi, store, staged):
    project = oxi.project()
    db.session.commit()
    for data, name in ((png_bytes(), "foto.png"), (xlsx_bytes(), "metrado.xlsx"), (docx_bytes(), "informe.docx")):
        upload(store, staged(data), kind="project", owner_id=project.id, doc_type="otro", name=name)
    with pytest.raises(DomainError, match="tipo de documento válido"):
        upload(store, staged(pdf_bytes()), kind="project", owner_id=project.id, doc_type="comprobante", name="f.pdf")
    with pytest.raises(Forbidden):
        upload(store, staged(pdf_bytes()), kind="project", owner_id=project.id, doc_type="convenio", name="c.pdf",
               actor=TRUSTEE)
    with pytest.raises(DomainError, match="no existe"):
        upload(store, staged(pdf_bytes()), kind="project", owner_id=999999, doc_type="convenio", name="c.pdf")
    with pytest.raises(DomainError, match="futura"):
        upload(store, staged(pdf_bytes()), kind="project", owner_id=project.id, doc_type="convenio", name="c.pdf",
               doc_date=dt.date(2999, 1, 1))


def test_invoice_documents_feed_the_register_that_blocks_reuse(world, store, staged):
    d1 = world.request(Decimal("100.00")).value
    d2 = world.request(Decimal("100.00")).value
    ruc = new_ruc()
    doc = upload(store, staged(pdf_bytes("factura")), kind="disbursement", owner_id=d1.id, doc_type="comprobante",
                 name="F001-77.pdf", invoice=(ruc, "f001", "0077"), invoice_amount=Decimal("60.50"),
                 actor=world.staff).document
    row = db.session.get(DisbursementInvoice, doc.invoice_id)
    assert (row.disbursement_id, row.ruc, row.serie, row.numero, doc.invoice_amount) == (d1.id, ruc, "F001", "77",
                                                                                         Decimal("60.50"))
    before = counts()
    with pytest.raises(DomainError, match=f"ya sustenta el desembolso N.º {d1.id}"):
        upload(store, staged(pdf_bytes("otra")), kind="disbursement", owner_id=d2.id, doc_type="comprobante",
               name="F001-77.pdf", invoice=(ruc, "F001", "77"), invoice_amount=Decimal("60.50"), actor=world.staff)
    assert counts() == before
    with pytest.raises(DomainError, match="disbursement_id|ya sustenta"):
        world.request(Decimal("10.00"), invoices=[(ruc, "F001", "77")])  # the request form sees it too
    dossier = queries.dossier(d1)
    assert dossier.invoice_total == Decimal("60.50") and [d.id for d in dossier.invoices] == [doc.id]
    assert len(dossier.missing_invoices) == 1  # the invoice typed on the request has no document yet
    with pytest.raises(DomainError, match="monto"):
        upload(store, staged(pdf_bytes("f")), kind="disbursement", owner_id=d1.id, doc_type="comprobante",
               name="f.pdf", invoice=(ruc, "F001", "77"), invoice_amount=None, actor=world.staff)
    with pytest.raises(DomainError, match="portal"):
        upload(store, staged(pdf_bytes("p")), kind="disbursement", owner_id=d1.id, doc_type="propuesta",
               name="p.pdf", public=True, actor=world.staff)


def test_each_vote_records_the_hashes_on_file_and_they_can_no_longer_be_withdrawn(world, store, staged):
    world.fund(Decimal("1000.00"))
    d = world.request(Decimal("100.00")).value
    proposal = upload(store, staged(pdf_bytes("propuesta")), kind="disbursement", owner_id=d.id, doc_type="propuesta",
                      name="propuesta.pdf", actor=world.staff).document
    budget = upload(store, staged(xlsx_bytes()), kind="disbursement", owner_id=d.id, doc_type="presupuesto",
                    name="presupuesto.xlsx", actor=world.staff).document
    draft = upload(store, staged(docx_bytes()), kind="disbursement", owner_id=d.id, doc_type="otro",
                   name="borrador.docx", actor=world.staff).document
    run(lambda: services.withdraw(document_id=draft.id, reason="Subido por error", actor=world.staff))
    first = world.vote(d, world.board[0]).value
    recorded = db.session.scalars(select(VoteDocument).where(VoteDocument.vote_id == first.id)).all()
    assert sorted((r.document_id, r.sha256) for r in recorded) == sorted(
        [(proposal.id, proposal.sha256), (budget.id, budget.sha256)])  # the withdrawn draft was not on file
    with pytest.raises(DomainError, match="votó con este documento"):
        run(lambda: services.withdraw(document_id=proposal.id, reason="x", actor=world.staff))
    later = upload(store, staged(pdf_bytes("anexo")), kind="disbursement", owner_id=d.id, doc_type="otro",
                   name="anexo.pdf", actor=world.staff).document
    second = world.vote(d, world.board[1]).value  # quorum: approved
    assert {r.document_id for r in queries.vote_hashes(d.id)[second.id]} == {proposal.id, budget.id, later.id}
    assert db.session.get(type(d), d.id).status == "aprobado"
    acta = upload(store, staged(pdf_bytes("acta")), kind="decision", owner_id=d.id, doc_type="acta_comite",
                  name="acta.pdf", actor=world.staff).document
    with pytest.raises(DomainError, match="acuerdo del Comité"):
        run(lambda: services.withdraw(document_id=acta.id, reason="x", actor=world.staff))
    tranche = world.execute(d, Decimal("100.00")).value
    proof = upload(store, staged(png_bytes()), kind="tranche", owner_id=tranche.id, doc_type="constancia_transferencia",
                   name="constancia.png", actor=world.trustee).document
    assert proof.disbursement_id == d.id and queries.dossier(d).tranches == {tranche.id: [proof]}


def test_a_document_of_an_issued_certificate_cannot_be_withdrawn(oxi, store, staged):
    project = oxi.project("en_ejecucion")
    milestone = oxi.milestone(project)
    cert, _ = certificates.add_certificate(project=project, number=f"N-{uuid.uuid4().hex[:6]}", amount=Decimal("1000.00"),
                                           issue_date=milestone.conformity_date, milestone_id=milestone.id,
                                           actor=STAFF_ACTOR)
    db.session.commit()
    doc = upload(store, staged(pdf_bytes("solicitud")), kind="certificate", owner_id=cert.id,
                 doc_type="solicitud_certificado", name="solicitud.pdf").document
    informe = upload(store, staged(pdf_bytes("valorizacion")), kind="milestone", owner_id=milestone.id,
                     doc_type="informe_valorizacion", name="valorizacion.pdf").document
    assert queries.rests_on(doc) is None and queries.rests_on(informe) is None
    run(lambda: certificates.change_status(certificate=cert, target="emitido", expected_version=None, actor=STAFF_ACTOR))
    with pytest.raises(DomainError, match="certificado ya fue emitido"):
        run(lambda: services.withdraw(document_id=doc.id, reason="x", actor=STAFF_ACTOR))
    with pytest.raises(DomainError, match="certificado emitido"):
        run(lambda: services.withdraw(document_id=informe.id, reason="x", actor=STAFF_ACTOR))


def test_a_failure_after_the_file_was_stored_leaves_nothing(oxi, store, staged):
    """The database refuses the row after the content reached the store: the rollback removes the content."""
    project = oxi.project()
    db.session.commit()
    before = counts()
    item = staged(pdf_bytes("a medias"))

    def fails_midway():
        services.upload(owner_kind="project", owner_id=project.id, doc_type="convenio", staged=item,
                        filename="convenio.pdf", store=store, actor=STAFF_ACTOR)
        assert store.exists(item.sha256)  # the content was written…
        raise DomainError("fallo simulado después de guardar")

    with pytest.raises(DomainError):
        run(fails_midway)
    assert counts() == before and stored_files(store) == [] and not store.exists(item.sha256)  # …and removed
    # the same file uploaded afterwards is stored normally (not "deduplicated" against a ghost)
    again = upload(store, staged(pdf_bytes("a medias")), kind="project", owner_id=project.id, doc_type="convenio",
                   name="convenio.pdf")
    assert not again.deduplicated and store.exists(again.document.sha256)


def test_an_unexpected_error_after_storing_leaves_nothing_when_the_session_closes(oxi, store, staged):
    """A bug (not a DomainError) after the content was stored: the request ends with the session closed,
    never committed, and the content goes too."""
    project = oxi.project()
    db.session.commit()
    item = staged(pdf_bytes("error inesperado"))
    services.upload(owner_kind="project", owner_id=project.id, doc_type="convenio", staged=item,
                    filename="convenio.pdf", store=store, actor=STAFF_ACTOR)
    assert store.exists(item.sha256)
    db.session.close()  # what the app context's teardown does after a 500
    assert not store.exists(item.sha256) and stored_files(store) == []


def test_withdrawn_documents_leave_the_dossier_and_only_the_auditor_reads_them(oxi, store, staged):
    project = oxi.project()
    db.session.commit()
    doc = upload(store, staged(pdf_bytes()), kind="project", owner_id=project.id, doc_type="convenio",
                 name="convenio.pdf").document
    with pytest.raises(DomainError, match="motivo"):
        run(lambda: services.withdraw(document_id=doc.id, reason=" ", actor=STAFF_ACTOR))
    run(lambda: services.withdraw(document_id=doc.id, reason="Documento equivocado", actor=STAFF_ACTOR))
    assert queries.documents_for("project", project.id) == [] and queries.public_documents(project.id) == []
    assert queries.get_readable_document(doc.id, ActingAs("auditor")).id == doc.id
    with pytest.raises(DomainError):
        queries.get_readable_document(doc.id, ActingAs("staff"))
    with pytest.raises(DomainError):
        queries.get_public_document(doc.id)
    with pytest.raises(DomainError, match="ya fue retirado"):
        run(lambda: services.withdraw(document_id=doc.id, reason="otra vez", actor=STAFF_ACTOR))


def test_key_helper_is_unique():
    assert key() != key() and TODAY.year == 2026
