"""What every import has in common: columns, row parsing with errors collected per cell, and the plan.

A kind (declarations, bank statement, projects) describes its columns and implements ``plan`` (what each
valid row would do, against the current database, plus the errors only the database can reveal) and
``apply`` (carry the plan out through the domain services). Parsing never stops at the first error.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, ClassVar

from portfolio.imports import cells
from portfolio.imports.reader import Column, Sheet

# Action codes shown in the preview.
CREATE, UPDATE, UNCHANGED, INFO = "crear", "cambiar", "sin_cambios", "informativo"
ACTION_LABELS = {CREATE: "Se creará", UPDATE: "Se cambiará", UNCHANGED: "Sin cambios", INFO: "Solo informativo"}
# The same actions once applied (the result page speaks in the past tense).
DONE_LABELS = {CREATE: "Creado", UPDATE: "Cambiado", UNCHANGED: "Sin cambios", INFO: "Solo informativo"}


@dataclass
class Issue:
    row: int | None
    column: str
    value: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "value": self.value, "message": self.message}


@dataclass
class Action:
    row: int | None
    action: str
    description: str
    detail: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    group: str = ""  # kinds that report several lists (reconciliation) use it

    @property
    def label(self) -> str:
        return ACTION_LABELS.get(self.action, self.action)


@dataclass
class Plan:
    actions: list[Action] = field(default_factory=list)
    errors: list[Issue] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        result = {CREATE: 0, UPDATE: 0, UNCHANGED: 0, INFO: 0}
        for action in self.actions:
            result[action.action] = result.get(action.action, 0) + 1
        return result

    @property
    def changes(self) -> int:
        counts = self.counts()
        return counts[CREATE] + counts[UPDATE]


def to_json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def money_of(row: dict[str, Any], key: str) -> Decimal | None:
    return None if row.get(key) is None else Decimal(row[key])


def date_of(row: dict[str, Any], key: str) -> dt.date | None:
    return None if row.get(key) is None else dt.date.fromisoformat(row[key])


# Columns whose values repeat down a sheet (a company's RUC, a month): each distinct value is parsed once.
MEMO_KINDS = frozenset({"ruc", "period", "date", "choice"})

PARSERS: dict[str, Callable[[Column, object], Any]] = {
    "text": lambda col, v: cells.text(v, max_length=col.max_length),
    "money": lambda col, v: cells.money(v),
    "integer": lambda col, v: cells.integer(v, minimum=0),
    "date": lambda col, v: cells.date(v),
    "period": lambda col, v: cells.period(v),
    "ruc": lambda col, v: cells.ruc(v),
}


class ImportKind:
    """Subclasses set the class attributes and implement ``scope``, ``plan`` and ``apply``."""

    key: ClassVar[str]
    title: ClassVar[str]
    description: ClassVar[str]
    sheet_name: ClassVar[str]
    columns: ClassVar[tuple[Column, ...]]
    permission: ClassVar[str]
    choices: ClassVar[dict[str, dict[str, str]]] = {}
    confirm_label: ClassVar[str] = "Confirmar e importar"
    confirm_question: ClassVar[str] = "¿Aplicar la importación? Se registrará todo o nada."
    help_notes: ClassVar[tuple[str, ...]] = ()
    groups: ClassVar[dict[str, str]] = {}
    streaming: ClassVar[bool] = False  # read in one pass by ``read_stream`` (large files), see services.stage_stream
    nothing_message: ClassVar[str] = "Todas las filas ya están registradas con los mismos datos: no hay cambios que aplicar."

    # The preview's tiles and the result's counts, per action code (kinds say what their changes are).
    tile_labels: ClassVar[dict[str, str]] = {CREATE: "Se crearán", UPDATE: "Se cambiarán", UNCHANGED: "Sin cambios"}
    done_counts: ClassVar[dict[str, str]] = {CREATE: "creadas", UPDATE: "cambiadas", UNCHANGED: "sin cambios"}

    def label_for(self, action: Action) -> str:
        return action.label

    def done_label_for(self, action: Action) -> str:
        return DONE_LABELS.get(action.action, action.action)

    def allowed(self, user) -> bool:
        from portfolio.auth.policy import allows

        return allows(user, self.permission)

    def scope(self, user) -> str:
        """What "the same target" means for idempotency (e.g. one company, or the whole trust)."""
        return "all"

    def example_row(self, user) -> list[object]:
        return [c.example for c in self.columns]

    # -- parsing -------------------------------------------------------------------------------------
    def parse(self, sheet: Sheet) -> tuple[list[dict[str, Any]], list[Issue]]:
        rows: list[dict[str, Any]] = []
        errors: list[Issue] = []
        positions = sorted(sheet.columns.items())
        memo: dict[tuple[int, object], tuple[bool, Any]] = {}  # parsing is pure: repeated RUCs/periods once
        for number, raw_cells in sheet.rows:
            row: dict[str, Any] = {"_row": number}
            ok = True
            width = len(raw_cells)
            for position, column in positions:
                raw = raw_cells[position] if position < width else None
                if cells.blank(raw):
                    row[column.key] = None
                    if column.required:
                        errors.append(Issue(number, column.header, "", "Falta el dato (columna obligatoria)."))
                        ok = False
                    continue
                memo_key = (position, raw) if column.kind in MEMO_KINDS and isinstance(raw, str | int) else None
                outcome = memo.get(memo_key) if memo_key is not None else None
                if outcome is None:
                    try:
                        if column.kind == "choice":
                            outcome = (True, to_json(cells.choice(raw, self.choices[column.key])))
                        else:
                            outcome = (True, to_json(PARSERS[column.kind](column, raw)))
                    except cells.CellError as exc:
                        outcome = (False, str(exc))
                    if memo_key is not None:
                        memo[memo_key] = outcome
                if not outcome[0]:
                    errors.append(Issue(number, column.header, cells.shown(raw), outcome[1]))
                    ok = False
                    continue
                row[column.key] = outcome[1]
            for column in self.columns:
                row.setdefault(column.key, None)
            row["_ok"] = ok
            rows.append(row)
        return rows, errors

    def issue(self, row: dict[str, Any], key: str, message: str, value: object = None) -> Issue:
        shown = row.get(key) if value is None else value
        column = next(c for c in self.columns if c.key == key)
        if value is None and shown is not None and column.kind in ("date", "period"):
            day = dt.date.fromisoformat(shown)
            shown = f"{day:%m/%Y}" if column.kind == "period" else f"{day:%d/%m/%Y}"
        return Issue(row.get("_row"), column.header, "" if shown is None else str(shown), message)

    # -- to implement ---------------------------------------------------------------------------------
    def plan(self, rows: Sequence[dict[str, Any]], user) -> Plan:  # pragma: no cover - abstract
        raise NotImplementedError

    def apply(self, plan: Plan, user, *, batch_id: int) -> dict[str, int]:  # pragma: no cover - abstract
        raise NotImplementedError


def duplicates(kind: ImportKind, rows: Sequence[dict[str, Any]], keys: Sequence[str], describe: Callable[[dict], str]
               ) -> list[Issue]:
    """One error per row that repeats an earlier row's identity (``keys``)."""
    seen: dict[tuple, int] = {}
    errors: list[Issue] = []
    for row in rows:
        identity = tuple(row.get(k) for k in keys)
        if any(v is None for v in identity):
            continue
        if identity in seen:
            errors.append(kind.issue(row, keys[-1], f"Fila duplicada: {describe(row)} ya aparece en la fila {seen[identity]}."))
        else:
            seen[identity] = row["_row"]
    return errors
