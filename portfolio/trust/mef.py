"""The trust's section of the MEF workbook (order 20): Resumen blocks, *Aportes*, *Desembolsos*, *Libro diario*.

Every figure honours the workbook's cut-off date and period (year or quarter): the period runs from
``filters.period_start`` (the beginning of the ledger when no year is chosen) to ``filters.period_end``
(never after the cut-off). The entity, level and region filters concern public entities and projects; the
trust's money is not tied to a public entity, so they do not apply here (the *Notas* sheet says so).

The figures come from the ledger with aggregate queries (GROUP BY month, balances as sums of postings),
and the sheets stream their rows (``req.stream``: batches, a server-side cursor on PostgreSQL), so a
period with a million postings costs the same memory as one with ten.
"""
from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import extract, select
from sqlalchemy.orm import contains_eager, selectinload

from portfolio import db
from portfolio.exports.mef import MefContext, register_mef_section
from portfolio.exports.xlsx import Block, Chart, Column, Sheet, Table
from portfolio.formatting import format_date
from portfolio.orgs.models import Company
from portfolio.trust import ledger
from portfolio.trust.exports import CONTRIBUTION_COLUMNS, contribution_row, disbursement_sheets
from portfolio.trust.ledger import Account, Entry, Posting, money_sum
from portfolio.trust.models import Contribution, Disbursement, Tranche
from portfolio.trust.services import books
from portfolio.trust.services.common import BANK_AVAILABLE, BANK_RESERVED

ZERO = ledger.ZERO
MONTHLY_COLUMNS = [
    Column("month", "Mes", width=10),
    Column("contributions", "Aportes confirmados", "money", total=True),
    Column("disbursements", "Desembolsos pagados", "money", total=True),
    Column("net", "Neto", "money", total=True, formula="{contributions}-{disbursements}"),
]
FUNDS_COLUMNS = [Column("concept", "Concepto", width=45), Column("amount", "Monto", "money")]
LEDGER_COLUMNS = [
    Column("date", "Fecha", "date"),
    Column("entry", "Asiento", "int", width=9),
    Column("account", "Cuenta", width=16),
    Column("account_name", "Nombre de la cuenta", width=45),
    Column("memo", "Descripción", width=60),
    Column("debit", "Debe", "money", total=True),
    Column("credit", "Haber", "money", total=True),
]


def period_criteria(column, ctx: MefContext) -> list:
    f = ctx.filters
    criteria = [column <= f.period_end]
    if f.period_start is not None:
        criteria.append(column >= f.period_start)
    return criteria


def _bank_ids() -> dict[str, int]:
    """The bank accounts' ids (read only: an export never creates accounts; a new book has none yet)."""
    return dict(db.session.execute(select(Account.code, Account.id)
                                   .where(Account.code.in_((BANK_AVAILABLE, BANK_RESERVED)))).all())


def monthly_flows(ctx: MefContext) -> list[tuple[str, Decimal, Decimal, Decimal]]:
    """Per month of the period: contributions confirmed (payments net of reversals) and disbursements paid,
    as net movements of the bank accounts by entry kind — one GROUP BY query."""
    year, month = extract("year", Entry.effective_date), extract("month", Entry.effective_date)
    query = (select(year, month, Entry.kind, money_sum(Posting.debit), money_sum(Posting.credit))
             .join(Posting, Posting.entry_id == Entry.id)
             .where(Posting.account_id.in_(list(_bank_ids().values())),
                    Entry.kind.in_(("pago", "reversion", "ejecucion")), *period_criteria(Entry.effective_date, ctx))
             .group_by(year, month, Entry.kind))
    months: dict[tuple[int, int], list[Decimal]] = {}
    for y, m, kind, debit, credit in db.session.execute(query):
        row = months.setdefault((int(y), int(m)), [ZERO, ZERO])
        if kind == "ejecucion":
            row[1] += credit - debit
        else:
            row[0] += debit - credit
    return [(f"{m:02d}/{y}", c, d, c - d) for (y, m), (c, d) in sorted(months.items())]


