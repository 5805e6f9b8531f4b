"""Board (Comité Técnico): the queue of requests awaiting votes, with the facts to decide, and vote history."""
from __future__ import annotations

from flask import render_template, url_for
from flask_login import current_user

from portfolio.auth.policy import allows, requires
from portfolio.documents import panels as document_panels
from portfolio.kept_pages import kept_page
from portfolio.trust import queries
from portfolio.trust.forms import VoteForm
from portfolio.trust.services import books, disbursements
from portfolio.trust.views.common import act, bp, decision_facts


@bp.route("/comite")
@requires("trust.board.view")
@kept_page
def board_queue():
    """Board members vote here; the auditor sees the same queue and facts, read-only (no forms)."""
    can_vote = allows(current_user, "trust.vote")
    pending = queries.awaiting_vote()
    board = disbursements.active_board()  # read once for the whole queue, as the conflicts register
    conflicts: dict[int, list] = {}
    for conflict in queries.conflicts():
        conflicts.setdefault(conflict.organization_id, []).append(conflict)
    dossiers = document_panels.dossier_panels(pending, current_user, with_form=False)
    queue = [{"d": d, "facts": decision_facts(d, board=board, conflicts=conflicts.get(d.organization_id, [])),
              "mine": next((v for v in d.votes if v.user_id == current_user.id), None),
              "form": VoteForm(prefix=f"v{d.id}") if can_vote else None,
              "dossier": dossiers[d.id]} for d in pending]
    history = queries.recent_votes(50)
    return render_template("trust/board.html", queue=queue, history=history, position=books.fund_position(),
                           can_vote=can_vote)


@bp.route("/desembolsos/<int:disbursement_id>/votar", methods=["POST"])
@requires("trust.vote")
def vote(disbursement_id: int):
    disbursements.get_disbursement(disbursement_id)
    form = VoteForm(prefix=f"v{disbursement_id}")
    return act(form, lambda: disbursements.vote(disbursement_id=disbursement_id, decision=form.decision.data,
                                                comment=form.comment.data, actor=current_user, key=form.key()),
               "Voto registrado.", url_for("trust.board_queue"))

