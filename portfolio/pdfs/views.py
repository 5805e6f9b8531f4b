"""The PDF doors: «Descargar PDF» buttons (POST: each one issues a new, verifiable document) and the public
verification page ``/verificar/<code>`` that the QR code of every PDF opens."""
from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portfolio import clock
from portfolio.auth.policy import public, requires
from portfolio.forms import run_service
from portfolio.pdfs import queries, services
from portfolio.pdfs.codes import normalize_code
from portfolio.pdfs.forms import IssueForm, VerifyFileForm
from portfolio.pdfs.vocab import DocumentKind
from portfolio.urls import public_base_url

bp = Blueprint("pdfs", __name__)


@bp.context_processor
def _menu():
    from portfolio.public.views import MENU

    return {"public_menu": MENU}


@bp.after_request
def _private(response: Response) -> Response:
    """A verification page shows what a document certified to whoever holds its code (60 random bits, printed
    only on the document): never cached by a shared cache, never indexed, the code never sent on as a referrer."""
    if request.endpoint in ("pdfs.verify_page", "pdfs.verify_home"):
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Robots-Tag"] = "noindex, nofollow"
        response.headers["Referrer-Policy"] = "no-referrer"
    return response


def pdf_permissions() -> dict:
    from portfolio.auth.policy import allows
    from portfolio.pdfs.vocab import KIND_PERMISSIONS

    return {"can_pdf": lambda kind: allows(current_user, KIND_PERMISSIONS[kind])}


def verify_base() -> str:
    """The address the QR code points at (``PUBLIC_URL``, else this request's host)."""
    return f"{public_base_url()}/verificar"


def _issue(kind: str, params: dict, back: str):
    """Issue one PDF (one service, committed once) and send it; a refusal goes back with its message."""
    form = IssueForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for message in errors:
                flash(message, "danger")
        return redirect(back)
    params = {key: (value(form) if callable(value) else value) for key, value in params.items()}
    outcome = run_service(form, lambda: services.issue(kind=kind, params=params, verify_base=verify_base(),
                                                       actor=current_user))
    if not outcome:
        for errors in form.errors.values():
            for message in errors:
                flash(message, "danger")
        return redirect(back)
    issued = outcome.value
    return Response(issued.pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{issued.filename}"',
        "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store",
        "X-Document-Code": issued.document.code, "X-Document-SHA256": issued.document.pdf_sha256})


def _period(form: IssueForm) -> tuple[str, str]:
    today = clock.today()
    start = form.desde.data or today.replace(month=1, day=1)
    end = form.hasta.data or today
    return start.isoformat(), end.isoformat()


@bp.route("/pdf/constancia-de-aportes", methods=["POST"])
@requires("pdfs.company")
def constancia():
    return _issue(DocumentKind.CONSTANCIA,
                  {"company_id": current_user.company_id, "year": lambda f: f.year.data or clock.today().year},
                  url_for("trust.company_home"))


@bp.route("/pdf/estado-de-cuenta", methods=["POST"])
@requires("pdfs.company")
def company_statement():
    return _issue(DocumentKind.ESTADO_EMPRESA,
                  {"company_id": current_user.company_id, "start": lambda f: _period(f)[0],
                   "end": lambda f: _period(f)[1]}, url_for("trust.company_statement"))


@bp.route("/pdf/fideicomiso/estado-de-cuenta", methods=["POST"])
@requires("pdfs.trust")
def trust_statement():
    return _issue(DocumentKind.ESTADO_FIDEICOMISO,
                  {"start": lambda f: _period(f)[0], "end": lambda f: _period(f)[1]},
                  url_for("trust.trust_statement"))


@bp.route("/pdf/desembolsos/<int:disbursement_id>/acta", methods=["POST"])
@requires("pdfs.trust")
def acta(disbursement_id: int):
    from portfolio.trust.services.disbursements import get_disbursement

    get_disbursement(disbursement_id)  # a missing request is a 404, not a message
    return _issue(DocumentKind.ACTA, {"disbursement_id": disbursement_id},
                  url_for("trust.disbursement_detail", disbursement_id=disbursement_id))


@bp.route("/pdf/proyectos/<int:project_id>/ficha", methods=["POST"])
@requires("pdfs.project")
def ficha(project_id: int):
    from portfolio.projects.queries import get_project_or_404

    get_project_or_404(project_id, current_user)  # another company's project: the same 404 as a missing one
    return _issue(DocumentKind.FICHA, {"project_id": project_id}, url_for("projects.detail", project_id=project_id))


@bp.route("/verificar", methods=["GET", "POST"])
@public
def verify_home():
    """Type the code printed on the PDF (or open the QR code, which lands on the page of that code), or upload
    the file: a PDF issued here is found by its SHA-256; any other file (an altered copy) is not."""
    form = VerifyFileForm()
    if request.method == "POST":
        if not form.validate_on_submit() or not form.archivo.data:
            flash("Adjunte el archivo PDF que recibió.", "warning")
            return render_template("pdfs/verify_home.html", raw="", form=form), 400
        data = form.archivo.data.read()
        document = queries.find_by_file(data)
        if document is None:
            flash("Este archivo no es ningún documento emitido por el sistema: no coincide con la huella SHA-256 de "
                  "ninguno. Si lleva un código de verificación, la copia fue alterada; no la acepte.", "danger")
            return render_template("pdfs/verify_home.html", raw="", form=form), 200
        result = queries.verify(document.code, pdf=data)
        return render_template("pdfs/verify.html", v=result, form=form)
    raw = request.args.get("codigo", "")
    if raw:
        code = normalize_code(raw)
        if code:
            return redirect(url_for("pdfs.verify_page", code=code))
        flash("El código tiene 12 letras y números, como ABCD-EFGH-JKMN.", "danger")
    return render_template("pdfs/verify_home.html", raw=raw[:40], form=form)


@bp.route("/verificar/<code>", methods=["GET", "POST"])
@public
def verify_page(code: str):
    form = VerifyFileForm()
    pdf = sha256 = None
    if request.method == "POST":
        if not form.validate_on_submit():
            flash("El formulario venció o está incompleto: vuelva a adjuntar el archivo.", "warning")
        elif form.archivo.data:
            pdf = form.archivo.data.read()
        elif form.sha256.data:
            sha256 = form.sha256.data
        else:
            flash("Adjunte el archivo PDF o pegue su huella SHA-256.", "warning")
    else:
        sha256 = request.args.get("sha256") or None
    result = queries.verify(code, pdf=pdf, sha256=sha256)
    if result.document.code != code:
        return redirect(url_for("pdfs.verify_page", code=result.document.code))
    return render_template("pdfs/verify.html", v=result, form=form)
