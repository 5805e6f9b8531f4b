"""Disbursements: request rules, invoices, votes with quorum and recusal, reservation, execution, cancel."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from portfolio import db
from portfolio.errors import DomainError, Forbidden
from portfolio.trust import ledger
from portfolio.trust.models import Vote
from portfolio.trust.services import books, disbursements, programs
from tests.support import insert_user
from tests.trust.conftest import TODAY, key, ledger_snapshot, new_ruc, run

D = Decimal


def decision_trail(d) -> list[tuple[str, int, dict]]:
    """The audit rows of the votes on ``d`` and of its decision, in the order written: (action, actor, after)."""
    from sqlalchemy import or_

    from portfolio.audit import AuditEntry

    rows = db.session.scalars(select(AuditEntry).where(or_(
        AuditEntry.action == "trust.vote", (AuditEntry.object_type == "trust_disbursements") & (AuditEntry.object_id == str(d.id))
    ), AuditEntry.action != "trust.disbursement.request").order_by(AuditEntry.id))
    return [(r.action, r.actor_id, r.after_data) for r in rows if r.action != "trust.vote" or r.after_data["disbursement"] == d.id]


def test_request_needs_constituted_beneficiary(world):
    informal = programs.create_organization(ruc=new_ruc(), name="Asociación sin inscribir", legal_status="en_formacion",
                                            registry_entry=None, constituted_on=None, actor=world.staff)
    with pytest.raises(DomainError, match="no está constituida"):
        world.request(D("10.00"), organization_id=informal.id)


def test_request_roles(world):
    with pytest.raises(Forbidden):
        world.request(D("10.00"), actor=world.board[0])
    with pytest.raises(Forbidden):
        world.request(D("10.00"), actor=insert_user("admin"))
    with pytest.raises(Forbidden):
        world.request(D("10.00"), actor=insert_user("auditor"))


@pytest.mark.parametrize("amount", [D("0.00"), D("-5.00"), D("1.005")])
def test_bad_amounts_refused(world, amount):
    with pytest.raises(DomainError):
        world.request(amount)


def test_invoice_used_in_any_disbursement_is_blocked(world):
    invoice = (new_ruc(), "F001", "00012345")
    first = world.request(D("10.00"), invoices=[invoice]).value
    before = ledger_snapshot()
    with pytest.raises(DomainError, match=f"ya sustenta el desembolso N.º {first.id}"):
        world.request(D("10.00"), invoices=[(invoice[0], "f001", "12345")])
    assert ledger_snapshot() == before
    with pytest.raises(DomainError, match="dos veces"):
        world.request(D("10.00"), invoices=[invoice[:2] + ("777",), invoice[:2] + ("0777",)])
    with pytest.raises(DomainError, match="RUC"):
        world.request(D("10.00"), invoices=[("20123456789", "F001", "1")])


def test_request_beyond_allocation_refused(world):
    with pytest.raises(DomainError, match="asignación"):
        world.request(D("1000000.01"))


def test_quorum_reserves_funds_and_execution_posts_in_tranches(world):
    world.fund(D("3000.00"))
    d = world.request(D("1200.00")).value
    world.vote(d, world.board[0])
    assert d.status == "solicitado" and world.position()["reserved"] == 0
    with pytest.raises(DomainError, match="quórum"):
        world.execute(d, D("100.00"))
    world.vote(d, world.board[1])
    assert d.status == "aprobado"
    assert world.position() == {"bank": D("3000.00"), "reserved": D("1200.00"), "available": D("1800.00")}
    # the deciding vote's audit row, then the approval's, with the reservation they made
    assert decision_trail(d) == [("trust.vote", world.board[0].id, {"decision": "aprobar", "disbursement": d.id, "documents": 0}),
                                 ("trust.vote", world.board[1].id, {"decision": "aprobar", "disbursement": d.id, "documents": 0}),
                                 ("trust.disbursement.approve", world.board[1].id, {"status": "aprobado", "transfer": d.transfer_id})]
    world.execute(d, D("200.00"))
    assert d.status == "en_ejecucion"
    with pytest.raises(DomainError, match="excede"):
        world.execute(d, D("1000.01"))
    world.execute(d, D("1000.00"))
    assert d.status == "pagado" and d.paid_amount == D("1200.00")
    assert world.position() == {"bank": D("1800.00"), "reserved": D("0.00"), "available": D("1800.00")}
    with pytest.raises(DomainError, match="Pagado"):
        world.execute(d, D("0.01"))
    assert ledger.verify(db.session) == []


def test_requester_and_recused_cannot_vote_and_votes_once(world):
    world.fund(D("3000.00"))
    requester = world.board[0]
    d = world.request(D("100.00")).value
    db.session.refresh(d)
    programs.declare_conflict(user_id=world.board[2].id, organization_id=world.org.id, description="Fundador",
                              actor=world.board[2])
    db.session.commit()
    with pytest.raises(Forbidden, match="conflicto"):
        world.vote(d, world.board[2])
    world.vote(d, world.board[1])
    with pytest.raises(DomainError, match="Ya votó"):
        world.vote(d, world.board[1])
    # Exactly one vote stands: the recused member's and the repeated vote were not recorded.
    votes = db.session.scalars(select(Vote).where(Vote.disbursement_id == d.id)).all()
    assert [(v.user_id, v.decision) for v in votes] == [(world.board[1].id, "aprobar")]
    assert requester.id not in {v.user_id for v in votes}


def test_board_and_recused_equal_the_board_and_its_conflicts_read_apart_in_one_statement(app, world):
    """The vote reads the active board and its recused members together: the same board as ``active_board``
    and the members with a conflict, including a voter outside the active board (``also``), in one SELECT."""
    from portfolio.trust.models import ConflictOfInterest
    from tests.support import count_statements

    other = programs.create_organization(ruc=new_ruc(), name="Asociación Vecinal Otra", legal_status="constituida",
                                         registry_entry="11000001", constituted_on=dt.date(2020, 1, 1), actor=world.staff)
    retired = insert_user("board")
    retired.active = False
    outsider = insert_user("staff")
    for user, org in ((world.board[2], world.org), (retired, world.org), (outsider, world.org), (world.board[0], other)):
        db.session.add(ConflictOfInterest(user_id=user.id, organization_id=org.id, description="Vínculo"))
    db.session.commit()
    with count_statements(app) as statements:
        board, recused = disbursements.board_and_recused(world.org.id, also=retired.id)
    assert len(statements) == 1
    assert board == disbursements.active_board() and retired not in board
    assert recused == {world.board[2].id, retired.id}  # the outsider is neither in the board nor ``also``
    declared = set(db.session.scalars(select(ConflictOfInterest.user_id).where(ConflictOfInterest.organization_id == world.org.id)))
    assert declared == {world.board[2].id, retired.id, outsider.id}  # the register the answer was read from
    assert disbursements.board_and_recused(other.id) == (board, {world.board[0].id})


def test_the_requests_votes_come_with_the_board_in_the_same_statement(app, world):
    """A vote reads the request's votes with the board (``votes_on``): every vote, one cast by a member who
    has left the board since included, in the order cast: the votes the relationship loads apart; and the
    quorum rules in force, so the quorum needs no statement of its own."""
    from portfolio.trust.models import Vote
    from tests.support import count_statements

    world.fund(D("3000.00"))
    d = world.request(D("1000.00")).value
    world.vote(d, world.board[0])
    world.vote(d, world.board[1], "rechazar")
    world.board[0].active = False  # left the board after voting: the vote still counts
    db.session.commit()
    apart = list(db.session.scalars(select(Vote.id).where(Vote.disbursement_id == d.id).order_by(Vote.id)))
    organization_id = d.organization_id
    db.session.expire(d, ["votes"])
    with count_statements(app) as statements:
        board, recused = disbursements.board_and_recused(organization_id, votes_on=d)
        cast = [(v.id, v.user_id, v.decision) for v in d.votes]
        needed = disbursements.quorum_needed(board)
    assert len(statements) == 1
    db.session.rollback()  # forgets the rules it kept: read again, apart
    assert needed == disbursements.quorum_needed(board) == 2  # two of the two members left, by majority
    assert [vote_id for vote_id, _, _ in cast] == apart and len(apart) == 2
    assert cast[0][1:] == (world.board[0].id, "aprobar") and cast[1][1:] == (world.board[1].id, "rechazar")
    assert board == disbursements.active_board() and world.board[0] not in board and recused == set()


def test_requester_who_is_board_cannot_vote(world):
    # A trustee requested and later joined the board: the same person cannot vote on that request.
    d = world.request(D("100.00"), actor=world.trustee).value
    world.trustee.role = "board"  # a role change after the request (the request itself is history)
    db.session.commit()
    with pytest.raises(Forbidden, match="propia solicitud"):
        world.vote(d, world.trustee)


def test_rejection_when_quorum_unreachable(world):
    d = world.request(D("100.00")).value
    world.vote(d, world.board[0], "rechazar")
    assert d.status == "solicitado"  # two members can still approve
    world.vote(d, world.board[1], "rechazar")
    assert d.status == "rechazado"
    assert [(action, actor) for action, actor, _ in decision_trail(d)][1:] == [
        ("trust.vote", world.board[1].id), ("trust.disbursement.reject", world.board[1].id)]
    with pytest.raises(DomainError, match="ya no está en votación"):
        world.vote(d, world.board[2])


def test_quorum_fails_when_available_funds_short(world):
    world.fund(D("1000.00"))
    d = world.request(D("1000.01")).value
    world.vote(d, world.board[0])
    before = ledger_snapshot()
    with pytest.raises(DomainError, match="fondos disponibles insuficientes"):
        world.vote(d, world.board[1])
    assert ledger_snapshot() == before and d.status == "solicitado" and len(d.votes) == 1


def test_quorum_fails_when_program_allocation_exceeded(world):
    world.fund(D("3000.00"))
    run(lambda: programs.set_allocation(program_id=world.program.id, year=TODAY.year, amount=D("1500.00"), goals=None,
                                        actor=world.staff))
    d1 = world.request(D("1000.00")).value
    d2 = world.request(D("500.00")).value
    world.approve(d1)
    run(lambda: programs.set_allocation(program_id=world.program.id, year=TODAY.year, amount=D("1200.00"), goals=None,
                                        actor=world.staff))
    world.vote(d2, world.board[0])
    with pytest.raises(DomainError, match="excede la asignación"):
        world.vote(d2, world.board[1])
    with pytest.raises(DomainError, match="comprometido"):
        programs.set_allocation(program_id=world.program.id, year=TODAY.year, amount=D("999.99"), goals=None,
                                actor=world.staff)


def test_cancel_voids_reservation_and_is_final(world):
    world.fund(D("3000.00"))
    d = world.request(D("1000.00")).value
    world.approve(d)
    world.execute(d, D("400.00"))
    run(lambda: disbursements.cancel(disbursement_id=d.id, reason="Proyecto suspendido", actor=world.staff, key=key(),
                                     today=TODAY))
    assert d.status == "cancelado"
    assert world.position() == {"bank": D("2600.00"), "reserved": D("0.00"), "available": D("2600.00")}
    with pytest.raises(DomainError, match="Cancelado"):
        disbursements.cancel(disbursement_id=d.id, reason="otra", actor=world.staff, key=key(), today=TODAY)
    with pytest.raises(DomainError):
        world.execute(d, D("1.00"))
    summary = {row["program"].id: row for row in books.program_summary(TODAY.year)}[world.program.id]
    assert summary["paid"] == D("400.00") and summary["reserved"] == 0
    assert ledger.verify(db.session) == []


def test_admin_and_board_have_no_execution_power(world):
    world.fund(D("3000.00"))
    d = world.request(D("100.00")).value
    world.approve(d)
    for actor in (insert_user("admin"), world.board[2], world.staff):
        with pytest.raises(Forbidden):
            world.execute(d, D("100.00"), actor=actor)


def test_replayed_execution_is_not_posted_twice(world):
    world.fund(D("3000.00"))
    d = world.request(D("1000.00")).value
    world.approve(d)
    first = world.execute(d, D("300.00"), key="tramo-1")
    again = world.execute(d, D("300.00"), key="tramo-1")
    assert again.replayed and again.value.id == first.value.id and d.paid_amount == D("300.00")


def test_trust_statement_ties_to_ledger_and_bank_reconciliation(world):
    world.fund(D("3000.00"))
    d = world.request(D("1000.00")).value
    world.approve(d)
    world.execute(d, D("1000.00"))
    statement = books.trust_statement(dt.date(2026, 1, 1), TODAY)
    lines = dict(statement["lines"])
    assert statement["opening"] == 0 and statement["closing"] == D("2000.00") and statement["ties"]
    assert lines["Aportes confirmados"] == D("3000.00") and lines["Desembolsos ejecutados"] == D("-1000.00")
    run(lambda: books.record_bank_balance(on=TODAY, balance=D("2000.50"), note=None, actor=world.trustee, key=key(),
                                          today=TODAY))
    rows = books.bank_reconciliation()
    assert rows[0]["ledger"] == D("2000.00") and rows[0]["difference"] == D("0.50")


def test_quorum_is_configurable(world):
    from portfolio.rules import add_rule_value

    world.fund(D("3000.00"))
    add_rule_value(key="trust.quorum_min_approvals", value="3", effective_from=dt.date(2025, 1, 1),
                   resolution_number="001-2025-CT", resolution_date=dt.date(2025, 1, 1), legal_basis="Acuerdo de prueba",
                   actor=world.trustee)
    db.session.commit()
    assert disbursements.quorum_needed() == 3
    d = world.request(D("100.00")).value
    world.approve(d)
    assert d.status == "solicitado"
    world.vote(d, world.board[2])
    assert d.status == "aprobado"


def test_majority_of_active_board_members(world):
    world.board.extend(insert_user("board") for _ in range(2))  # 5 members → majority 3
    db.session.commit()
    assert disbursements.quorum_needed() == 3
