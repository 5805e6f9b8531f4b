"""Disbursements: request, board votes with quorum and recusal, reservation, execution, cancellation.

Money flow: reaching the quorum reserves the amount (bank available → committed, a pending two-phase
transfer); each execution tranche posts part of it (committed → program expense); a cancellation voids
what is left (committed → available). Segregation of duties: only staff or the trustee request, only
active board members vote (never on their own request nor where they declared a conflict with the
beneficiary), only the trustee executes; admin and auditor hold no money power.
"""
from __future__ import annotations

import datetime as dt
import functools
import re
from decimal import Decimal

from sqlalchemy import bindparam, case, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from portfolio import audit, clock, db
from portfolio.auth.policy import service
from portfolio.domain_errors import DomainError, Forbidden, NotFound
from portfolio.money import format_money
from portfolio.orgs.ruc import clean_ruc, ruc_problem
from portfolio.trust import ledger
from portfolio.trust.models import (
    Disbursement,
    DisbursementInvoice,
    Organization,
    Program,
    ProgramAllocation,
    Tranche,
    Vote,
)
from portfolio.trust.services.board import (  # noqa: F401  (callers read the board from here too)
    QUORUM_RULES,
    active_board,
    board_and_recused,
    eligible_voters,
    quorum_needed,
    tally,
)
from portfolio.trust.services.common import (
    BANK_AVAILABLE,
    BANK_RESERVED,
    Done,
    actor_id,
    command,
    positive_amount,
    program_accounts,
)
from portfolio.trust.vocab import (
    COMMITTED_DISBURSEMENTS,
    DISBURSEMENT_TRANSITIONS,
    RESERVED_DISBURSEMENTS,
    DisbursementStatus,
    VoteDecision,
)

ZERO = ledger.ZERO
# the CHECK that keeps an allocation's committed total within it (migration 0027): an approval that a
# concurrent one left without room fails on it when its status is written
OVER_ALLOCATION = "ck_trust_program_allocations_committed_within_amount"
SERIE_RE = re.compile(r"^[A-Z0-9]{4}$")
NUMERO_RE = re.compile(r"^\d{1,8}$")
# status → statuses it may move to
TRANSITIONS = DISBURSEMENT_TRANSITIONS


def _may_move(disbursement: Disbursement, status: DisbursementStatus) -> None:
    if status not in TRANSITIONS[disbursement.status]:
        raise DomainError(f"El desembolso está «{disbursement.status_label}»: no admite esta operación.")


def _move(disbursement: Disbursement, status: DisbursementStatus) -> None:
    _may_move(disbursement, status)
    disbursement.status = status


@functools.cache
def _locked_query():
    return (select(Disbursement).where(Disbursement.id == bindparam("id"))
            .options(joinedload(Disbursement.program, innerjoin=True), joinedload(Disbursement.organization, innerjoin=True),
                     joinedload(Disbursement.allocation))
            .with_for_update(of=Disbursement.__table__).execution_options(populate_existing=True))


def get_disbursement(disbursement_id: int, *, lock: bool = False) -> Disbursement:
    """A disbursement; with ``lock``, its row locked (``FOR UPDATE OF`` it alone) and read with its program,
    beneficiary and allocation in the same statement (what a command needs; the allocation as last committed,
    not locked)."""
    if lock:
        row = db.session.scalar(_locked_query(), {"id": disbursement_id})
    else:
        row = db.session.get(Disbursement, disbursement_id)
    if row is None:
        raise NotFound("El desembolso no existe.")
    return row


def normalize_invoice(ruc: str, serie: str, numero: str) -> tuple[str, str, str]:
    ruc, serie, numero = clean_ruc(ruc), (serie or "").strip().upper(), (numero or "").strip()
    problem = ruc_problem(ruc)
    if problem:
        raise DomainError(f"Comprobante {ruc or '(sin RUC)'}: {problem}", field="invoices")
    if not SERIE_RE.match(serie):
        raise DomainError(f"Comprobante {ruc}: la serie tiene 4 letras o dígitos (p. ej. F001).", field="invoices")
    if not NUMERO_RE.match(numero):
        raise DomainError(f"Comprobante {ruc} {serie}: el número tiene de 1 a 8 dígitos.", field="invoices")
    return ruc, serie, str(int(numero))


def invoice_in_use(ruc: str, serie: str, numero: str) -> DisbursementInvoice | None:
    return db.session.scalar(select(DisbursementInvoice).where(
        DisbursementInvoice.ruc == ruc, DisbursementInvoice.serie == serie, DisbursementInvoice.numero == numero))


def allocation_for(program_id: int, year: int, *, lock: bool = False) -> ProgramAllocation | None:
    return db.session.scalar(_allocation_query(lock), {"program": program_id, "year": year})


