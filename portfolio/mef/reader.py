"""Streaming reader of MEF's «Presupuesto y ejecución de gasto» CSV: one pass, constant memory per project.

The file is read line by line from a binary stream (never whole): each line is decoded as UTF-8 and, if
that fails, as Windows-1252/Latin-1 (MEF has published both); a UTF-8 BOM is dropped. The delimiter is
taken from the header line (``,`` ``;`` tab or ``|``, whichever occurs most). Headers are matched
case-insensitively, ignoring accents, spaces and quotes (``COLUMNS`` is the documented mapping).

Rows are aggregated as they go by (CUI, year): flows (devengado, girado) are summed over the file; the
annual stocks (PIA, PIM, certificado, compromiso anual) are summed per month and the figure of the latest
month that carries them is kept, so a file that repeats the annual PIM on every monthly row and a file that
gives it once both read right. Only the aggregates stay in memory (one entry per project and year). Rows of
activities (``TIPO_ACT_PROY`` ≠ 2, when that column exists) and rows without a 7-digit code are skipped and
counted. Amounts are read exactly into integer céntimos (``1234.5``, ``-12.30``; a decimal comma only when
the delimiter is not a comma); more than 2 decimals, exponents or text are errors with their row number.
"""
from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

FLOWS = ("devengado", "girado")
STOCKS = ("pia", "pim", "certificado", "comprometido")
AMOUNTS = ("pia", "pim", "certificado", "comprometido", "devengado", "girado")
MAX_ERRORS = 200  # errors kept for the preview (the count goes on)
DELIMITERS = (",", ";", "\t", "|")
PROJECT_TYPE = "2"  # TIPO_ACT_PROY: 2 = proyecto, 3 = actividad


@dataclass(frozen=True)
class MefColumn:
    key: str
    header: str
    required: bool
    meaning: str
    aliases: tuple[str, ...] = ()


# The column mapping (also shown on the upload page and in README).
COLUMNS: tuple[MefColumn, ...] = (
    MefColumn("year", "ANO_EJE", True, "Año de ejecución (fiscal); se compara con el año de cada proyecto.",
              ("AÑO_EJE", "ANIO_EJE")),
    MefColumn("month", "MES_EJE", False, "Mes de ejecución (1–12). Sin esta columna, el archivo se toma como anual."),
    MefColumn("cui", "PRODUCTO_PROYECTO", True, "Código Único de Inversiones (7 dígitos): se busca en la cartera.",
              ("CUI",)),
    MefColumn("kind", "TIPO_ACT_PROY", False, "2 = proyecto; las filas de actividades (3) se omiten."),
    MefColumn("level", "NIVEL_GOBIERNO_NOMBRE", False, "Nivel de gobierno (informativo)."),
    MefColumn("sec_ejec", "SEC_EJEC", False, "Código de la unidad ejecutora (informativo, procedencia)."),
    MefColumn("executor", "EJECUTORA_NOMBRE", False, "Nombre de la unidad ejecutora (informativo)."),
    MefColumn("pia", "MONTO_PIA", False, "Presupuesto institucional de apertura (anual)."),
    MefColumn("pim", "MONTO_PIM", False, "Presupuesto institucional modificado (anual)."),
    MefColumn("certificado", "MONTO_CERTIFICADO", False, "Certificación presupuestal (anual)."),
    MefColumn("comprometido", "MONTO_COMPROMETIDO_ANUAL", False, "Compromiso anual."),
    MefColumn("devengado", "MONTO_DEVENGADO", True, "Devengado del mes (se suma)."),
    MefColumn("girado", "MONTO_GIRADO", True, "Girado del mes (se suma)."),
)

_AMOUNT = re.compile(r"(-?)(\d{1,15})(?:\.(\d{1,2}))?")


