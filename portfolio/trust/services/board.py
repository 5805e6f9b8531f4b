"""The board that decides on disbursements: its active members, who of them is recused from a beneficiary,
the quorum in force and the tally of a request (the vote itself is ``disbursements.vote``)."""
from __future__ import annotations

import functools

from sqlalchemy import Date, and_, bindparam, or_, select
from sqlalchemy.orm import lazyload
from sqlalchemy.orm.attributes import set_committed_value

from portfolio import clock, db
from portfolio.auth.models import User
from portfolio.auth.roles import BOARD
from portfolio.rules import remember_rule_columns, remember_rules, rule_columns, rule_value
from portfolio.trust.models import ConflictOfInterest, Disbursement, Vote
from portfolio.trust.vocab import VoteDecision

QUORUM_RULES = ("trust.quorum_min_approvals", "trust.quorum_majority")


def active_board() -> list[User]:
    return list(db.session.scalars(select(User).where(User.role == BOARD, User.active.is_(True)).order_by(User.id)))


@functools.cache
def _board_query(also: bool, votes: bool):
    """The statement of ``board_and_recused`` for each shape, built once (its values bound when it runs)."""
    conflict = select(ConflictOfInterest.id).where(ConflictOfInterest.user_id == User.id,
                                                   ConflictOfInterest.organization_id == bindparam("organization")).exists()
    who = and_(User.role == BOARD, User.active.is_(True))
    who = or_(who, User.id == bindparam("also")) if also else who
    query = select(User, conflict)
    if votes:  # every vote with its voter, board member or not (a vote's user always exists)
        query = query.add_columns(Vote, *rule_columns(QUORUM_RULES, bindparam("on", type_=Date))).outerjoin(
            Vote, and_(Vote.user_id == User.id, Vote.disbursement_id == bindparam("disbursement")))
        who = or_(who, Vote.id.is_not(None))
    # board members belong to no company (a CHECK on users): no join of companies for them
    return query.where(who).order_by(User.id).options(lazyload(User.company))


def board_and_recused(organization_id: int, *, also: int | None = None, votes_on: Disbursement | None = None
                      ) -> tuple[list[User], set[int]]:
    """The active board, and which of its members (and of the user ``also``) declared a conflict with the
    beneficiary: one SELECT for both. With ``votes_on`` (a vote: everything its tally needs), the request's
    votes come in the same SELECT and fill ``votes_on.votes`` (a vote holds the request's lock, so a statement
    sent after taking it sees them all), and so do the quorum rules in force (kept for ``quorum_needed``)."""
    values: dict[str, object] = {"organization": organization_id}
    if also is not None:
        values["also"] = also
    if votes_on is not None:
        values |= {"disbursement": votes_on.id, "on": clock.today()}
    rows = db.session.execute(_board_query(also is not None, votes_on is not None), values).all()
    if votes_on is not None:
        set_committed_value(votes_on, "votes", sorted((row[2] for row in rows if row[2] is not None), key=lambda v: v.id))
        if rows:
            remember_rule_columns(QUORUM_RULES, rows[0][3:], values["on"])
    return [row[0] for row in rows if row[0].role == BOARD and row[0].active], {row[0].id for row in rows if row[1]}


def quorum_needed(board: list[User] | None = None) -> int:
    remember_rules(QUORUM_RULES)  # one read for both (none when the vote read them with the board)
    minimum = int(rule_value("trust.quorum_min_approvals"))
    if not int(rule_value("trust.quorum_majority")):
        return minimum
    return max(minimum, len(active_board() if board is None else board) // 2 + 1)


def _board_for(disbursement: Disbursement, board: list[User] | None, recused: set[int] | None
               ) -> tuple[list[User], set[int]]:
    """``board`` and ``recused`` as given, what is missing read with one SELECT."""
    if board is None or recused is None:
        read_board, read_recused = board_and_recused(disbursement.organization_id)
        board, recused = read_board if board is None else board, read_recused if recused is None else recused
    return board, recused


def eligible_voters(disbursement: Disbursement, board: list[User] | None = None,
                    recused: set[int] | None = None) -> list[User]:
    board, recused = _board_for(disbursement, board, recused)
    return [u for u in board if u.id != disbursement.requested_by_id and u.id not in recused]


def tally(disbursement: Disbursement, board: list[User] | None = None, recused: set[int] | None = None) -> dict[str, int]:
    """Votes for and against, the quorum and whether it can still be reached. ``board`` (the active board) and
    ``recused`` (its recused members for this beneficiary) when the caller already read them for several
    requests (the board's queue)."""
    approvals = sum(1 for v in disbursement.votes if v.decision == VoteDecision.APROBAR)
    rejections = sum(1 for v in disbursement.votes if v.decision == VoteDecision.RECHAZAR)
    board, recused = _board_for(disbursement, board, recused)  # read once for the eligible voters and the quorum
    eligible, needed = len(eligible_voters(disbursement, board, recused)), quorum_needed(board)
    return {"approvals": approvals, "rejections": rejections, "needed": needed, "eligible": eligible,
            "reachable": eligible - rejections >= needed}