@functools.cache
def _allocation_query(lock: bool):
    query = select(ProgramAllocation).where(ProgramAllocation.program_id == bindparam("program"),
                                            ProgramAllocation.year == bindparam("year"))
    # read afresh even when the session holds the row: ``committed`` moves with the disbursements (a trigger)
    query = query.execution_options(populate_existing=True)
    return query.with_for_update() if lock else query


# SQL: what one disbursement commits of its allocation: its amount once approved, what was paid of it once
# cancelled, nothing otherwise (NULL). ``committed_for`` and ``ledger verify`` add it up; the trigger of
# migration 0027 applies the same rule to each changed disbursement.
COMMITTED_PART = case((Disbursement.status.in_(COMMITTED_DISBURSEMENTS), Disbursement.amount),
                      (Disbursement.status == DisbursementStatus.CANCELADO, Disbursement.paid_amount))


@functools.cache
def _committed_query():
    """The sum of ``committed_for``, built once (program and year bound when it runs)."""
    return select(ledger.money_sum(COMMITTED_PART)).where(Disbursement.program_id == bindparam("program"),
                                                          Disbursement.year == bindparam("year"))


def committed_for(program_id: int, year: int) -> Decimal:
    """Reserved + paid for a program's year: approved amounts, and what was paid of cancelled ones, added up
    from the disbursements. The allocation keeps the same figure (``ProgramAllocation.committed``);
    ``ledger verify`` compares the two."""
    return db.session.execute(_committed_query(), {"program": program_id, "year": year}).scalar_one()


def allocation_room(program_id: int, year: int) -> Decimal | None:
    """What is left of a program's allocation for ``year`` (allocation − reserved − paid, as the allocation's
    row keeps it); None when the program has no allocation that year. A request above it is refused (an
    approval reads the same figure with the request, and the database has the last word)."""
    allocation = allocation_for(program_id, year)
    return None if allocation is None else allocation.room


@service("trust.request")
def request(*, program_id: int, organization_id: int, year: int, amount: Decimal, purpose: str,
            invoices: list[tuple[str, str, str]], actor, key: str, today: dt.date | None = None) -> Done:
    """Request a disbursement within the program's uncommitted allocation, with invoices never used before."""
    today = today or clock.today()
    payload = {"program": program_id, "organization": organization_id, "year": year, "amount": amount,
               "purpose": purpose, "invoices": [list(i) for i in invoices], "actor": actor.id}

    def run() -> Disbursement:
        positive_amount(amount)
        program = db.session.get(Program, program_id)
        if program is None or not program.active:
            raise DomainError("Seleccione un programa activo.", field="program_id")
        organization = db.session.get(Organization, organization_id)
        if organization is None:
            raise DomainError("Seleccione la organización beneficiaria.", field="organization_id")
        if not organization.can_receive:
            raise DomainError(f"{organization.name} no está constituida legalmente: no puede recibir fondos.",
                              field="organization_id")
        if not (purpose or "").strip():
            raise DomainError("Describa la finalidad del desembolso.", field="purpose")
        room = allocation_room(program_id, year)
        if room is None:
            raise DomainError(f"El programa no tiene asignación aprobada para {year}.", field="year")
        if amount > room:
            raise DomainError(f"El monto excede lo que queda de la asignación {year} del programa ({format_money(room)}).",
                              field="amount")
        if not invoices:
            raise DomainError("Adjunte al menos un comprobante (RUC, serie y número).", field="invoices")
        normalized = [normalize_invoice(*inv) for inv in invoices]
        if len(set(normalized)) != len(normalized):
            raise DomainError("Un comprobante aparece dos veces en la solicitud.", field="invoices")
        for inv in normalized:
            used = invoice_in_use(*inv)
            if used is not None:
                raise DomainError(f"El comprobante {used.label} ya sustenta el desembolso N.º {used.disbursement_id}: "
                                  "no puede usarse dos veces.", field="invoices")
        disbursement = Disbursement(program_id=program_id, organization_id=organization_id, year=year, amount=amount,
                                    paid_amount=ZERO, purpose=purpose.strip(), status=DisbursementStatus.SOLICITADO,
                                    requested_by_id=actor.id, requested_on=today)
        db.session.add(disbursement)
        db.session.flush()
        from portfolio.trust.services.common import insert_unique

        for ruc, serie, numero in normalized:
            insert_unique(DisbursementInvoice(disbursement_id=disbursement.id, ruc=ruc, serie=serie, numero=numero),
                          f"El comprobante {ruc} {serie}-{numero} ya sustenta otro desembolso.", field="invoices")
        audit.record("trust.disbursement.request", disbursement, actor=actor,
                     after={"program": program.code, "organization": organization.ruc, "amount": amount,
                            "invoices": [" ".join(i) for i in normalized]})
        return disbursement

    return command(key, "request_disbursement", payload, Disbursement, run)


