"""Domain-level invariants checked by ``ledger verify`` besides the ledger's own."""
from __future__ import annotations

from sqlalchemy import func, select

from portfolio import db
from portfolio.trust import ledger
from portfolio.trust.ledger import money_sum
from portfolio.trust.models import Contribution, Disbursement, Payment, ProgramAllocation, Tranche
from portfolio.trust.services.common import BANK_AVAILABLE, BANK_RESERVED
from portfolio.trust.vocab import COMMITTED_DISBURSEMENTS, PaymentStatus


def domain_problems() -> list[str]:
    problems: list[str] = []
    paid = dict(db.session.execute(
        select(Payment.contribution_id, money_sum(Payment.amount)).where(Payment.status == PaymentStatus.CONFIRMADO)
        .group_by(Payment.contribution_id)).all())
    for row in db.session.execute(select(Contribution.id, Contribution.amount_paid, Contribution.amount_due)):
        expected = paid.get(row.id, ledger.ZERO)
        if row.amount_paid != expected:
            problems.append(f"Declaración {row.id}: pagado en caché {row.amount_paid} ≠ pagos confirmados {expected}.")
        if row.amount_paid > row.amount_due:
            problems.append(f"Declaración {row.id}: pagado {row.amount_paid} mayor que lo adeudado {row.amount_due}.")
    for bank, number, count in db.session.execute(
            select(Payment.bank, Payment.operation_number, func.count(Payment.id))
            .where(Payment.status == PaymentStatus.CONFIRMADO)
            .group_by(Payment.bank, Payment.operation_number).having(func.count(Payment.id) > 1)):
        problems.append(f"Operación {bank} {number}: confirmada en {count} pagos (una operación bancaria es un pago).")
    tranches = dict(db.session.execute(
        select(Tranche.disbursement_id, money_sum(Tranche.amount)).group_by(Tranche.disbursement_id)).all())
    reserved_total = ledger.ZERO
    transfers = {t.id: t for t in db.session.scalars(select(ledger.Transfer))}
    for d in db.session.scalars(select(Disbursement)):
        if d.paid_amount != tranches.get(d.id, ledger.ZERO):
            problems.append(f"Desembolso {d.id}: pagado {d.paid_amount} ≠ suma de tramos {tranches.get(d.id)}.")
        if d.status in COMMITTED_DISBURSEMENTS and d.transfer_id is None:
            problems.append(f"Desembolso {d.id}: aprobado sin reserva de fondos.")
        if d.transfer_id is not None:
            transfer = transfers[d.transfer_id]
            if transfer.amount != d.amount or transfer.posted_amount != d.paid_amount:
                problems.append(f"Desembolso {d.id}: no coincide con su reserva {transfer.id}.")
            reserved_total += transfer.remaining if transfer.status == ledger.TransferStatus.PENDING else ledger.ZERO
    accounts = dict(db.session.execute(select(ledger.Account.code, ledger.Account.balance).where(
        ledger.Account.code.in_((BANK_AVAILABLE, BANK_RESERVED)))).all())
    if accounts.get(BANK_RESERVED, ledger.ZERO) != reserved_total:
        problems.append(f"Fondos comprometidos {accounts.get(BANK_RESERVED)} ≠ reservas pendientes {reserved_total}.")
    if accounts.get(BANK_AVAILABLE, ledger.ZERO) < 0:
        problems.append("Fondos disponibles negativos.")
    from portfolio.trust import tallies

    return problems + allocation_problems() + tallies.problems()


def allocation_problems() -> list[str]:
    """Each allocation's committed amount (kept by a trigger) against its disbursements added up
    (``committed_for``'s rule, for every program and year in one read), and no commitment without an allocation."""
    from portfolio.trust.services.disbursements import COMMITTED_PART

    counted = {(p, y): total for p, y, total in db.session.execute(
        select(Disbursement.program_id, Disbursement.year, money_sum(COMMITTED_PART))
        .group_by(Disbursement.program_id, Disbursement.year))}
    problems = []
    for allocation in db.session.scalars(select(ProgramAllocation).order_by(ProgramAllocation.id)):
        expected = counted.pop((allocation.program_id, allocation.year), ledger.ZERO)
        if allocation.committed != expected:
            problems.append(f"Asignación {allocation.year} del programa {allocation.program_id}: comprometido "
                            f"{allocation.committed} ≠ desembolsos comprometidos {expected}.")
    problems += [f"Programa {p}, {y}: desembolsos comprometidos {total} sin asignación." for (p, y), total in
                 sorted(counted.items()) if total]
    return problems
