"""What the pages of other packages show of the expediente: the documents panel of a project page, a
disbursement's dossier (its page and the board's voting page) and the portal's public list. Each returns a
plain dict for the template; the upload form comes ready with the choices of that page."""
from __future__ import annotations

from typing import Any

from portfolio.auth.policy import allows
from portfolio.documents import queries
from portfolio.documents.forms import UploadForm, WithdrawForm
from portfolio.documents.vocab import PROJECT_OWNERS, TRUST_OWNERS, types_for
from portfolio.forms import select_choices


def _form(targets, kinds) -> UploadForm:
    form = UploadForm(prefix="doc")
    form.target.choices = select_choices(targets, blank=None)
    form.doc_type.choices = select_choices(queries.type_choices(kinds), blank=None)
    return form


def project_panel(project_id: int, user: Any, *, milestones=None, certificates=None) -> dict:
    """``milestones`` and ``certificates``: the project's, when the page has loaded them already."""
    can_upload = allows(user, "projects.manage") or allows(user, "certificates.manage")
    targets = queries.project_targets(project_id, milestones, certificates) if can_upload else None
    return {"docs": queries.project_documents(project_id), "can_upload": can_upload,
            "form": _form(targets, PROJECT_OWNERS) if can_upload else None,
            "withdraw": WithdrawForm, "types": {k: types_for(k) for k in PROJECT_OWNERS}}


def dossier_panel(disbursement, user: Any, *, with_form: bool = True, docs=None, votes=None) -> dict:
    """``docs`` and ``votes``: the disbursement's documents and vote hashes, when read already (``dossier_panels``)."""
    can_upload = with_form and (allows(user, "trust.request") or allows(user, "trust.execute"))
    return {"dossier": queries.dossier(disbursement, docs),
            "votes": queries.vote_hashes(disbursement.id) if votes is None else votes,
            "can_upload": can_upload, "withdraw": WithdrawForm,
            "form": _form(queries.disbursement_targets(disbursement), TRUST_OWNERS) if can_upload else None}


def dossier_panels(disbursements, user: Any, *, with_form: bool = True) -> dict[int, dict]:
    """:func:`dossier_panel` of each disbursement (the board's queue), with two statements for all of them."""
    ids = [d.id for d in disbursements]
    docs, votes = queries.dossiers_documents(ids), queries.votes_hashes(ids)
    return {d.id: dossier_panel(d, user, with_form=with_form, docs=docs[d.id], votes=votes[d.id]) for d in disbursements}


def public_list(project_id: int) -> list:
    return queries.public_documents(project_id)