@service("trust.vote")
def vote(*, disbursement_id: int, decision: str, comment: str, actor, key: str, today: dt.date | None = None) -> Done:
    """A board member votes once; never on their own request nor when recused; quorum approves or rejects."""
    today = today or clock.today()
    payload = {"disbursement": disbursement_id, "decision": decision, "comment": comment, "actor": actor.id}

    def run() -> Vote:
        disbursement = get_disbursement(disbursement_id, lock=True)
        if decision not in set(VoteDecision):
            raise DomainError("Elija aprobar o rechazar.", field="decision")
        if not (comment or "").strip():
            raise DomainError("El voto debe llevar un comentario.", field="comment")
        if disbursement.status != DisbursementStatus.SOLICITADO:
            raise DomainError(f"La solicitud ya no está en votación ({disbursement.status_label.lower()}).")
        if disbursement.requested_by_id == actor.id:
            raise Forbidden("No puede votar su propia solicitud.")
        board, recused = board_and_recused(disbursement.organization_id, also=actor.id, votes_on=disbursement)
        if actor.id in recused:
            raise Forbidden("Tiene un conflicto de interés declarado con el beneficiario: debe abstenerse.")
        if any(v.user_id == actor.id for v in disbursement.votes):  # read with the board, under the request's lock
            raise DomainError("Ya votó esta solicitud.")
        from portfolio.documents.services import cast_with_dossier

        # the ballot and the hash of every document on file when it is cast, in one statement (the unique index
        # refuses a second vote of the same member anyway); every other vote waits for the lock held since
        # get_disbursement
        ballot, on_file = cast_with_dossier(dict(disbursement_id=disbursement.id, user_id=actor.id, decision=decision,
                                                 comment=comment.strip()[:500], cast_on=today, cast_at=db.utcnow()))
        if ballot is None:
            raise DomainError("Ya votó esta solicitud.")
        set_committed_value(disbursement, "votes", [*disbursement.votes, ballot])
        result, decided = tally(disbursement, board, recused), None
        if result["approvals"] >= result["needed"]:
            decided = "trust.disbursement.approve", _approve(disbursement, key=key, today=today, actor=actor)
        elif not result["reachable"]:
            _move(disbursement, DisbursementStatus.RECHAZADO)
            disbursement.decided_at = db.utcnow()
            decided = "trust.disbursement.reject", {"status": DisbursementStatus.RECHAZADO}
        # the vote's audit row and the decision's, written together (one INSERT) after the decision
        audit.record("trust.vote", ballot, actor=actor, after={"disbursement": disbursement.id, "decision": decision,
                                                             "documents": on_file})
        if decided is not None:
            audit.record(decided[0], disbursement, actor=actor, after=decided[1])
        year = disbursement.year  # for the message: a failed flush leaves the objects unreadable
        try:
            db.session.flush()
        except IntegrityError as exc:
            if OVER_ALLOCATION not in str(exc.orig):
                raise
            raise DomainError(f"No se puede aprobar: excede la asignación {year} del programa (otra aprobación "
                              "comprometió lo que quedaba mientras se votaba).") from exc
        return ballot

    return command(key, "vote", payload, Vote, run)


def _approve(disbursement: Disbursement, *, key: str, today: dt.date, actor) -> dict:
    """Quorum reached: reserve the funds, within the program's annual allocation and the available funds.
    Returns the approval's audit values (the vote records the row with its own)."""
    if not disbursement.organization.can_receive:
        raise DomainError(f"{disbursement.organization.name} no está constituida legalmente: no puede recibir fondos.")
    # accounts first, outside the allocation's lock; the available funds are checked again, atomically, when
    # the command's balance changes are applied (ledger.deferred_balances), so this read takes no lock
    expense, available, reserved = program_accounts(disbursement.program, BANK_AVAILABLE, BANK_RESERVED)
    funds = available.balance  # as just read by program_accounts
    if funds < disbursement.amount:
        raise DomainError(f"No se puede aprobar: fondos disponibles insuficientes (disponible {format_money(funds)},"
                          f" solicitado {format_money(disbursement.amount)}).")
    transfer = ledger.reserve(db.session, key=f"{key}:reserva", source=available, holding=reserved,
                              target=expense, amount=disbursement.amount,
                              effective_date=today, actor_id=actor.id,
                              memo=f"Reserva del desembolso N.º {disbursement.id} – {disbursement.organization.name}")
    # what is left of the allocation as last committed, for the refusal's figure; the database has the last
    # word when the status is written (the vote's flush): its trigger adds the amount to the allocation's
    # committed total, which a CHECK keeps within the allocation, under the allocation's row lock, which it
    # holds only for the balance changes and the commit (``OVER_ALLOCATION``)
    room = None if disbursement.allocation is None else disbursement.allocation.room  # read with the request
    if room is None:
        raise DomainError(f"El programa no tiene asignación para {disbursement.year}.")
    if disbursement.amount > room:
        raise DomainError(f"No se puede aprobar: excede la asignación {disbursement.year} del programa "
                          f"(queda {format_money(room)}).")
    _move(disbursement, DisbursementStatus.APROBADO)
    disbursement.transfer_id, disbursement.decided_at = transfer.id, db.utcnow()
    return {"status": DisbursementStatus.APROBADO, "transfer": transfer.id}


