"""Board (Comité Técnico): the queue of requests awaiting votes, with the facts to decide, and vote history."""
from __future__ import annotations

from flask import render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from portfolio import db
from portfolio.auth.policy import allows, requires
from portfolio.trust.forms import VoteForm
from portfolio.trust.models import Disbursement, DisbursementInvoice, Vote
from portfolio.trust.services import books, disbursements
from portfolio.trust.views import act, bp
from portfolio.trust.views.overview import decision_facts
from portfolio.trust.vocab import DisbursementStatus


@bp.route("/comite")
@requires("trust.board.view")
def board_queue():
    """Board members vote here; the auditor sees the same queue and facts, read-only (no forms)."""
    can_vote = allows(current_user, "trust.vote")
    pending = db.session.scalars(select(Disbursement).where(Disbursement.status == DisbursementStatus.SOLICITADO)
                                 .order_by(Disbursement.id)).all()
    queue = [{"d": d, "facts": decision_facts(d), "mine": next((v for v in d.votes if v.user_id == current_user.id), None),
              "form": VoteForm(prefix=f"v{d.id}") if can_vote else None} for d in pending]
    history = db.session.scalars(select(Vote).order_by(Vote.id.desc()).limit(50)).all()
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


def invoice_flags(d: Disbursement) -> list[str]:
    """Invoices of this request already used elsewhere (blocked at request time; shown for old data)."""
    flags = []
    for invoice in d.invoices:
        other = db.session.scalar(select(DisbursementInvoice).where(
            DisbursementInvoice.ruc == invoice.ruc, DisbursementInvoice.serie == invoice.serie,
            DisbursementInvoice.numero == invoice.numero, DisbursementInvoice.id != invoice.id))
        if other is not None:
            flags.append(f"{invoice.label} también en el desembolso N.º {other.disbursement_id}")
    return flags
