"""The export registry: every downloadable workbook is registered once, with its permission and builder.

An export is a name, a Spanish label, the permission that the page it mirrors requires, and a ``build``
function that turns an :class:`ExportRequest` (who asks, with which validated parameters) into sheets for
:mod:`portfolio.exports.xlsx`. The framework does the rest: the "Exportar a Excel" button, permission
checks (``exports.download`` plus the export's own permission), small exports sent at once, large ones run
as background jobs with progress, the *Notas* sheet, audit rows.

Adding an export for a list page (what the projects and trust halves do)::

    # portfolio/projects/exports/__init__.py, registered from portfolio/projects/__init__.py:register(app)
    from portfolio.exports.registry import register_export, list_export
    from portfolio.exports.xlsx import Column, Table

    COLUMNS = [Column("cui", "CUI"), Column("name", "Proyecto"), Column("stage", "Etapa"),
               Column("amount", "Monto vigente", "money", total=True), ...]

    def _sheets(req):
        listing = queries.project_list(req.params, viewer=req.viewer)   # the page's own query function
        rows = ((p.cui, p.name, p.stage_label, p.current_amount, ...) for p in req.stream(listing))
        return [Table("Proyectos", COLUMNS, rows), req.notes_sheet("Proyectos", listing.notes)]

    register_export(list_export("projects", "Proyectos", "projects.view", _sheets,
                                count=lambda req: queries.project_list(req.params, viewer=req.viewer).count(),
                                back_endpoint="projects.index"))

and in the list template: ``{% from "exports/_button.html" import export_button with context %}{{ export_button('projects') }}``.
Company scope: build functions get ``req.viewer``; ``req.viewer.scope(query, Project.company_id)`` (or
the page's own scoped query function) keeps a company's export to its own rows — use the same function as
the page so the two can never differ. The job re-checks the permission when it runs.

The MEF workbook (:mod:`portfolio.exports.mef`) is assembled from *sections*: each half registers one
with ``register_mef_section(key, order, summary=…, sheets=…)``. ``summary(ctx)`` returns blocks (and
native charts over them) for the *Resumen* sheet; ``sheets(ctx)`` returns the half's own sheets, which
must honour ``ctx.filters`` (cut-off date, period, entity, level, region) and stream their rows:

- projects (order 10): Resumen blocks "Proyectos y montos por etapa" (+ column chart "Cartera por etapa"),
  "Por entidad y nivel", "Certificados emitidos vs topes"; sheets *Proyectos*, *Presupuesto* (original,
  revisado, comprometido, devengado, girado and variance columns as ``Column(formula="{revised}-{original}")``),
  *Variaciones*, *Hitos*, *Certificados*.
- trust (order 20): Resumen blocks "Aportes y desembolsos por mes" (+ line chart "Aportes vs
  desembolsos"), "Fondos disponibles"; sheets *Aportes* (by company and month: planilla declarada,
  aporte debido, pagado, saldo formula, estado), *Desembolsos* (with votes and payments), *Libro diario*
  (every posting in the period, streamed with ``req.stream`` — see benchmarks/export_benchmark.py).

*Notas* is always last and is written by the framework.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select

from portfolio import db
from portfolio.auth.roles import COMPANY, ROLE_LABELS
from portfolio.domain_errors import DomainError, NotFound
from portfolio.exports.xlsx import Sheet, Summary, notes_sheet

STREAM_BATCH = 2000


class ExportInputError(DomainError):
    """Export filters that cannot be used (impossible dates, unknown ids); the message is for the user."""

    status_code = 422


@dataclass(frozen=True)
class Viewer:
    """Who asked for an export: enough to apply the same role scope as the page, in a job without a request."""

    user_id: int
    email: str
    name: str
    role: str
    company_id: int | None = None

    @classmethod
    def from_user(cls, user: Any) -> Viewer:
        return cls(user_id=user.id, email=user.email, name=user.name, role=user.role, company_id=user.company_id)

    # A viewer is built from an authenticated, active user (the job re-checks that user's permissions when it
    # runs), so the pages' own scope functions, which ask ``allows(user, …)``, accept a viewer as they are.
    is_authenticated = True
    is_active = True

    @property
    def id(self) -> int:
        """The user's id, so a viewer is the actor of the export's audit rows."""
        return self.user_id

    @property
    def is_company(self) -> bool:
        return self.role == COMPANY

    def scope(self, query: Select, company_column: Any) -> Select:
        """Restrict ``query`` to the viewer's company when the viewer is a company user."""
        if self.is_company:
            return query.where(company_column == self.company_id)
        return query

    def describe(self) -> str:
        return f"{self.name} <{self.email}> ({ROLE_LABELS.get(self.role, self.role)})"