def summary(ctx: MefContext) -> list[tuple[Block, Sequence[Chart]]]:
    cutoff = ctx.filters.cutoff
    funds = books.fund_position(as_of=cutoff)
    arrears = books.arrears_ageing(cutoff)
    bucket_columns = [Column(f"b{i}", label, "money", total=True) for i, (label, _l, _h) in enumerate(books.AGE_BUCKETS)]
    arrears_columns = [Column("company", "Empresa", width=40), *bucket_columns,
                       Column("total", "Total vencido", "money", total=True)]
    return [
        (Block("Aportes y desembolsos por mes", MONTHLY_COLUMNS, monthly_flows(ctx)),
         [Chart("Aportes vs desembolsos", 0, "month", ["contributions", "disbursements"], kind="line",
                y_title="Soles")]),
        (Block(f"Fondos del fideicomiso al {format_date(cutoff)}", FUNDS_COLUMNS,
               [("Saldo en banco", funds["bank"]), ("Comprometido (desembolsos aprobados)", funds["reserved"]),
                ("Disponible", funds["available"])], totals=False), []),
        (Block(f"Morosidad por antigüedad al {format_date(cutoff)}", arrears_columns,
               [(r["company"], *r["buckets"], r["total"]) for r in arrears]), []),
    ]


def contributions_query(ctx: MefContext):
    return (select(Contribution).join(Company, Company.id == Contribution.company_id)
            .options(contains_eager(Contribution.company), selectinload(Contribution.versions))
            .where(*period_criteria(Contribution.month, ctx))
            .order_by(Company.legal_name, Contribution.month, Contribution.id))


def ledger_query(ctx: MefContext):
    """Every posting effective in the period, as plain columns (no ORM objects), in journal order."""
    return (select(Entry.effective_date, Entry.id, Account.code, Account.name, Entry.memo, Posting.debit,
                   Posting.credit)
            .join(Posting, Posting.entry_id == Entry.id).join(Account, Account.id == Posting.account_id)
            .where(*period_criteria(Entry.effective_date, ctx))
            .order_by(Entry.effective_date, Entry.id, Posting.id))


def sheets(ctx: MefContext) -> list[Sheet]:
    req, cutoff = ctx.request, ctx.filters.cutoff

    # Generator functions: each query runs only when the writer reaches its sheet (one cursor at a time).
    def contribution_rows():
        for c in req.stream(contributions_query(ctx)):
            yield contribution_row(c, cutoff)

    def journal_rows():
        for row in req.stream(ledger_query(ctx), scalars=False):
            yield tuple(row)

    disbursements = disbursement_sheets(req, period_criteria(Disbursement.requested_on, ctx),
                                        tranche_where=[Tranche.executed_on <= cutoff])
    return [Table("Aportes", CONTRIBUTION_COLUMNS, contribution_rows()), *disbursements,
            Table("Libro diario", LEDGER_COLUMNS, journal_rows())]


def notes(ctx: MefContext) -> list[tuple[str, str]]:
    f = ctx.filters
    start = format_date(f.period_start) if f.period_start else "el inicio del fideicomiso"
    lines = [("Fideicomiso", f"Aportes (por mes declarado), desembolsos (por fecha de solicitud) y libro diario "
                             f"(por fecha del asiento) desde {start} hasta el {format_date(f.period_end)}.")]
    lines.append(("Fideicomiso: montos", "Pagado, saldo y morosidad son los vigentes al generar el libro; los fondos "
                                         "son saldos del libro mayor a la fecha de corte."))
    if f.entity_id is not None or f.level or f.region:
        lines.append(("Fideicomiso: filtros", "Los filtros de entidad, nivel de gobierno y región no se aplican a las "
                                              "hojas del fideicomiso: sus fondos no pertenecen a una entidad pública."))
    else:
        lines.append(("Fideicomiso: filtros", "Los filtros de entidad, nivel de gobierno y región, si se eligen, no se "
                                              "aplican a las hojas del fideicomiso."))
    return lines


def register() -> None:
    register_mef_section("trust", 20, summary=summary, sheets=sheets, notes=notes)
