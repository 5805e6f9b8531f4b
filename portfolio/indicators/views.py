"""Indicator pages: catalogue, detail with history and chart, targets, measurements, corrections and the
quarterly report (with Excel export)."""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portfolio import charts, clock
from portfolio.auth.policy import allows, requires
from portfolio.forms import run_service, select_choices
from portfolio.indicators import services
from portfolio.indicators.forms import CorrectionForm, IndicatorForm, MeasurementForm, TargetForm
from portfolio.indicators.models import LEVELS, QUARTERS, STATUSES, Indicator
from portfolio.navigation import NavItem

bp = Blueprint("indicators", __name__, url_prefix="/indicadores")

NAV = [NavItem("Indicadores", "indicators.report", "indicators.view", order=40,
               section="Indicadores trimestrales de seguridad ciudadana por nivel de gobierno, con metas y estado.")]


def period_args() -> tuple[int, int]:
    """``?anio=&trimestre=`` or the latest measured quarter; out-of-range values fall back to it."""
    year, quarter = services.latest_quarter()
    try:
        y = int(request.args.get("anio", year))
        q = int(request.args.get("trimestre", quarter))
    except ValueError:
        return year, quarter
    if 1990 <= y <= 2100 and q in QUARTERS:
        return y, q
    return year, quarter


def _quarters_around(year: int) -> list[tuple[int, int]]:
    today = clock.today()
    return [(y, q) for y in range(today.year, today.year - 4, -1) for q in (4, 3, 2, 1)
            if dt.date(y, q * 3 - 2, 1) <= today]


@bp.route("/")
@requires("indicators.view")
def report():
    year, quarter = period_args()
    level = request.args.get("nivel") if request.args.get("nivel") in LEVELS else None
    rows = services.quarter_report(year, quarter, level=level)
    return render_template("indicators/report.html", rows=rows, year=year, quarter=quarter, level=level,
                           levels=LEVELS, quarters=QUARTERS, statuses=STATUSES, periods=_quarters_around(year),
                           counts=services.status_counts(rows), can_manage=allows(current_user, "indicators.manage"))


def _owner_form(form: IndicatorForm) -> IndicatorForm:
    form.owner.choices = select_choices(services.owner_choices())
    return form


def _quarter(form) -> int | None:
    raw = form.quarter.data or ""
    return int(raw) if raw.isdigit() and len(raw) == 1 else None


def _split_owner(raw: str) -> tuple[str, int | None]:
    kind, _, ident = (raw or "").partition(":")
    return kind, int(ident) if ident.isdigit() else None


@bp.route("/nuevo", methods=["GET", "POST"])
@requires("indicators.manage")
def create():
    form = _owner_form(IndicatorForm())
    if form.validate_on_submit():
        owner_type, owner_id = _split_owner(form.owner.data)
        outcome = run_service(form, lambda: services.create_indicator(
            code=form.code.data, name=form.name.data, description=form.description.data, unit=form.unit.data,
            direction=form.direction.data, level=form.level.data, owner_type=owner_type, owner_id=owner_id,
            baseline_value=form.baseline_value.data, baseline_year=form.baseline_year.data,
            baseline_source=form.baseline_source.data, public=form.public.data, actor=current_user))
        if outcome:
            flash(f"Indicador {outcome.value.code} registrado.", "success")
            return redirect(url_for("indicators.detail", indicator_id=outcome.value.id))
    return render_template("indicators/form.html", form=form), 422 if form.errors else 200


