"""A program's allocation keeps what its disbursements commit (migration 0027): the database's trigger follows
every approval and cancellation, its CHECK refuses committing beyond the allocation or without one, however
the change reaches the database, and ``ledger verify`` recomputes the figure."""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from portfolio import db
from portfolio.errors import DomainError
from portfolio.trust.models import ProgramAllocation
from portfolio.trust.services import disbursements, programs
from portfolio.trust.services.verify import allocation_problems, domain_problems
from tests.trust.conftest import TODAY, key, run

D = Decimal


def committed(world) -> Decimal:
    """The allocation's kept figure, read afresh, after checking it against the disbursements added up."""
    allocation = disbursements.allocation_for(world.program.id, TODAY.year)
    assert allocation.committed == disbursements.committed_for(world.program.id, TODAY.year)
    return allocation.committed


def test_the_allocation_follows_every_approval_tranche_rejection_and_cancellation(world):
    world.fund(D("5000.00"))
    first, second, third = (world.request(D(amount)).value for amount in ("1000.00", "600.00", "250.00"))
    assert committed(world) == D("0.00")  # requests commit nothing
    world.approve(first)
    world.approve(second)
    assert committed(world) == D("1600.00")
    assert disbursements.allocation_room(world.program.id, TODAY.year) == D("1000000.00") - D("1600.00")
    world.execute(first, D("400.00"))  # a tranche pays what was already committed
    assert committed(world) == D("1600.00")
    world.vote(third, world.board[0], decision="rechazar")
    world.vote(third, world.board[1], decision="rechazar")
    assert committed(world) == D("1600.00")
    run(lambda: disbursements.cancel(disbursement_id=first.id, reason="Proyecto suspendido", actor=world.staff,
                                     key=key(), today=TODAY))
    assert committed(world) == D("1000.00")  # 600 approved + the 400 paid of the cancelled one
    run(lambda: disbursements.cancel(disbursement_id=second.id, reason="Duplicado", actor=world.staff, key=key(),
                                     today=TODAY))
    assert committed(world) == D("400.00")
    assert allocation_problems() == [] and domain_problems() == []


def test_an_allocation_cannot_be_lowered_below_what_is_committed(world):
    world.fund(D("5000.00"))
    world.approve(world.request(D("1500.00")).value)
    db.session.commit()
    with pytest.raises(DomainError, match="menor que lo ya comprometido"):
        run(lambda: programs.set_allocation(program_id=world.program.id, year=TODAY.year, amount=D("1499.99"),
                                            goals=None, actor=world.staff))
    run(lambda: programs.set_allocation(program_id=world.program.id, year=TODAY.year, amount=D("1500.00"),
                                        goals=None, actor=world.staff))
    assert disbursements.allocation_room(world.program.id, TODAY.year) == D("0.00")


def refused(sql: str, match: str, **params) -> None:
    with pytest.raises(DBAPIError, match=match):
        with db.session.begin_nested():
            db.session.execute(text(sql), params)


def test_the_database_refuses_committing_beyond_the_allocation_or_without_one(world):
    """Direct SQL, no service in the way: the status moves are legal ones, the amounts are not."""
    world.fund(D("5000.00"))
    run(lambda: programs.set_allocation(program_id=world.program.id, year=TODAY.year, amount=D("1000.00"),
                                        goals=None, actor=world.staff))
    within, beyond = world.request(D("700.00")).value, world.request(D("300.00")).value
    world.approve(within)
    db.session.commit()
    # 700 + 300 fits exactly; one céntimo more does not, whether it comes from the allocation or an approval
    refused("UPDATE trust_program_allocations SET amount = 69999 WHERE id = :id", "committed_within_amount",
            id=disbursements.allocation_for(world.program.id, TODAY.year).id)
    refused("UPDATE trust_program_allocations SET committed = amount + 1 WHERE id = :id", "committed_within_amount",
            id=disbursements.allocation_for(world.program.id, TODAY.year).id)
    run(lambda: programs.set_allocation(program_id=world.program.id, year=TODAY.year, amount=D("999.99"),
                                        goals=None, actor=world.staff))
    refused("UPDATE trust_disbursements SET status = 'aprobado' WHERE id = :id", "committed_within_amount",
            id=beyond.id)
    # a program's year with no allocation takes no commitment at all
    other_year = db.session.execute(text(
        "INSERT INTO trust_disbursements (program_id, organization_id, year, amount, paid_amount, purpose, status, "
        "requested_by_id, requested_on, requested_at) SELECT program_id, organization_id, year + 1, amount, 0, purpose,"
        " status, requested_by_id, requested_on, requested_at FROM trust_disbursements WHERE id = :id RETURNING id"),
        {"id": beyond.id}).scalar_one()
    refused("UPDATE trust_disbursements SET status = 'aprobado' WHERE id = :id", "necesita la asignación",
            id=other_year)
    db.session.rollback()
    assert committed(world) == D("700.00")


def test_verify_reports_a_committed_figure_that_lost_its_disbursements(world):
    world.fund(D("5000.00"))
    world.approve(world.request(D("800.00")).value)
    db.session.commit()
    assert allocation_problems() == []
    allocation_id = disbursements.allocation_for(world.program.id, TODAY.year).id
    db.session.execute(text("UPDATE trust_program_allocations SET committed = committed + 1 WHERE id = :id"),
                       {"id": allocation_id})
    problems = allocation_problems()
    assert len(problems) == 1 and "800.01 ≠ desembolsos comprometidos 800.00" in problems[0], problems
    assert problems[0] in domain_problems()
    db.session.rollback()
    assert db.session.get(ProgramAllocation, allocation_id).committed == D("800.00")
