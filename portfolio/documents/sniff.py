"""What a file really is, read from its content: PDF, JPEG, PNG, XLSX or DOCX, or a Spanish refusal.

Nothing here trusts the file's name or the browser's claimed type. Refused: executables and scripts (by
their magic bytes), anything outside the five formats, PDFs with JavaScript, launch actions, embedded or
attached files (checked on every object qpdf reads, compressed object streams included, and on the raw
bytes for objects outside the cross-reference table), encrypted PDFs (they cannot be inspected), images
that do not decode or are absurdly large, Office files with macros, ActiveX or embedded OLE objects,
encrypted or bomb-like ZIP containers (the members are decompressed with a cap, so lying headers are caught
too), and a name whose extension does not match the content. Pure: no Flask, no database.
"""
from __future__ import annotations

import re
import unicodedata
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path

from portfolio.documents.vocab import FORMATS, FileFormat
from portfolio.domain_errors import DomainError


class Refused(DomainError):
    """The file is not accepted; the message says why, in Spanish."""


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 10 * 1024 * 1024
    max_unzipped_bytes: int = 100 * 1024 * 1024  # all members of an XLSX/DOCX, decompressed
    max_ratio: int = 100                          # decompressed / compressed, for members over 1 MB
    max_members: int = 5000
    max_pixels: int = 60_000_000


EXECUTABLE_MAGIC = (
    (b"MZ", "un programa de Windows (.exe/.dll)"),
    (b"\x7fELF", "un programa de Linux (ELF)"),
    (b"\xcf\xfa\xed\xfe", "un programa de macOS"), (b"\xce\xfa\xed\xfe", "un programa de macOS"),
    (b"\xfe\xed\xfa\xce", "un programa de macOS"), (b"\xfe\xed\xfa\xcf", "un programa de macOS"),
    (b"\xca\xfe\xba\xbe", "un programa (Mach-O o Java)"),
    (b"#!", "un guion ejecutable (script)"),
    (b"\xd0\xcf\x11\xe0", "un documento de Office antiguo (DOC/XLS, puede llevar macros)"),
)
ALLOWED = "PDF, JPEG, PNG, XLSX o DOCX"
MAX_NAME = 150
# Names the PDF may not contain, whichever object holds them (after decoding #xx escapes).
PDF_ACTIVE = {
    b"/JavaScript": "contiene JavaScript", b"/JS": "contiene JavaScript",
    b"/Launch": "contiene una acción que abre programas", b"/EmbeddedFile": "contiene archivos incrustados",
    b"/EmbeddedFiles": "contiene archivos incrustados", b"/FileAttachment": "contiene archivos adjuntos",
    b"/RichMedia": "contiene contenido multimedia activo", b"/XFA": "es un formulario XFA (ejecuta código)",
}
_NAME = re.compile(rb"/[^\s/<>\[\]()%{}]+")
_HEX = re.compile(rb"#([0-9A-Fa-f]{2})")
_BAD_NAME_CHARS = re.compile(r"[\x00-\x1f\x7f\u0080-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069/\\]")


def check_filename(name: str | None) -> str:
    """The file's name as it will be stored (NFC), or a refusal: no path, no control characters."""
    name = unicodedata.normalize("NFC", name or "")
    if not name.strip():
        raise Refused("El archivo no tiene nombre.", field="file")
    if ".." in name or "/" in name or "\\" in name:
        raise Refused("El nombre del archivo no puede contener rutas («../», «/» o «\\»).", field="file")
    if _BAD_NAME_CHARS.search(name):
        raise Refused("El nombre del archivo contiene caracteres de control o invisibles: cámbielo y vuelva a subirlo.",
                      field="file")
    if len(name) > MAX_NAME:
        raise Refused(f"El nombre del archivo es demasiado largo (máximo {MAX_NAME} caracteres).", field="file")
    if name.strip() != name or name.startswith("."):
        raise Refused("El nombre del archivo no puede empezar con punto ni con espacios.", field="file")
    return name


def identify(path: Path, name: str, limits: Limits = Limits()) -> FileFormat:  # noqa: B008
    """The file's format, read from its content, or ``Refused`` with the reason."""
    size = path.stat().st_size
    if size == 0:
        raise Refused("El archivo está vacío (0 bytes).", field="file")
    if size > limits.max_bytes:
        raise Refused(f"El archivo supera el tamaño máximo ({limits.max_bytes // (1024 * 1024)} MB).", field="file")
    with path.open("rb") as fh:
        head = fh.read(2048)
    for magic, what in EXECUTABLE_MAGIC:
        if head.startswith(magic):
            raise Refused(f"El archivo es {what}: no se admiten programas. Formatos admitidos: {ALLOWED}.", field="file")
    if b"%PDF-" in head[:1024]:
        fmt = FileFormat.PDF
        _check_pdf(path)
    elif head.startswith(b"\xff\xd8\xff"):
        fmt = FileFormat.JPEG
        _check_image(path, "JPEG", limits)
    elif head.startswith(b"\x89PNG\r\n\x1a\n"):
        fmt = FileFormat.PNG
        _check_image(path, "PNG", limits)
    elif head.startswith(b"PK\x03\x04"):
        fmt = _check_office(path, limits)
    else:
        raise Refused(f"Tipo de archivo no admitido: se aceptan {ALLOWED}.", field="file")
    extensions = FORMATS[fmt][2]
    if not name.lower().endswith(extensions):
        raise Refused(f"El contenido es {FORMATS[fmt][1]} pero el nombre termina en otra extensión: "
                      f"use {' o '.join(extensions)}.", field="file")
    return fmt


