"""The trust's Excel exports, registered in the export framework (portfolio/exports/registry.py).

Lists (declarations, payments, disbursements) use the page's own query function from
:mod:`portfolio.trust.queries`, which scopes a company user to its own company, so the page and its export
hold the same rows. Statements (a company's estado de cuenta, the trust's statement for a period) reuse
the services in :mod:`portfolio.trust.services.books` that the pages show. The disbursement sheets are
shared with the trust's section of the MEF workbook (:mod:`portfolio.trust.mef`).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload, selectinload

from portfolio import clock, db
from portfolio.domain_errors import NotFound
from portfolio.exports.registry import (
    ExportInputError,
    ExportRequest,
    ExportSpec,
    Viewer,
    count_of,
    list_export,
    register_export,
)
from portfolio.exports.xlsx import Block, Column, Summary, Table
from portfolio.formatting import format_date
from portfolio.orgs.models import Company
from portfolio.trust import queries
from portfolio.trust.models import CONTRIBUTION_STATUS, Disbursement, Tranche, Vote
from portfolio.trust.services import books
from portfolio.trust.vocab import VoteDecision

CONTRIBUTION_COLUMNS = [
    Column("ruc", "RUC", width=13),
    Column("company", "Empresa", width=40),
    Column("month", "Mes", "date"),
    Column("version", "Versión", "int", width=8),
    Column("payroll", "Planilla declarada", "money", total=True),
    Column("due", "Aporte debido", "money", total=True),
    Column("paid", "Pagado (confirmado)", "money", total=True),
    Column("balance", "Saldo", "money", total=True, formula="{due}-{paid}"),
    Column("due_date", "Vence", "date"),
    Column("status", "Estado", width=14),
]


def today_of(req: ExportRequest) -> dt.date:
    return clock.local_date(req.generated_at)


def contribution_row(c, today: dt.date) -> tuple:
    payroll = c.versions[-1].payroll if c.versions else None
    return (c.company.ruc, c.company.legal_name, c.month, c.current_version, payroll, c.amount_due, c.amount_paid,
            c.amount_due - c.amount_paid, c.due_date, CONTRIBUTION_STATUS[c.status(today)])


def _declarations(req: ExportRequest):
    listing = queries.contribution_list(req.params, req.viewer)
    today = today_of(req)
    rows = (contribution_row(c, today) for c in req.stream(listing.ordered(req.params)))
    return [Table("Declaraciones", CONTRIBUTION_COLUMNS, rows),
            req.notes_sheet("Declaraciones de aportes al fideicomiso", listing.notes,
                            extra=[("Estado", f"Calculado al {format_date(today)}")])]


PAYMENT_COLUMNS = [
    Column("ruc", "RUC", width=13),
    Column("company", "Empresa", width=40),
    Column("month", "Mes del aporte", "date"),
    Column("paid_on", "Fecha de pago", "date"),
    Column("bank", "Banco", width=26),
    Column("operation", "N.º de operación", width=18),
    Column("amount", "Monto", "money", total=True),
    Column("status", "Estado", width=24),
    Column("note", "Observación", width=40),
]


def _payments(req: ExportRequest):
    listing = queries.payment_list(req.params, req.viewer)
    rows = ((p.company.ruc, p.company.legal_name, p.contribution.month, p.paid_on, p.bank_label, p.operation_number,
             p.amount, p.status_label, p.decision_note) for p in req.stream(listing.ordered(req.params)))
    return [Table("Pagos", PAYMENT_COLUMNS, rows), req.notes_sheet("Pagos de aportes al fideicomiso", listing.notes)]


# --- disbursements (shared with the MEF section) ----------------------------------------------------

DISBURSEMENT_COLUMNS = [
    Column("id", "N.º", "int", width=7),
    Column("program", "Programa", width=28),
    Column("organization", "Beneficiario", width=36),
    Column("ruc", "RUC", width=13),
    Column("year", "Año", "int", width=7),
    Column("requested_on", "Solicitado", "date"),
    Column("amount", "Monto", "money", total=True),
    Column("paid", "Pagado", "money", total=True),
    Column("pending", "Por pagar", "money", total=True, formula="{amount}-{paid}"),
    Column("status", "Estado", width=26),
    Column("approve", "Votos a favor", "int", total=True),
    Column("reject", "Votos en contra", "int", total=True),
    Column("invoices", "Comprobantes", width=40),
    Column("purpose", "Finalidad", width=60),
]
VOTE_COLUMNS = [
    Column("id", "N.º desembolso", "int", width=10),
    Column("organization", "Beneficiario", width=36),
    Column("member", "Miembro del Comité", width=30),
    Column("decision", "Decisión", width=10),
    Column("comment", "Comentario", width=50),
    Column("cast_on", "Fecha del voto", "date"),
    Column("cast_at", "Registrado", "datetime"),
]
TRANCHE_COLUMNS = [
    Column("id", "N.º desembolso", "int", width=10),
    Column("organization", "Beneficiario", width=36),
    Column("executed_on", "Fecha de pago", "date"),
    Column("reference", "Referencia", width=24),
    Column("amount", "Monto pagado", "money", total=True),
    Column("entry", "Asiento", "int", width=9),
]
DECISIONS = {VoteDecision.APROBAR: "A favor", VoteDecision.RECHAZAR: "En contra"}


def disbursement_sheets(req: ExportRequest, where, *, tranche_where=(), prefix: str = "") -> list[Table]:
    """Desembolsos (one row per request, with its vote tally), Votos and Pagos (tranches), for the
    disbursements matching ``where`` (a list of criteria on Disbursement)."""
    ids = select(Disbursement.id).where(*where)
    query = (select(Disbursement).where(*where)
             .options(joinedload(Disbursement.program), joinedload(Disbursement.organization),
                      selectinload(Disbursement.votes), selectinload(Disbursement.invoices))
             .order_by(Disbursement.id))

    def rows():
        for d in req.stream(query):
            tally = dict.fromkeys(VoteDecision, 0)
            for vote in d.votes:
                tally[vote.decision] += 1
            yield (d.id, d.program.name, d.organization.name, d.organization.ruc, d.year, d.requested_on, d.amount,
                   d.paid_amount, d.amount - d.paid_amount, d.status_label, tally[VoteDecision.APROBAR], tally[VoteDecision.RECHAZAR],
                   ", ".join(i.label for i in d.invoices), d.purpose)

    votes = (select(Vote).join(Disbursement).where(Vote.disbursement_id.in_(ids))
             .options(joinedload(Vote.user), joinedload(Vote.disbursement).joinedload(Disbursement.organization))
             .order_by(Vote.disbursement_id, Vote.id))
    tranches = (select(Tranche).where(Tranche.disbursement_id.in_(ids), *tranche_where)
                .options(joinedload(Tranche.disbursement).joinedload(Disbursement.organization))
                .order_by(Tranche.disbursement_id, Tranche.id))
    # Generator functions, not expressions: each query runs only when the writer reaches its sheet.
    def vote_rows():
        for v in req.stream(votes):
            yield (v.disbursement_id, v.disbursement.organization.name, v.user.name,
                   DECISIONS.get(v.decision, v.decision), v.comment, v.cast_on, v.cast_at)

    def tranche_rows():
        for t in req.stream(tranches):
            yield (t.disbursement_id, t.disbursement.organization.name, t.executed_on, t.reference, t.amount, t.entry_id)

    return [
        Table(f"{prefix}Desembolsos", DISBURSEMENT_COLUMNS, rows()),
        Table(f"{prefix}Votos", VOTE_COLUMNS, vote_rows()),
        Table(f"{prefix}Pagos de desembolsos", TRANCHE_COLUMNS, tranche_rows()),
    ]


def _criteria(query: Select) -> list:
    return [query.whereclause] if query.whereclause is not None else []


def _disbursements(req: ExportRequest):
    listing = queries.disbursement_list(req.params, req.viewer)
    return [*disbursement_sheets(req, _criteria(listing.query)),
            req.notes_sheet("Desembolsos del fideicomiso", listing.notes)]


# --- statements -----------------------------------------------------------------------------------

def _period(args: Mapping[str, str]) -> dict[str, str]:
    today = clock.today()  # the same default period as the page (portfolio.trust.views.period_args)
    start = queries.iso_date(args, "desde", today.replace(month=1, day=1))
    if start is None:
        raise ExportInputError("La fecha «desde» no es válida (use dd/mm/aaaa).", field="desde")
    end = queries.iso_date(args, "hasta", today)
    if end is None:
        raise ExportInputError("La fecha «hasta» no es válida (use dd/mm/aaaa).", field="hasta")
    if end < start:
        start, end = end, start  # as the page does
    return {"desde": start.isoformat(), "hasta": end.isoformat()}


def _company_id(args: Mapping[str, str], viewer: Viewer) -> int:
    """The company whose statement is asked for: a company user's own; another company's id is a 404."""
    raw = (args.get("empresa") or "").strip()
    if raw and not (raw.isdigit() and len(raw) <= 9):
        raise NotFound("La empresa no existe.")
    if viewer.is_company:
        if raw and int(raw) != viewer.company_id:
            raise NotFound("La empresa no existe.")
        return viewer.company_id
    if not raw or db.session.get(Company, int(raw)) is None:
        raise NotFound("La empresa no existe.")
    return int(raw)


def _parse_statement(args: Mapping[str, str], viewer: Viewer) -> dict[str, str]:
    return {**_period(args), "empresa": str(_company_id(args, viewer))}


STATEMENT_COLUMNS = [
    Column("date", "Fecha", "date"),
    Column("concept", "Concepto", width=70),
    Column("charge", "Cargo", "money", total=True),
    Column("credit", "Abono", "money", total=True),
    Column("balance", "Saldo", "money"),
]


def _company_statement(req: ExportRequest):
    company_id = _company_id(req.params, req.viewer)  # the job re-checks the scope
    company = db.session.get(Company, company_id)
    start, end = dt.date.fromisoformat(req.params["desde"]), dt.date.fromisoformat(req.params["hasta"])
    statement = books.company_statement(company, start, end)

    def rows():  # the page's lines: same dates, concepts and running balance
        yield (start, "Saldo inicial", None, None, statement["opening"])
        for line in statement["lines"]:
            row = line["row"]
            concept = f"{row.memo} ({line['concept']})" if line["concept"] else row.memo
            yield (line["date"], concept, row.debit or None, row.credit or None, line["balance"])

    extra = [("Empresa", company.legal_name), ("RUC", company.ruc),
             ("Periodo", f"{format_date(start)} – {format_date(end)}"),
             ("Saldo inicial", statement["opening"]), ("Cargos", statement["charges"]),
             ("Abonos", statement["credits"]), ("Saldo final", statement["closing"]),
             ("Cuadra con el libro", "Sí" if statement["ties"] else "No")]
    return [Table("Estado de cuenta", STATEMENT_COLUMNS, rows()),
            req.notes_sheet("Estado de cuenta del aporte al fideicomiso", extra=extra)]


MOVEMENT_COLUMNS = [Column("concept", "Concepto", width=50), Column("amount", "Monto", "money", total=True)]


def _trust_statement(req: ExportRequest):
    start, end = dt.date.fromisoformat(req.params["desde"]), dt.date.fromisoformat(req.params["hasta"])
    s = books.trust_statement(start, end)
    lines = [("Periodo", f"{format_date(start)} – {format_date(end)}"), ("Saldo inicial en banco", s["opening"]),
             ("Saldo final en banco", s["closing"]), ("Cuadra con el libro", "Sí" if s["ties"] else "No")]
    summary = Summary(name="Estado del fideicomiso", heading="Estado de cuenta del fideicomiso", lines=lines,
                      blocks=[Block("Movimientos del periodo (neto en las cuentas del banco)", MOVEMENT_COLUMNS,
                                    s["lines"])])
    return [summary, req.notes_sheet("Estado de cuenta del fideicomiso",
                                     [("Periodo", f"{format_date(start)} – {format_date(end)}")])]


def register_exports() -> None:
    # The staff/board/trustee/auditor list and the company's own list share the query function; the
    # company's spec needs trust.company, and its query is scoped to the company whatever it asks.
    register_export(list_export("trust_declarations", "Declaraciones de aportes", "trust.view", _declarations,
                                count=count_of(queries.contribution_list), back_endpoint="trust.contributions_list",
                                filename="aportes_fideicomiso"))
    register_export(list_export("trust_my_declarations", "Mis declaraciones de aportes", "trust.company",
                                _declarations, count=count_of(queries.contribution_list),
                                back_endpoint="trust.company_home", filename="mis_aportes"))
    register_export(list_export("trust_payments", "Pagos de aportes", "trust.view", _payments,
                                count=count_of(queries.payment_list), back_endpoint="trust.contributions_list",
                                filename="pagos_fideicomiso"))
    register_export(list_export("trust_my_payments", "Mis pagos de aportes", "trust.company", _payments,
                                count=count_of(queries.payment_list), back_endpoint="trust.company_home",
                                filename="mis_pagos"))
    register_export(list_export("trust_disbursements", "Desembolsos del fideicomiso", "trust.view", _disbursements,
                                count=count_of(queries.disbursement_list), back_endpoint="trust.disbursement_list",
                                filename="desembolsos_fideicomiso"))
    register_export(ExportSpec(name="trust_my_statement", label="Mi estado de cuenta", permission="trust.company",
                               build=_company_statement, parse=_parse_statement, count=lambda req: 1,
                               filename="estado_de_cuenta", back_endpoint="trust.company_statement"))
    register_export(ExportSpec(name="trust_company_statement", label="Estado de cuenta de una empresa",
                               permission="trust.view", build=_company_statement, parse=_parse_statement,
                               count=lambda req: 1, filename="estado_de_cuenta_empresa",
                               back_endpoint="trust.overview"))
    register_export(ExportSpec(name="trust_statement", label="Estado de cuenta del fideicomiso",
                               permission="trust.view", build=_trust_statement,
                               parse=lambda args, viewer: _period(args), count=lambda req: 1,
                               filename="estado_fideicomiso", back_endpoint="trust.trust_statement"))

