"""Reading an uploaded spreadsheet safely: type by content, limits, sheet and header checks, streaming rows.

The file type is decided by the bytes, never by the name: an .xlsx is a zip holding
``[Content_Types].xml`` and ``xl/workbook.xml``; an OLE2 compound file (``D0 CF 11 E0``) is what a
password-protected .xlsx (or an old .xls) looks like; anything else must decode as UTF-8 (with or without
BOM) or Latin-1 text with a ``,``, ``;`` or tab delimiter. Cells come back raw (formulas as their ``=…``
text, never evaluated); ``cells.py`` turns them into values.
"""
from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_SIGNATURE = b"PK\x03\x04"
MAX_UNCOMPRESSED_RATIO = 100  # a zip that inflates more than this is refused (zip bomb)
HEADER_SEARCH_ROWS = 5  # title rows tolerated above the header


class FileProblem(Exception):
    """The file as a whole cannot be read; ``message`` is Spanish and shown to the user."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Column:
    key: str
    header: str  # as written in the template
    kind: str  # text, money, integer, date, period, ruc, choice
    required: bool = True
    aliases: tuple[str, ...] = ()
    help: str = ""
    example: object = ""
    max_length: int = 200

    def names(self) -> set[str]:
        return {normalize_header(self.header), normalize_header(self.key)} | {normalize_header(a) for a in self.aliases}


@dataclass
class Sheet:
    """What was read: the file type, the header mapping and the raw data rows (with their row numbers)."""

    file_type: str
    columns: dict[int, Column]  # position in the row → column
    rows: list[tuple[int, Sequence[object]]] = field(default_factory=list)


def normalize_header(text: object) -> str:
    """'  Número de  TRABAJADORES (N°) ' → 'numero de trabajadores': no accents, case, units or extra spaces."""
    value = unicodedata.normalize("NFKD", str(text or ""))
    value = "".join(ch for ch in value if not unicodedata.combining(ch)).lower()
    value = re.sub(r"\(.*?\)", " ", value)
    value = re.sub(r"[^a-z0-9]+", " ", value)
    return " ".join(value.split())


def column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def detect_type(data: bytes) -> str:
    """'xlsx' or 'csv', decided by content; FileProblem for anything else."""
    if not data or not data.strip():
        raise FileProblem("El archivo está vacío.")
    if data.startswith(OLE2_SIGNATURE):
        raise FileProblem(
            "El archivo está protegido con contraseña o es un libro de Excel antiguo (.xls). "
            "Quite la contraseña y guárdelo como «Libro de Excel (.xlsx)» o como CSV.")
    if data.startswith(ZIP_SIGNATURE) or data.startswith(b"PK"):
        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
            names = set(archive.namelist())
            total = sum(info.file_size for info in archive.infolist())
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
            raise FileProblem("El archivo .xlsx está dañado o incompleto; no se puede abrir.") from exc
        if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
            raise FileProblem("El archivo comprimido no es un libro de Excel (.xlsx).")
        if total > max(len(data), 1) * MAX_UNCOMPRESSED_RATIO:
            raise FileProblem("El libro de Excel se expande a un tamaño anormal; no se procesa.")
        return "xlsx"
    head = data[:65536]
    if b"\x00" in head:
        raise FileProblem("Tipo de archivo no admitido: suba un libro de Excel (.xlsx) o un archivo CSV.")
    return "csv"


def decode_text(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if any(unicodedata.category(ch) == "Cc" and ch not in "\r\n\t" for ch in text[:65536]):
            break
        return text
    raise FileProblem("Tipo de archivo no admitido: suba un libro de Excel (.xlsx) o un archivo CSV de texto.")


def sniff_delimiter(text: str) -> str:
    first = next((line for line in text.splitlines() if line.strip()), "")
    counts = {d: first.count(d) for d in (";", "\t", ",")}
    best = max(counts, key=lambda d: counts[d])
    if counts[best] == 0:
        return ","
    return best


def map_header(cells: Sequence[object], columns: Sequence[Column], *, header_row: int) -> dict[int, Column]:
    """Position → Column; FileProblem naming every missing, unknown or repeated column."""
    by_name: dict[str, Column] = {}
    for column in columns:
        for name in column.names():
            by_name[name] = column
    mapping: dict[int, Column] = {}
    seen: dict[str, int] = {}
    problems: list[str] = []
    for position, raw in enumerate(cells):
        if raw is None or not str(raw).strip():
            continue
        name = normalize_header(raw)
        column = by_name.get(name)
        letter = column_letter(position)
        if column is None:
            problems.append(f"columna {letter}: «{str(raw).strip()[:60]}» no es una columna conocida")
            continue
        if column.key in seen:
            problems.append(f"columna {letter}: «{column.header}» está repetida (ya en la columna "
                            f"{column_letter(seen[column.key])})")
            continue
        seen[column.key] = position
        mapping[position] = column
    missing = [c.header for c in columns if c.required and c.key not in seen]
    if missing:
        problems.insert(0, "faltan las columnas " + ", ".join(f"«{m}»" for m in missing))
    if problems:
        expected = ", ".join(c.header for c in columns)
        raise FileProblem(f"Encabezados de la fila {header_row}: " + "; ".join(problems)
                          + f". Las columnas esperadas son: {expected}.")
    return mapping


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _collect(rows: Iterator[tuple[int, Sequence[object]]], columns: Sequence[Column], file_type: str,
             max_rows: int) -> Sheet:
    # The header is the first non-empty row, or one of the next few if a title sits above it.
    candidates: list[tuple[int, Sequence[object]]] = []
    mapping: dict[int, Column] | None = None
    first_problem: FileProblem | None = None
    for number, cells in rows:
        if all(_blank(c) for c in cells):
            continue
        candidates.append((number, cells))
        try:
            mapping = map_header(cells, columns, header_row=number)
            break
        except FileProblem as problem:
            first_problem = first_problem or problem
            if len(candidates) >= HEADER_SEARCH_ROWS:
                break
    if not candidates:
        raise FileProblem("El archivo no tiene encabezados ni filas.")
    if mapping is None:
        raise first_problem
    header_row = candidates[-1][0]
    sheet = Sheet(file_type=file_type, columns=mapping)
    unnamed_with_data: set[int] = set()
    for number, cells in rows:
        if all(_blank(c) for c in cells):
            continue
        if len(sheet.rows) >= max_rows:
            raise FileProblem(f"El archivo tiene más de {max_rows:,} filas de datos; divídalo en archivos más pequeños.")
        for position, value in enumerate(cells):
            if position not in mapping and not _blank(value):
                unnamed_with_data.add(position)
        sheet.rows.append((number, cells))
    if unnamed_with_data:
        letters = ", ".join(column_letter(p) for p in sorted(unnamed_with_data))
        raise FileProblem(f"Hay datos en columnas sin encabezado ({letters}); ponga el nombre de la columna o bórrelas.")
    if not sheet.rows:
        raise FileProblem(f"El archivo solo tiene encabezados (fila {header_row}); no hay filas que importar.")
    return sheet


def _csv_rows(text: str) -> Iterator[tuple[int, Sequence[object]]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(text))
    try:
        for cells in reader:
            yield reader.line_num, cells
    except csv.Error as exc:
        raise FileProblem(f"El CSV está mal formado cerca de la línea {reader.line_num}: revise las comillas.") from exc


def _pick_sheet(workbook, sheet_name: str, help_sheet: str):
    wanted = normalize_header(sheet_name)
    for name in workbook.sheetnames:
        if normalize_header(name) == wanted:
            return workbook[name]
    candidates = [n for n in workbook.sheetnames
                  if normalize_header(n) != normalize_header(help_sheet) and workbook[n].sheet_state == "visible"]
    if len(candidates) == 1:
        return workbook[candidates[0]]
    raise FileProblem(f"No se encontró la hoja «{sheet_name}». El libro tiene las hojas: "
                      + ", ".join(f"«{n}»" for n in workbook.sheetnames) + ".")


def _xlsx_rows(worksheet) -> Iterator[tuple[int, Sequence[object]]]:
    yield from enumerate(worksheet.iter_rows(values_only=True), start=1)


def read(data: bytes, columns: Sequence[Column], *, sheet_name: str, help_sheet: str = "Ayuda",
         max_bytes: int, max_rows: int) -> Sheet:
    """Check and read an uploaded file. Raises FileProblem (Spanish) for anything unreadable."""
    if len(data) > max_bytes:
        raise FileProblem(f"El archivo pesa {len(data) / 1048576:.1f} MB; el máximo es {max_bytes / 1048576:.0f} MB.")
    file_type = detect_type(data)
    if file_type == "csv":
        return _collect(_csv_rows(decode_text(data)), columns, "csv", max_rows)
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, TypeError, OSError, EOFError,
            IndexError, AttributeError) as exc:
        raise FileProblem("El archivo .xlsx está dañado o no es un libro de Excel válido.") from exc
    except Exception as exc:  # lxml / xml parser errors from a malformed workbook
        raise FileProblem("El archivo .xlsx está dañado o no es un libro de Excel válido.") from exc
    try:
        worksheet = _pick_sheet(workbook, sheet_name, help_sheet)
        try:
            return _collect(_xlsx_rows(worksheet), columns, "xlsx", max_rows)
        except FileProblem:
            raise
        except Exception as exc:  # a broken sheet part inside a valid zip
            raise FileProblem(f"La hoja «{worksheet.title}» está dañada y no se puede leer.") from exc
    finally:
        workbook.close()