@service("trust.execute")
def execute(*, disbursement_id: int, amount: Decimal, reference: str, actor, key: str,
            today: dt.date | None = None) -> Done:
    """The trustee pays an approved disbursement, never more than the amount reserved."""
    today = today or clock.today()
    payload = {"disbursement": disbursement_id, "amount": amount, "reference": reference, "actor": actor.id}

    def run() -> Tranche:
        disbursement = get_disbursement(disbursement_id, lock=True)
        positive_amount(amount)
        if disbursement.status == DisbursementStatus.SOLICITADO:
            raise DomainError("El desembolso aún no tiene el quórum de aprobación del Comité Técnico.")
        if disbursement.status not in RESERVED_DISBURSEMENTS:
            raise DomainError(f"El desembolso está «{disbursement.status_label}»: no se puede ejecutar.")
        if not (reference or "").strip():
            raise DomainError("Indique la referencia de la transferencia bancaria.", field="reference")
        if not disbursement.organization.can_receive:
            raise DomainError(f"{disbursement.organization.name} no está constituida legalmente: no puede recibir fondos.")
        remaining = disbursement.amount - disbursement.paid_amount
        if amount > remaining:
            raise DomainError(f"El monto excede el saldo por ejecutar ({format_money(remaining)}).", field="amount")
        entry = ledger.post_pending(db.session, disbursement.transfer_id, amount, key=f"{key}:asiento",
                                    effective_date=today, actor_id=actor.id,
                                    memo=f"Pago del desembolso N.º {disbursement.id} – {reference.strip()}")
        disbursement.paid_amount = disbursement.paid_amount + amount
        _move(disbursement, DisbursementStatus.PAGADO if disbursement.paid_amount == disbursement.amount
              else DisbursementStatus.EN_EJECUCION)
        tranche = Tranche(disbursement_id=disbursement.id, amount=amount, executed_on=today,
                          reference=reference.strip()[:60], entry_id=entry.id, executed_by_id=actor.id)
        db.session.add(tranche)
        db.session.flush()
        audit.record("trust.disbursement.execute", disbursement, actor=actor,
                     after={"amount": amount, "paid": disbursement.paid_amount, "status": disbursement.status})
        return tranche

    return command(key, "execute", payload, Tranche, run)


@service("trust.request")
def cancel(*, disbursement_id: int, reason: str, actor, key: str, today: dt.date | None = None) -> Done:
    """Cancel a disbursement that is not yet paid, releasing its reservation."""
    today = today or clock.today()
    payload = {"disbursement": disbursement_id, "reason": reason, "actor": actor.id}

    def run() -> Disbursement:
        disbursement = get_disbursement(disbursement_id, lock=True)
        if not (reason or "").strip():
            raise DomainError("Indique el motivo de la cancelación.", field="reason")
        before = disbursement.status
        _may_move(disbursement, DisbursementStatus.CANCELADO)
        if disbursement.transfer_id is not None:
            ledger.void_pending(db.session, disbursement.transfer_id, key=f"{key}:anulacion", effective_date=today,
                                actor_id=actor_id(actor),
                                memo=f"Anulación de la reserva del desembolso N.º {disbursement.id}")
        # the status after the month's lock (void_pending): written at the flush, it takes the allocation's row
        # (the trigger gives back what was not paid), so a cancellation locks in a vote's order
        _move(disbursement, DisbursementStatus.CANCELADO)
        disbursement.cancel_reason, disbursement.decided_at = reason.strip()[:300], db.utcnow()
        db.session.flush()
        audit.record("trust.disbursement.cancel", disbursement, actor=actor, before={"status": before},
                     after={"status": DisbursementStatus.CANCELADO, "reason": disbursement.cancel_reason})
        return disbursement

    return command(key, "cancel_disbursement", payload, Disbursement, run)