class MefFileProblem(Exception):
    """The file as a whole cannot be read; ``message`` is Spanish."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def normalize(text: str) -> str:
    value = unicodedata.normalize("NFKD", text.strip().strip('"').strip("\ufeff"))
    value = "".join(ch for ch in value if not unicodedata.combining(ch)).upper()
    return re.sub(r"[^A-Z0-9]+", "_", value).strip("_")


def cents(text: str, decimal_comma: bool = False) -> int:
    """'1234.5' → 123450; ValueError (Spanish) for anything that is not an exact amount."""
    dot = text.find(".")
    if dot < 0:
        if text.isascii() and text.isdigit() and len(text) <= 15:
            return int(text) * 100
    else:
        whole, frac = text[:dot], text[dot + 1:]
        if whole.isascii() and whole.isdigit() and frac.isascii() and frac.isdigit() and len(frac) <= 2 \
                and len(whole) <= 15:
            return int(whole) * 100 + int(frac) * (10 if len(frac) == 1 else 1)
    return _cents_slow(text, decimal_comma)


def _cents_slow(text: str, decimal_comma: bool) -> int:
    value = text.strip()
    if decimal_comma and "," in value and "." not in value:
        value = value.replace(",", ".")
    match = _AMOUNT.fullmatch(value)
    if match is None:
        if not value:
            return 0
        raise ValueError(f"«{value[:30]}» no es un monto válido (use 1234.56, sin separador de miles ni más de 2 decimales).")
    sign, whole, frac = match.groups()
    amount = int(whole) * 100 + (int(frac.ljust(2, "0")) if frac else 0)
    return -amount if sign else amount


@dataclass
class Figures:
    """One (CUI, year): the flows summed, the stocks by month, and where in the file they came from."""

    flows: list[int] = field(default_factory=lambda: [0, 0])
    stocks: dict[int, list[int]] = field(default_factory=dict)  # month → [pia, pim, certificado, comprometido]
    rows: int = 0
    first_row: int = 0
    last_row: int = 0
    last_month: int = 0
    executor: str = ""
    sec_ejec: str = ""
    level: str = ""

    def stock_values(self) -> list[int]:
        """The annual stocks as of the latest month that carries any (0 when none does)."""
        for month in sorted(self.stocks, reverse=True):
            values = self.stocks[month]
            if any(values):
                return values
        return [0, 0, 0, 0]

    def amounts(self) -> dict[str, int]:
        return dict(zip(STOCKS, self.stock_values(), strict=True)) | dict(zip(FLOWS, self.flows, strict=True))


@dataclass
class Result:
    """What a pass over the file found (keys are (cui, year))."""

    delimiter: str = ","
    encoding: str = "utf-8"
    rows: int = 0
    skipped_activities: int = 0
    skipped_no_cui: int = 0
    figures: dict[tuple[str, int], Figures] = field(default_factory=dict)
    # CUIs not in ``wanted``: (cui, year) → [rows, devengado, girado, first row, last row, executor]
    unknown: dict[tuple[str, int], list] = field(default_factory=dict)
    errors: list[tuple[int, str, str, str]] = field(default_factory=list)  # (row, column, value, message)
    error_count: int = 0
    missing_optional: list[str] = field(default_factory=list)

    def error(self, row: int, column: str, value: str, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append((row, column, value[:60], message))


def _lines(stream: BinaryIO, result: Result) -> Iterator[str]:
    """Decoded lines: UTF-8 until a line is not, then Windows-1252 (Latin-1 for its 5 undefined bytes)."""
    first = True
    utf8 = True
    for raw in stream:
        if first:
            first = False
            if raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            elif raw.startswith((b"\xff\xfe", b"\xfe\xff")):
                raise MefFileProblem("El archivo está en UTF-16: guárdelo como CSV UTF-8 o Latin-1.")
            if b"\x00" in raw:
                raise MefFileProblem("El archivo no es un CSV de texto (contiene bytes nulos).")
        if utf8:
            try:
                yield raw.decode("utf-8")
                continue
            except UnicodeDecodeError:
                utf8 = False
                result.encoding = "latin-1"
        try:
            yield raw.decode("cp1252")
        except UnicodeDecodeError:
            yield raw.decode("latin-1")


def _header(lines: Iterator[str]) -> tuple[str, list[str]]:
    line = next(lines, None)
    while line is not None and not line.strip():
        line = next(lines, None)
    if line is None:
        raise MefFileProblem("El archivo está vacío.")
    counts = {d: line.count(d) for d in DELIMITERS}
    delimiter = max(DELIMITERS, key=lambda d: counts[d])
    if counts[delimiter] == 0:
        raise MefFileProblem("No se reconoce el separador de columnas: la primera fila debe tener los encabezados "
                             "de MEF (ANO_EJE, PRODUCTO_PROYECTO, MONTO_DEVENGADO…) separados por coma, punto y coma, "
                             "tabulador o barra vertical.")
    return delimiter, next(csv.reader([line], delimiter=delimiter))


def _positions(headers: list[str], result: Result) -> dict[str, int]:
    seen = {normalize(h): i for i, h in reversed(list(enumerate(headers)))}
    positions: dict[str, int] = {}
    missing: list[str] = []
    for column in COLUMNS:
        for name in (column.header, *column.aliases):
            if normalize(name) in seen:
                positions[column.key] = seen[normalize(name)]
                break
        else:
            (missing if column.required else result.missing_optional).append(column.header)
    if missing:
        raise MefFileProblem("Faltan columnas obligatorias del archivo de MEF: " + ", ".join(missing)
                             + ". Revise que sea «Presupuesto y ejecución de gasto» (CSV) con su fila de encabezados.")
    return positions


def read(stream: BinaryIO, *, wanted: Iterable[str] | None = None) -> Result:
    """One pass over ``stream``. ``wanted``: the CUIs to aggregate in full (None = all); the other CUIs get a
    light summary in ``unknown`` (rows, devengado, girado, where) so that the import can list them."""
    result = Result()
    lines = _lines(stream, result)
    delimiter, headers = _header(lines)
    result.delimiter = delimiter
    pos = _positions(headers, result)
    decimal_comma = delimiter != ","
    wanted_set = None if wanted is None else set(wanted)
    p_year, p_cui = pos["year"], pos["cui"]
    p_month, p_kind = pos.get("month"), pos.get("kind")
    amount_pos = [(key, pos.get(key)) for key in AMOUNTS]
    width = max(pos.values()) + 1
    info = [(key, pos.get(key)) for key in ("executor", "sec_ejec", "level")]
    p_dev, p_gir, p_exec = pos["devengado"], pos["girado"], pos.get("executor")
    flow_pos = [("devengado", p_dev), ("girado", p_gir)]
    figures = result.figures
    years: dict[str, int] = {}
    months: dict[str, int] = {}
    number = 1  # the header is row 1, as a spreadsheet shows it
    for cells in csv.reader(lines, delimiter=delimiter):
        number += 1
        if not cells or (len(cells) == 1 and not cells[0].strip()):
            continue
        result.rows += 1
        if len(cells) < width or (len(cells) > len(headers) and any(c.strip() for c in cells[len(headers):])):
            result.error(number, "", "", f"La fila tiene {len(cells)} columnas; el encabezado tiene {len(headers)} "
                         "(¿un separador dentro de un texto sin comillas?).")
            continue
        if p_kind is not None and cells[p_kind] != PROJECT_TYPE and cells[p_kind].strip() not in (PROJECT_TYPE, ""):
            result.skipped_activities += 1
            continue
        cui = cells[p_cui]
        if len(cui) != 7:
            cui = cui.strip()
        if len(cui) != 7 or not (cui.isascii() and cui.isdigit()):
            result.skipped_no_cui += 1
            continue
        raw_year = cells[p_year].strip()
        year = years.get(raw_year)
        if year is None:
            if not (raw_year.isascii() and raw_year.isdigit() and 2000 <= int(raw_year) <= 2100):
                result.error(number, "ANO_EJE", raw_year, "El año debe ser de cuatro dígitos (2000–2100).")
                continue
            year = years[raw_year] = int(raw_year)
        month = 0
        if p_month is not None:
            raw_month = cells[p_month]
            month = months.get(raw_month, -1)
            if month < 0:
                text = raw_month.strip()
                if not (text.isascii() and text.isdigit() and 0 <= int(text) <= 12):
                    result.error(number, "MES_EJE", text, "El mes debe ser un número de 0 a 12.")
                    continue
                month = months[raw_month] = int(text)
        key = (cui, year)
        if wanted_set is not None and cui not in wanted_set:
            try:
                dev, gir = cents(cells[p_dev], decimal_comma), cents(cells[p_gir], decimal_comma)
            except ValueError as exc:
                _amount_error(result, number, cells, flow_pos, decimal_comma, exc)
                continue
            light = result.unknown.get(key)
            if light is None:
                light = result.unknown[key] = [0, 0, 0, number, number,
                                               "" if p_exec is None else cells[p_exec].strip()[:200]]
            light[0] += 1
            light[1] += dev
            light[2] += gir
            light[4] = number
            continue
        try:
            values = [0 if p is None else cents(cells[p], decimal_comma) for _key, p in amount_pos]
        except ValueError as exc:
            _amount_error(result, number, cells, amount_pos, decimal_comma, exc)
            continue
        item = figures.get(key)
        if item is None:
            item = figures[key] = Figures(first_row=number)
            for name, p in info:
                if p is not None:
                    setattr(item, name, cells[p].strip()[:200])
        item.rows += 1
        item.last_row = number
        if month > item.last_month:
            item.last_month = month
        item.flows[0] += values[4]
        item.flows[1] += values[5]
        if values[0] or values[1] or values[2] or values[3]:
            stock = item.stocks.get(month)
            if stock is None:
                item.stocks[month] = values[:4]
            else:
                for i in range(4):
                    stock[i] += values[i]
    if result.rows == 0:
        raise MefFileProblem("El archivo tiene encabezados pero ninguna fila de datos.")
    return result


def _amount_error(result: Result, number: int, cells: list[str], positions, decimal_comma: bool,
                  exc: ValueError) -> None:
    bad = next(k for k, p in positions if p is not None and _bad(cells[p], decimal_comma))
    header = next(c.header for c in COLUMNS if c.key == bad)
    result.error(number, header, cells[dict(positions)[bad]], str(exc))


def _bad(text: str, decimal_comma: bool) -> bool:
    try:
        cents(text, decimal_comma)
    except ValueError:
        return True
    return False
