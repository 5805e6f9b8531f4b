"""What every trust page module shares: the blueprint, the one-action helper (``act``), flash messages,
the period arguments and the facts shown to decide a disbursement. The page modules (``board``,
``company``, ``overview``, ``trustee``) import from here and never from each other."""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, flash, redirect, request

from portfolio import clock
from portfolio.formatting import DateInputError, parse_date
from portfolio.forms import run_service
from portfolio.trust import queries
from portfolio.trust.models import Disbursement
from portfolio.trust.services import books, disbursements

bp = Blueprint("trust", __name__, url_prefix="/fideicomiso")

@bp.context_processor
def _permissions():
    from flask_login import current_user

    from portfolio.auth.policy import allows

    return {"can": lambda permission: allows(current_user, permission)}


REPLAYED = "Esta operación ya se había registrado con este mismo formulario; no se repitió."


def act(form, action, success: str, back: str):
    """Validate an action form, run one service (commit once), flash the outcome and go back."""
    if not form.validate_on_submit():
        flash_errors(form)
        return redirect(back)
    outcome = run_service(form, action)
    if outcome:
        replayed = getattr(outcome.value, "replayed", False)
        flash(REPLAYED if replayed else success, "info" if replayed else "success")
    else:
        flash_errors(form)
    return redirect(back)


def flash_errors(form) -> None:
    """Flash each of the form's messages once. ``form.errors`` already holds the form-level messages
    (under the key None) next to each field's, so they are not added again from ``form_errors``."""
    seen: set[str] = set()
    for errors in form.errors.values():
        for message in errors:
            if message not in seen:
                seen.add(message)
                flash(message, "danger")


def date_arg(name: str, default: dt.date) -> dt.date:
    raw = (request.args.get(name) or "").strip()
    try:
        return parse_date(raw) or default
    except DateInputError:
        flash(f"Fecha inválida en «{name}»: se usó {default:%d/%m/%Y}.", "warning")
        return default


def period_args() -> tuple[dt.date, dt.date]:
    today = clock.today()
    start = date_arg("desde", today.replace(month=1, day=1))
    end = date_arg("hasta", today)
    if end < start:
        flash("La fecha final es anterior a la inicial: se intercambiaron.", "warning")
        start, end = end, start
    return start, end


def decision_facts(d: Disbursement, *, board: list | None = None, conflicts: list | None = None) -> dict:
    """What the board needs to decide: funds, the program's plan vs spent, conflicts, invoice flags.
    ``board`` and ``conflicts`` (of d's beneficiary) when the caller read them once for a whole queue."""
    summary = {row["program"].id: row for row in books.program_summary(d.year)}.get(d.program_id)
    conflicts = queries.conflicts(d.organization_id) if conflicts is None else conflicts
    recused = {c.user_id for c in conflicts}
    return {"position": books.fund_position(), "plan": summary, "conflicts": conflicts,
            "tally": disbursements.tally(d, board, recused), "recused": recused}


def invoice_flags(d: Disbursement) -> list[str]:
    """Invoices of this request already used elsewhere (blocked at request time; shown for old data)."""
    flags = []
    for invoice in d.invoices:
        other = queries.invoice_used_elsewhere(invoice)
        if other is not None:
            flags.append(f"{invoice.label} también en el desembolso N.º {other.disbursement_id}")
    return flags
