"""The vocabularies of the expediente: what a document may be attached to, its formats, and the Spanish
catalogue of document types (each with the owners it belongs to and whether it is public by default).

``OwnerKind`` values are the strings stored in ``documents.owner_kind`` and the ``kind`` argument of
:func:`portfolio.documents.queries.documents_for`.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class OwnerKind(StrEnum):
    PROJECT = "project"            # a project of Obras por Impuestos
    MILESTONE = "milestone"        # a milestone / valorización of a project
    CERTIFICATE = "certificate"    # a CIPRL/CIPGN certificate request
    DISBURSEMENT = "disbursement"  # a disbursement request of the trust
    TRANCHE = "tranche"            # an executed tranche (payment) of a disbursement
    DECISION = "decision"          # the board's decision on a disbursement (keyed by the disbursement's id)


OWNER_LABELS = {
    OwnerKind.PROJECT: "Proyecto", OwnerKind.MILESTONE: "Hito / valorización",
    OwnerKind.CERTIFICATE: "Solicitud de certificado", OwnerKind.DISBURSEMENT: "Solicitud de desembolso",
    OwnerKind.TRANCHE: "Tramo pagado", OwnerKind.DECISION: "Acuerdo del Comité Técnico",
}
PROJECT_OWNERS = frozenset({OwnerKind.PROJECT, OwnerKind.MILESTONE, OwnerKind.CERTIFICATE})
TRUST_OWNERS = frozenset({OwnerKind.DISBURSEMENT, OwnerKind.TRANCHE, OwnerKind.DECISION})
# Citizens see public documents of these owners on the portal's project page.
PUBLISHABLE_OWNERS = frozenset({OwnerKind.PROJECT, OwnerKind.MILESTONE})


class FileFormat(StrEnum):
    """A format read from the file's content (never from its name or the browser's claim)."""

    PDF = "pdf"
    JPEG = "jpeg"
    PNG = "png"
    XLSX = "xlsx"
    DOCX = "docx"


FORMATS: dict[FileFormat, tuple[str, str, tuple[str, ...]]] = {  # format → (MIME type, label, extensions)
    FileFormat.PDF: ("application/pdf", "PDF", (".pdf",)),
    FileFormat.JPEG: ("image/jpeg", "JPEG", (".jpg", ".jpeg")),
    FileFormat.PNG: ("image/png", "PNG", (".png",)),
    FileFormat.XLSX: ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "Excel (XLSX)", (".xlsx",)),
    FileFormat.DOCX: ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "Word (DOCX)",
                      (".docx",)),
}


class DocumentStatus(StrEnum):
    VIGENTE = "vigente"    # on file (the latest version unless a newer one supersedes it)
    RETIRADO = "retirado"  # withdrawn from the expediente (the file stays readable to auditors)


DOCUMENT_TRANSITIONS: dict[DocumentStatus, frozenset[DocumentStatus]] = {
    DocumentStatus.VIGENTE: frozenset({DocumentStatus.RETIRADO}),
    DocumentStatus.RETIRADO: frozenset(),
}


@dataclass(frozen=True)
class DocType:
    code: str
    label: str
    owners: frozenset[OwnerKind]
    public: bool = False   # the default of the public flag
    invoice: bool = False  # carries RUC, serie, número and amount (the invoice register)


_P, _M, _C = OwnerKind.PROJECT, OwnerKind.MILESTONE, OwnerKind.CERTIFICATE
_D, _T, _A = OwnerKind.DISBURSEMENT, OwnerKind.TRANCHE, OwnerKind.DECISION

CATALOGUE: tuple[DocType, ...] = (
    DocType("convenio", "Convenio de inversión", frozenset({_P}), public=True),
    DocType("adenda", "Adenda al convenio", frozenset({_P}), public=True),
    DocType("informe_previo", "Informe previo de la Contraloría", frozenset({_P}), public=True),
    DocType("expediente_tecnico", "Expediente técnico", frozenset({_P}), public=True),
    DocType("acta_recepcion", "Acta de recepción", frozenset({_P}), public=True),
    DocType("liquidacion", "Liquidación", frozenset({_P}), public=True),
    DocType("foto", "Fotografía de la obra", frozenset({_P, _M}), public=True),
    DocType("informe_valorizacion", "Informe de valorización", frozenset({_M}), public=True),
    DocType("conformidad", "Conformidad de la supervisora", frozenset({_M, _C})),
    DocType("solicitud_certificado", "Solicitud de emisión del certificado", frozenset({_C})),
    DocType("propuesta", "Propuesta del proyecto", frozenset({_D})),
    DocType("presupuesto", "Presupuesto", frozenset({_D})),
    DocType("comprobante", "Comprobante de pago (factura)", frozenset({_D}), invoice=True),
    DocType("constancia_transferencia", "Constancia de transferencia bancaria", frozenset({_T})),
    DocType("acta_comite", "Acta del Comité Técnico", frozenset({_A})),
    DocType("otro", "Otro documento", frozenset(OwnerKind)),
)
DOC_TYPES = {t.code: t for t in CATALOGUE}


def types_for(kind: OwnerKind | str) -> list[DocType]:
    return [t for t in CATALOGUE if kind in t.owners]


def type_label(code: str) -> str:
    return DOC_TYPES[code].label if code in DOC_TYPES else code