def _pdf_names(data: bytes) -> set[bytes]:
    return {_HEX.sub(lambda m: bytes([int(m.group(1), 16)]), n) for n in _NAME.findall(data)}


def _check_pdf(path: Path) -> None:
    import pikepdf

    raw = path.read_bytes()
    for name in _pdf_names(raw):
        if name in PDF_ACTIVE:
            raise Refused(f"El PDF {PDF_ACTIVE[name]}: no se admite. Imprímalo de nuevo como PDF sin elementos activos.",
                          field="file")
    try:
        pdf = pikepdf.open(path)
    except pikepdf.PasswordError as exc:
        raise Refused("El PDF está protegido con contraseña: súbalo sin protección.", field="file") from exc
    except pikepdf.PdfError as exc:
        raise Refused("El PDF está dañado o no es un PDF válido.", field="file") from exc
    with pdf:
        if pdf.is_encrypted:
            raise Refused("El PDF está cifrado: súbalo sin protección.", field="file")
        for obj in pdf.objects:
            if not isinstance(obj, pikepdf.Dictionary | pikepdf.Stream):
                continue
            values = [obj.get(k) for k in ("/S", "/Type", "/Subtype")]
            keys = set(obj.keys())
            found = {str(v).encode() for v in values if isinstance(v, pikepdf.Name)} | {k.encode() for k in keys}
            if isinstance(obj, pikepdf.Stream):  # object streams decompressed: names hidden inside them
                try:
                    found |= _pdf_names(obj.read_bytes()) if obj.get("/Type") == pikepdf.Name.ObjStm else set()
                except pikepdf.PdfError:
                    pass
            for name in found:
                if name in PDF_ACTIVE:
                    raise Refused(f"El PDF {PDF_ACTIVE[name]}: no se admite. Imprímalo de nuevo como PDF sin "
                                  "elementos activos.", field="file")


def _check_image(path: Path, label: str, limits: Limits) -> None:
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                if image.format != label:
                    raise Refused(f"La imagen no es un {label} válido.", field="file")
                width, height = image.size
                if width * height > limits.max_pixels:
                    raise Refused("La imagen es demasiado grande (demasiados píxeles).", field="file")
                image.verify()
    except Refused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise Refused("La imagen es demasiado grande (demasiados píxeles).", field="file") from exc
    except Exception as exc:  # Pillow raises many types for a damaged file
        raise Refused(f"La imagen {label} está dañada o incompleta.", field="file") from exc


def _check_office(path: Path, limits: Limits) -> FileFormat:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise Refused("El archivo comprimido está dañado.", field="file") from exc
    with archive:
        members = archive.infolist()
        names = {m.filename for m in members}
        if "[Content_Types].xml" not in names:
            raise Refused(f"Archivo comprimido no admitido: se aceptan {ALLOWED}.", field="file")
        if "xl/workbook.xml" in names:
            fmt = FileFormat.XLSX
        elif "word/document.xml" in names:
            fmt = FileFormat.DOCX
        else:
            raise Refused(f"Documento de Office no admitido: se aceptan {ALLOWED}.", field="file")
        if len(members) > limits.max_members:
            raise Refused("El archivo tiene demasiadas partes internas: parece una bomba de compresión.", field="file")
        if any(m.flag_bits & 0x1 for m in members):
            raise Refused("El documento está cifrado o protegido con contraseña: súbalo sin protección.", field="file")
        lowered = [n.lower() for n in names]
        if any(n.endswith(("vbaproject.bin", "vbadata.xml")) for n in lowered):
            raise Refused("El documento contiene macros: guárdelo como XLSX/DOCX sin macros.", field="file")
        if any("/activex/" in n or "/embeddings/" in n and n.endswith((".bin", ".exe")) for n in lowered):
            raise Refused("El documento contiene controles ActiveX u objetos incrustados: no se admite.", field="file")
        declared = sum(m.file_size for m in members)
        if declared > limits.max_unzipped_bytes:
            raise Refused("El documento se expande a un tamaño excesivo: parece una bomba de compresión.", field="file")
        for m in members:
            if m.file_size > 1024 * 1024 and m.file_size > limits.max_ratio * max(m.compress_size, 1):
                raise Refused("El documento está comprimido de forma anómala: parece una bomba de compresión.",
                              field="file")
        content_types = archive.read("[Content_Types].xml")[:1_000_000].lower()
        if b"macroenabled" in content_types or b"vbaproject" in content_types:
            raise Refused("El documento contiene macros: guárdelo como XLSX/DOCX sin macros.", field="file")
        total = 0
        try:  # decompress everything with a cap: a header that lies about sizes fails its CRC or the cap
            for m in members:
                with archive.open(m) as fh:
                    while chunk := fh.read(1024 * 1024):
                        total += len(chunk)
                        if total > limits.max_unzipped_bytes:
                            raise Refused("El documento se expande a un tamaño excesivo: parece una bomba de "
                                          "compresión.", field="file")
        except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as exc:
            raise Refused("El documento está dañado (su contenido comprimido no es íntegro).", field="file") from exc
    return fmt
