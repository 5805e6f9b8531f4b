"""Export pages: start an export (POST), follow a job (page + JSON status), download its file, the MEF form."""
from __future__ import annotations

import io

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user

from portfolio import clock, db
from portfolio.auth.policy import requires
from portfolio.exports import jobs, mef, runners
from portfolio.exports.models import DONE
from portfolio.exports.registry import ExportInputError, ExportSpec, all_exports, get_export
from portfolio.orgs import ubigeo

bp = Blueprint("exports", __name__, url_prefix="/exportaciones")

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
RECENT_JOBS = 20


def _spec_or_404(name: str) -> ExportSpec:
    spec = get_export(name)  # NotFound → 404 page
    if not jobs.can_use(current_user, spec):
        abort(403)
    return spec


def _filter_args() -> dict[str, str]:
    args = {k: v for k, v in request.args.items()}
    args.update({k: v for k, v in request.form.items() if k != "csrf_token"})
    return args


def _back(spec: ExportSpec, args: dict[str, str]):
    if spec.back_endpoint:
        return redirect(url_for(spec.back_endpoint, **{k: v for k, v in args.items() if k != "csrf_token"}))
    return redirect(url_for("exports.index"))


def _start(spec: ExportSpec, args: dict[str, str]):
    """Validate, then either send the file now (small) or record a job and show its page."""
    req = jobs.prepare(spec, args, current_user)  # ExportInputError propagates to the caller
    total = spec.count(req) if spec.count else None
    limit = int(current_app.config["EXPORT_SYNC_MAX_ROWS"])  # 0: every export runs in the background
    if not spec.always_background and total is not None and 0 < limit and total <= limit:
        data, filename = jobs.build_now(req)
        db.session.commit()
        response = send_file(io.BytesIO(data), mimetype=XLSX_MIME, as_attachment=True, download_name=filename)
        response.headers["Cache-Control"] = "no-store"
        return response
    job = jobs.create_job(req, total=total)
    db.session.commit()
    try:
        runners.submit(job.id)
    except runners.QueueUnavailable:
        jobs.mark_not_queued(job.id)
        db.session.commit()
    return redirect(url_for("exports.job", token=job.token))


@bp.route("/")
@requires("exports.download")
def index():
    recent = jobs.recent_jobs(current_user, RECENT_JOBS)
    available = [s for s in all_exports() if jobs.can_use(current_user, s)]
    return render_template("exports/index.html", jobs=recent, available=available,
                           state=jobs.effective_state)


@bp.route("/<name>", methods=["POST"])
@requires("exports.download")
def start(name: str):
    spec = _spec_or_404(name)
    args = _filter_args()
    try:
        return _start(spec, args)
    except ExportInputError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return _back(spec, args)


@bp.route("/libro-mef", methods=["GET", "POST"])
@requires("exports.mef")
def mef_form():
    spec = _spec_or_404("mef")
    values = {key: (request.form.get(key) or "").strip() for key in mef.FILTER_KEYS}
    error = None
    if request.method == "POST":
        try:
            return _start(spec, values)
        except ExportInputError as exc:
            db.session.rollback()
            error = exc
    if not values["corte"]:
        values["corte"] = clock.today().strftime("%d/%m/%Y")
    return render_template("exports/mef.html", values=values, error=error, levels=mef.level_choices(),
                           entities=mef.entity_choices(), departments=ubigeo.departments(),
                           quarters=list(mef.QUARTERS)), (422 if error else 200)


@bp.route("/trabajos/<token>")
@requires("exports.download")
def job(token: str):
    export_job = jobs.get_job_for(token, current_user)
    status, error = jobs.effective_state(export_job)
    payload = jobs.status_payload(export_job, url_for("exports.download", token=token))
    return render_template("exports/job.html", job=export_job, status=status, error=error, payload=payload)


@bp.route("/trabajos/<token>/estado")
@requires("exports.download")
def job_status(token: str):
    export_job = jobs.get_job_for(token, current_user)
    response = jsonify(jobs.status_payload(export_job, url_for("exports.download", token=token)))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/trabajos/<token>/descargar")
@requires("exports.download")
def download(token: str):
    export_job = jobs.get_job_for(token, current_user)
    path = jobs.file_path(export_job)
    if export_job.status == DONE and path is None:
        flash("El archivo ya no está disponible en el servidor; vuelva a solicitar la exportación.", "danger")
        return redirect(url_for("exports.job", token=token))
    if export_job.status != DONE or path is None:
        flash("El archivo todavía no está listo.", "warning")
        return redirect(url_for("exports.job", token=token))
    if not path.exists():
        flash("El archivo ya no está disponible en el servidor; vuelva a solicitar la exportación.", "danger")
        return redirect(url_for("exports.job", token=token))
    response = send_file(path, mimetype=XLSX_MIME, as_attachment=True, download_name=export_job.filename)
    response.headers["Cache-Control"] = "no-store"
    return response