def _render_detail(indicator: Indicator, *, target_form=None, measurement_form=None, correction_form=None,
                   conflict=None, status: int = 200):
    today = clock.today()
    target_form = target_form or TargetForm(prefix="meta", formdata=None, data={"year": today.year})
    if measurement_form is None:
        suggested = services.next_quarter_to_measure(indicator, today)
        year, quarter = suggested or (today.year, None)
        measurement_form = MeasurementForm(prefix="med", formdata=None, data={
            "year": year, "quarter": str(quarter) if quarter else "", "measured_on": today})
        if not suggested:  # every started quarter is measured: make the user choose (or correct)
            measurement_form.quarter.choices = select_choices(
                {str(k): v for k, v in QUARTERS.items()}, blank="— Seleccione —")
    correction_form = correction_form or CorrectionForm(prefix="cor", formdata=None,
                                                        data={"year": today.year, "measured_on": today})
    labels, values, targets = services.series(indicator)
    chart = charts.line_chart(
        f"{indicator.name}: valor trimestral y meta anual ({indicator.unit})", labels,
        [("Meta", [t for t in targets]), ("Valor medido", values)],
        fmt=charts.plain, y_max=None, chart_id=f"indicador-{indicator.id}",
        description="Valores vigentes por trimestre frente a la meta del año") if labels else None
    names = services.owner_names([indicator])
    return render_template(
        "indicators/detail.html", indicator=indicator, owner_name=names.get((indicator.owner_type, indicator.owner_id),
                                                                              "—"),
        history=services.history(indicator), target_form=target_form, measurement_form=measurement_form,
        correction_form=correction_form, conflict=conflict, chart=chart,
        can_manage=allows(current_user, "indicators.manage")), status


@bp.route("/<int:indicator_id>")
@requires("indicators.view")
def detail(indicator_id: int):
    return _render_detail(services.get_indicator(indicator_id))


@bp.route("/<int:indicator_id>/metas", methods=["POST"])
@requires("indicators.manage")
def set_target(indicator_id: int):
    indicator = services.get_indicator(indicator_id)
    form = TargetForm(prefix="meta")
    if form.validate_on_submit():
        outcome = run_service(form, lambda: services.set_target(indicator=indicator, year=form.year.data, value=form.value.data,
                                                                actor=current_user))
        if outcome:
            flash(f"Meta {form.year.data} registrada.", "success")
            return redirect(url_for("indicators.detail", indicator_id=indicator.id))
    return _render_detail(indicator, target_form=form, status=422)


@bp.route("/<int:indicator_id>/mediciones", methods=["POST"])
@requires("indicators.manage")
def measure(indicator_id: int):
    indicator = services.get_indicator(indicator_id)
    form = MeasurementForm(prefix="med")
    if form.validate_on_submit():
        quarter = _quarter(form)
        outcome = run_service(form, lambda: services.record_measurement(
            indicator=indicator, year=form.year.data, quarter=quarter, value=form.value.data, source=form.source.data,
            measured_on=form.measured_on.data, actor=current_user))
        if outcome:
            flash(f"Medición del {QUARTERS[quarter]} {form.year.data} registrada.", "success")
            return redirect(url_for("indicators.detail", indicator_id=indicator.id))
        existing = services.current_measurement(indicator.id, form.year.data, quarter) if quarter else None
        if existing is not None:
            correction = CorrectionForm(prefix="cor", formdata=None, data={
                "year": form.year.data, "quarter": str(quarter), "value": form.value.data,
                "source": form.source.data, "measured_on": form.measured_on.data})
            return _render_detail(indicator, measurement_form=form, correction_form=correction, conflict=existing,
                                  status=409)
    return _render_detail(indicator, measurement_form=form, status=422)


@bp.route("/<int:indicator_id>/correcciones", methods=["POST"])
@requires("indicators.manage")
def correct(indicator_id: int):
    indicator = services.get_indicator(indicator_id)
    form = CorrectionForm(prefix="cor")
    if form.validate_on_submit():
        quarter = _quarter(form)
        outcome = run_service(form, lambda: services.correct_measurement(
            indicator=indicator, year=form.year.data, quarter=quarter, value=form.value.data, source=form.source.data,
            measured_on=form.measured_on.data, reason=form.reason.data, actor=current_user))
        if outcome:
            flash(f"Corrección del {QUARTERS[quarter]} {form.year.data} registrada (versión {outcome.value.version}).",
                  "success")
            return redirect(url_for("indicators.detail", indicator_id=indicator.id))
    return _render_detail(indicator, correction_form=form, status=422)

