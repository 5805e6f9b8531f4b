"""``verify``: recompute every balance and invariant from the postings."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from portfolio.money import format_money
from portfolio.trust.ledger.balances import month_start, next_month
from portfolio.trust.ledger.core import month_figures
from portfolio.trust.ledger.models import (
    DEBIT_NORMAL,
    ZERO,
    Account,
    Entry,
    Period,
    PeriodBalance,
    Posting,
    Transfer,
    TransferStatus,
    money_sum,
)


def verify(session: Session) -> list[str]:
    """Recompute every balance and invariant from the postings; return the problems found (Spanish)."""
    problems: list[str] = []
    bad_entries = session.execute(
        select(Entry.id, Entry.total, func.count(Posting.id), money_sum(Posting.debit), money_sum(Posting.credit))
        .outerjoin(Posting, Posting.entry_id == Entry.id).group_by(Entry.id, Entry.total)
    ).all()
    for entry_id, total, count, debit, credit in bad_entries:
        if count < 2 or debit != credit or debit != total:
            problems.append(f"Asiento {entry_id}: {count} movimientos, debe {debit} ≠ haber {credit} o total {total}.")
    misdated = session.execute(
        select(Posting.id, Posting.entry_id).join(Entry, Entry.id == Posting.entry_id)
        .where(or_(Posting.effective_date.is_(None), Posting.effective_date != Entry.effective_date))
        .order_by(Posting.id).limit(20)).all()
    for posting_id, entry_id in misdated:
        problems.append(f"Movimiento {posting_id}: su fecha no es la del asiento {entry_id}.")
    sums = {
        row[0]: (row[1] or ZERO, row[2] or ZERO) for row in session.execute(
            select(Posting.account_id, money_sum(Posting.debit), money_sum(Posting.credit)).group_by(Posting.account_id)
        )
    }
    for acc in session.scalars(select(Account).order_by(Account.id)).all():
        debit, credit = sums.get(acc.id, (ZERO, ZERO))
        recomputed = debit - credit if acc.type in DEBIT_NORMAL else credit - debit
        if recomputed != acc.balance:
            problems.append(f"Cuenta {acc.code}: saldo en caché {acc.balance} ≠ recalculado {recomputed}.")
        if acc.no_negative and recomputed < 0:
            problems.append(f"Cuenta {acc.code}: saldo negativo {recomputed} en una cuenta que no lo admite.")
    problems += _period_balance_problems(session, {a.id: a.code for a in session.scalars(select(Account))})
    moved: dict[tuple[int, str], Decimal] = {
        (transfer_id, kind): total for transfer_id, kind, total in session.execute(
            select(Entry.transfer_id, Entry.kind, money_sum(Posting.debit)).join(Posting, Posting.entry_id == Entry.id)
            .where(Entry.transfer_id.is_not(None)).group_by(Entry.transfer_id, Entry.kind)
        )
    }
    for transfer in session.scalars(select(Transfer)).all():
        reserved, posted, voided = (moved.get((transfer.id, k), ZERO) for k in ("reserva", "ejecucion", "anulacion"))
        if reserved != transfer.amount or posted != transfer.posted_amount or voided != transfer.voided_amount:
            problems.append(f"Reserva {transfer.id}: asientos (reserva {reserved}, ejecutado {posted}, anulado {voided}) "
                            f"no coinciden con su registro ({transfer.amount}, {transfer.posted_amount}, "
                            f"{transfer.voided_amount}).")
        if transfer.status != TransferStatus.PENDING and transfer.remaining != 0:
            problems.append(f"Reserva {transfer.id}: cerrada con saldo pendiente {transfer.remaining}.")
    for period in session.scalars(select(Period).order_by(Period.month)).all():
        count, total, _last = month_figures(session, period.month)
        if (count, total) != (period.entry_count, period.entry_total):
            problems.append(f"Periodo {period.month:%m/%Y} (cerrado): al cierre tenía {period.entry_count} asientos "
                            f"por {format_money(period.entry_total)}; ahora tiene {count} por {format_money(total)}.")
        late = select(Entry.id).where(Entry.effective_date >= period.month,
                                      Entry.effective_date < next_month(period.month))
        if period.last_entry_id is not None:  # None: the month was empty when it closed
            late = late.where(Entry.id > period.last_entry_id)
        for entry_id in session.scalars(late.order_by(Entry.id)).all():
            problems.append(f"Asiento {entry_id}: registrado en el periodo {period.month:%m/%Y} después de su cierre.")
    reversed_twice = session.execute(
        select(Entry.reverses_id, func.count()).where(Entry.reverses_id.is_not(None))
        .group_by(Entry.reverses_id).having(func.count() > 1)
    ).all()
    for original, count in reversed_twice:
        problems.append(f"Asiento {original}: revertido {count} veces.")
    return problems


def _period_balance_problems(session: Session, codes: dict[int, str]) -> list[str]:
    """Each account's debits and credits per month, recomputed from the postings, against its period balance."""
    month = month_start(session, Entry.effective_date)
    recomputed = {
        (account_id, when): (debit, credit) for account_id, when, debit, credit in session.execute(
            select(Posting.account_id, month, money_sum(Posting.debit), money_sum(Posting.credit))
            .join(Entry, Entry.id == Posting.entry_id).group_by(Posting.account_id, month))
    }
    kept = {(row.account_id, row.month): (row.debit, row.credit) for row in session.scalars(select(PeriodBalance))}
    problems = []
    for account_id, when in sorted(recomputed.keys() | kept.keys()):
        if recomputed.get((account_id, when), (ZERO, ZERO)) != kept.get((account_id, when), (ZERO, ZERO)):
            debit, credit = recomputed.get((account_id, when), (ZERO, ZERO))
            kept_debit, kept_credit = kept.get((account_id, when), (ZERO, ZERO))
            problems.append(f"Cuenta {codes.get(account_id, account_id)}, {when:%m/%Y}: saldo del periodo debe "
                            f"{kept_debit} / haber {kept_credit} ≠ recalculado debe {debit} / haber {credit}.")
    return problems
