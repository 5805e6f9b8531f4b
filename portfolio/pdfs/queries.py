"""Reading issued PDFs back: the verification page's answer for a code (what the document certified, when,
whether its figures still stand, and whether a given file is the one issued)."""
from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select

from portfolio import db
from portfolio.domain_errors import DomainError, NotFound
from portfolio.formatting import format_date, format_datetime
from portfolio.money import format_money
from portfolio.pdfs import content as contents
from portfolio.pdfs.codes import normalize_code
from portfolio.pdfs.models import IssuedDocument
from portfolio.pdfs.vocab import DocumentKind

NOT_FOUND = "No existe un documento emitido con ese código. Revise que lo copió completo (12 caracteres)."
SHA256_RE = re.compile(r"^[0-9a-f]{64}$")


def get_document(code: str | None) -> IssuedDocument:
    normalized = normalize_code(code)
    document = None if normalized is None else db.session.scalar(
        select(IssuedDocument).where(IssuedDocument.code == normalized))
    if document is None:
        raise NotFound(NOT_FOUND)
    return document


def display(figure: dict[str, str] | None) -> str:
    """A certified figure as a person reads it (S/ 1,234.56, dd/mm/aaaa)."""
    if figure is None:
        return "—"
    value, kind = figure["value"], figure["type"]
    if value == "":
        return "—"
    if kind == "money":
        return format_money(Decimal(value))
    if kind == "date":
        return format_date(dt.date.fromisoformat(value))
    if kind == "digest":
        return f"huella {value[:12]}…"
    return value


def find_by_file(pdf: bytes) -> IssuedDocument | None:
    """The issued document whose recorded SHA-256 is this file's (None: no document was issued as this file)."""
    digest = hashlib.sha256(pdf).hexdigest()
    return db.session.scalar(select(IssuedDocument).where(IssuedDocument.pdf_sha256 == digest)
                             .order_by(IssuedDocument.id).limit(1))


@dataclass(frozen=True)
class Change:
    label: str
    issued: str
    now: str


def _keyed(figures: list[dict[str, str]]) -> dict[tuple[str, int], dict[str, str]]:
    seen: Counter[str] = Counter()
    out = {}
    for figure in figures:
        out[(figure["label"], seen[figure["label"]])] = figure
        seen[figure["label"]] += 1
    return out


def changes_between(issued: list[dict[str, str]], current: list[dict[str, str]]) -> list[Change]:
    """Figures that differ, appeared or disappeared since issue, in the document's reading order."""
    before, after = _keyed(issued), _keyed(current)
    keys = list(before) + [k for k in after if k not in before]
    return [Change(key[0], display(before.get(key)), display(after.get(key))) for key in keys
            if (before.get(key) or {}).get("value") != (after.get(key) or {}).get("value")]


def rectifications_after(document: IssuedDocument) -> list[str]:
    """For documents on a company's contributions: each declaration rectified after the document was issued."""
    if document.kind not in (DocumentKind.CONSTANCIA, DocumentKind.ESTADO_EMPRESA):
        return []
    from portfolio.trust.models import Contribution, ContributionVersion

    params = document.params
    query = (select(ContributionVersion, Contribution.month)
             .join(Contribution, Contribution.id == ContributionVersion.contribution_id)
             .where(Contribution.company_id == document.company_id, ContributionVersion.version > 1,
                    ContributionVersion.declared_at > document.issued_at)
             .order_by(ContributionVersion.declared_at, ContributionVersion.id))
    if document.kind == DocumentKind.CONSTANCIA:
        year = int(params["year"])
        query = query.where(Contribution.month >= dt.date(year, 1, 1), Contribution.month <= dt.date(year, 12, 1))
    notes = []
    for version, month in db.session.execute(query):
        notes.append(f"La declaración de {month:%m/%Y} fue rectificada el {format_datetime(version.declared_at)}"
                     f" ({version.reason or 'sin motivo'}): el aporte pasó a {format_money(version.amount_due)}.")
    return notes


@dataclass
class Verification:
    document: IssuedDocument
    changes: list[Change] = field(default_factory=list)
    rectifications: list[str] = field(default_factory=list)
    unavailable: str | None = None         # the figures can no longer be read (the object is gone)
    file_sha256: str | None = None         # the hash of the file or hash presented, if any
    file_error: str | None = None

    @property
    def issued_figures(self) -> list[tuple[str, str]]:
        return [(f["label"], display(f)) for f in self.document.figures if f["type"] != "digest"]

    @property
    def still_stands(self) -> bool:
        return self.unavailable is None and not self.changes

    @property
    def file_checked(self) -> bool:
        return self.file_sha256 is not None

    @property
    def file_matches(self) -> bool:
        return self.file_sha256 == self.document.pdf_sha256


def verify(code: str | None, *, pdf: bytes | None = None, sha256: str | None = None) -> Verification:
    """What the document with ``code`` certified and whether it still stands; with ``pdf`` (a file's bytes) or
    ``sha256`` (its hash as hex), whether that file is exactly the one issued."""
    document = get_document(code)
    result = Verification(document)
    try:
        current = contents.build(document.kind, document.params)
    except DomainError as exc:
        result.unavailable = f"Las cifras ya no se pueden leer: {exc.message}"
    else:
        result.changes = changes_between(document.figures, current.figures)
    result.rectifications = rectifications_after(document)
    if pdf is not None:
        if not pdf.startswith(b"%PDF-"):
            result.file_error = "El archivo presentado no es un PDF."
        result.file_sha256 = hashlib.sha256(pdf).hexdigest()
    elif sha256:
        text = sha256.strip().lower()
        if SHA256_RE.match(text):
            result.file_sha256 = text
        else:
            result.file_error = "La huella SHA-256 tiene 64 caracteres hexadecimales (0-9, a-f)."
    return result