@dataclass
class ExportRequest:
    spec: ExportSpec
    viewer: Viewer
    params: dict[str, str]
    generated_at: dt.datetime

    def stream(self, query: Select, *, scalars: bool = True) -> Iterator[Any]:
        """Rows of ``query`` fetched in batches (a server-side cursor on PostgreSQL): never all at once."""
        result = db.session.execute(query.execution_options(yield_per=STREAM_BATCH))
        return iter(result.scalars() if scalars else result)

    def notes_sheet(self, title: str | None = None, filters: Sequence[tuple[str, Any]] = (),
                    cutoff: dt.date | None = None, extra: Sequence[tuple[str, Any]] = ()) -> Summary:
        return notes_sheet(generated_at=self.generated_at, generated_by=self.viewer.describe(),
                           title=title or self.spec.label, filters=filters, cutoff=cutoff, extra=extra)


@dataclass(frozen=True)
class ExportSpec:
    name: str
    label: str
    permission: str
    build: Callable[[ExportRequest], Iterable[Sheet]]
    # Validates and normalises the filters (the list's query string or the MEF form); raises ExportInputError.
    parse: Callable[[Mapping[str, str], Viewer], dict[str, str]] = field(default=lambda args, viewer: {})
    # Rows the export will write (for the sync/background choice and the progress bar); None = unknown.
    count: Callable[[ExportRequest], int] | None = None
    filename: str = "exportacion"
    back_endpoint: str | None = None
    always_background: bool = False


_REGISTRY: dict[str, ExportSpec] = {}


def register_export(spec: ExportSpec) -> ExportSpec:
    """Add (or replace, for re-registration in tests) an export under ``spec.name``."""
    _REGISTRY[spec.name] = spec
    return spec


def unregister_export(name: str) -> None:
    _REGISTRY.pop(name, None)


def get_export(name: str) -> ExportSpec:
    spec = _REGISTRY.get(name)
    if spec is None:
        raise NotFound("Esa exportación no existe.")
    return spec


def all_exports() -> list[ExportSpec]:
    return list(_REGISTRY.values())


LIST_ARG_MAX = 200
LIST_ARGS_MAX = 20


def keep_list_args(args: Mapping[str, str], viewer: Viewer) -> dict[str, str]:
    """A list export keeps the page's query string as it is (the list query ignores bad values, as the
    page does); only its size is bounded."""
    kept = {}
    for key, value in list(args.items())[:LIST_ARGS_MAX]:
        if key in ("page", "csrf_token"):
            continue
        kept[str(key)[:40]] = str(value)[:LIST_ARG_MAX]
    return kept


def count_of(list_fn: Callable[..., Any], *, scoped: bool = True) -> Callable[[ExportRequest], int]:
    """``count=`` for :func:`list_export`: the row count of the page's own list query function
    (called with the viewer when the page scopes its rows by role)."""
    if scoped:
        return lambda req: list_fn(req.params, req.viewer).count()
    return lambda req: list_fn(req.params).count()


def list_export(name: str, label: str, permission: str, build: Callable[[ExportRequest], Iterable[Sheet]], *,
                count: Callable[[ExportRequest], int] | None = None, back_endpoint: str | None = None,
                filename: str | None = None) -> ExportSpec:
    """The spec of a list page's export: the page's query string in, the same rows out."""
    return ExportSpec(name=name, label=label, permission=permission, build=build, parse=keep_list_args,
                      count=count, filename=filename or name, back_endpoint=back_endpoint)
