"""Import pages: choose an import, download its template, upload, preview, confirm."""
from __future__ import annotations

import io

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user

from portfolio import db
from portfolio.auth.policy import allows, requires
from portfolio.errors import DomainError
from portfolio.imports import services
from portfolio.imports.models import ImportStatus
from portfolio.imports.workbook import build_template
from portfolio.navigation import NavItem

bp = Blueprint("imports", __name__, url_prefix="/importar")

NAV = [NavItem("Importar", "imports.index", "imports.use", order=60,
               section="Cargue hojas de cálculo: planillas, extractos bancarios y cartera de proyectos.")]
PREVIEW_LIMIT = 500
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _kind(key: str):
    kind = services.get_kind(key)
    if not kind.allowed(current_user):
        abort(403)
    return kind


@bp.route("/")
@requires("imports.use")
def index():
    available = [k for k in services.kinds().values() if k.allowed(current_user)]
    recent = services.recent_batches(current_user, 20)
    return render_template("imports/index.html", kinds=available, recent=recent, all_kinds=services.kinds())


@bp.route("/<kind_key>/plantilla.xlsx")
@requires("imports.use")
def template(kind_key: str):
    kind = _kind(kind_key)
    data = build_template(kind, current_user)
    return send_file(io.BytesIO(data), mimetype=XLSX, as_attachment=True,
                     download_name=f"plantilla-{kind.key}.xlsx", max_age=0)


@bp.route("/<kind_key>/", methods=["GET", "POST"])
@requires("imports.use")
def upload(kind_key: str):
    kind = _kind(kind_key)
    if getattr(kind, "streaming", False):
        return _upload_stream(kind)
    max_bytes, max_rows = services.limits()
    if request.method == "GET":
        return render_template("imports/upload.html", kind=kind, max_mb=max_bytes // 1048576, max_rows=max_rows)
    upload_file = request.files.get("file")
    if upload_file is None or not upload_file.filename:
        return render_template("imports/upload.html", kind=kind, max_mb=max_bytes // 1048576, max_rows=max_rows,
                               problem="Seleccione un archivo .xlsx o .csv."), 422
    data = upload_file.stream.read(max_bytes + 1)
    staged = services.stage(kind=kind, data=data, filename=upload_file.filename, actor=current_user)
    if staged.batch is not None:
        db.session.commit()
        return redirect(url_for("imports.batch", batch_id=staged.batch.id))
    db.session.rollback()  # nothing to keep: errors, no changes, or a file applied before
    status = 422 if staged.errors else 200
    return render_template("imports/preview.html", kind=kind, staged=staged, plan=staged.plan, batch=None,
                           limit=PREVIEW_LIMIT), status


def _upload_stream(kind):
    """A large file read in one pass as it is spooled (MEF's execution CSV); only aggregates are kept."""
    max_mb = int(current_app.config.get("MEF_IMPORT_MAX_MB", 1024))
    if request.method == "GET":
        return render_template("imports/upload.html", kind=kind, max_mb=max_mb, max_rows=None)
    upload_file = request.files.get("file")
    if upload_file is None or not upload_file.filename:
        return render_template("imports/upload.html", kind=kind, max_mb=max_mb, max_rows=None,
                               problem="Seleccione el archivo .csv de MEF."), 422
    staged = services.stage_stream(kind=kind, stream=upload_file.stream, filename=upload_file.filename,
                                   actor=current_user, max_bytes=max_mb * 1048576)
    if staged.batch is not None:
        db.session.commit()
        return redirect(url_for("imports.batch", batch_id=staged.batch.id))
    db.session.rollback()
    return render_template("imports/preview.html", kind=kind, staged=staged, plan=staged.plan, batch=None,
                           limit=PREVIEW_LIMIT), 422 if staged.errors else 200


@bp.route("/lotes/<int:batch_id>")
@requires("imports.use")
def batch(batch_id: int):
    batch = services.get_batch(batch_id, current_user)
    kind = services.get_kind(batch.kind)
    plan = services.replan(batch, current_user) if batch.status == ImportStatus.PENDIENTE else None
    if plan is not None:
        db.session.rollback()
    trust_link = None
    if allows(current_user, "trust.company") and "trust.company_home" in current_app.view_functions:
        trust_link = (url_for("trust.company_home"), "Ver mis declaraciones y aportes")
    elif allows(current_user, "trust.declare_on_behalf") and "trust.contributions_list" in current_app.view_functions:
        trust_link = (url_for("trust.contributions_list"), "Ver las declaraciones y aportes de las empresas")
    return render_template("imports/preview.html", kind=kind, staged=None, plan=plan, batch=batch,
                           limit=PREVIEW_LIMIT, trust_link=trust_link)


@bp.route("/lotes/<int:batch_id>/confirmar", methods=["POST"])
@requires("imports.use")
def confirm(batch_id: int):
    try:
        counts = services.apply(batch_id=batch_id, actor=current_user)
    except DomainError as exc:
        db.session.rollback()
        if exc.status_code == 404:
            raise
        flash(exc.message, "danger")
        return redirect(url_for("imports.batch", batch_id=batch_id))
    db.session.commit()
    done = ", ".join(f"{n} {what}" for what, n in counts.items() if n) or "sin cambios"
    flash(f"Importación aplicada: {done}.", "success")
    return redirect(url_for("imports.batch", batch_id=batch_id))


@bp.route("/lotes/<int:batch_id>/descartar", methods=["POST"])
@requires("imports.use")
def discard(batch_id: int):
    try:
        services.discard(batch_id=batch_id, actor=current_user)
    except DomainError as exc:
        db.session.rollback()
        if exc.status_code == 404:
            raise
        flash(exc.message, "danger")
        return redirect(url_for("imports.batch", batch_id=batch_id))
    db.session.commit()
    flash("Importación descartada; no se aplicó nada.", "info")
    return redirect(url_for("imports.index"))
