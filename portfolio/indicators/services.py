"""Indicator rules: catalogue, annual targets (never for past years), quarterly measurements (a quarter
already recorded is refused and shown; a documented correction adds a new version and keeps the old one)
and the quarterly report, computed with a constant number of queries whatever the number of indicators."""
from __future__ import annotations

import datetime as dt
import importlib
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from sqlalchemy import and_, func, select

from portfolio import audit, clock, db
from portfolio.auth.policy import service
from portfolio.domain_errors import Conflict, DomainError, NotFound
from portfolio.indicators import status as status_rules
from portfolio.indicators.models import (
    DIRECTIONS,
    LEVELS,
    OWNER_TYPES,
    QUARTERS,
    SCALE,
    Indicator,
    IndicatorTarget,
    Measurement,
    tidy,
)
from portfolio.indicators.vocab import IndicatorStatus
from portfolio.orgs.models import PublicEntity

MAX_VALUE = Decimal("1000000000000")
# Owners that live in other packages: (module, class name) looked up when those packages provide them.
OWNER_MODELS = {"program": ("portfolio.trust.models", "Program"), "project": ("portfolio.projects.models", "Project")}


def parse_value(raw: object, *, field: str = "value") -> Decimal:
    """An indicator value typed by a person: a plain decimal number, up to four decimals."""
    text = str(raw if raw is not None else "").strip().replace(" ", "")
    if not text:
        raise DomainError("Ingrese un valor numérico.", field=field)
    if "," in text:
        if "." in text:
            raise DomainError("Escriba el número sin separador de miles (p. ej. 1234.5).", field=field)
        text = text.replace(",", ".")
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise DomainError(f"«{raw}» no es un número; use dígitos y punto decimal (p. ej. 12.5).", field=field) from exc
    if not value.is_finite() or "e" in text.lower():
        raise DomainError("Use un número decimal simple, sin notación exponencial.", field=field)
    if value != value.quantize(SCALE):
        raise DomainError("Use como máximo cuatro decimales.", field=field)
    if abs(value) >= MAX_VALUE:
        raise DomainError("El valor es demasiado grande.", field=field)
    return tidy(value)


# --- owners -----------------------------------------------------------------------------------------

def _owner_model(owner_type: str):
    if owner_type == "entity":
        return PublicEntity
    module_name, class_name = OWNER_MODELS[owner_type]
    return getattr(importlib.import_module(module_name), class_name, None)


def owner_choices() -> list[tuple[str, str]]:
    """(``type:id``, label) for every possible owner, entities first."""
    choices = []
    for owner_type, type_label in OWNER_TYPES.items():
        model = _owner_model(owner_type)
        if model is None:
            continue
        for row_id, name in db.session.execute(select(model.id, model.name).order_by(model.name)):
            choices.append((f"{owner_type}:{row_id}", f"{type_label}: {name}"))
    return choices


def owner_names(indicators) -> dict[tuple[str, int], str]:
    """Names of the owners of ``indicators``: one query per owner type, not per indicator."""
    wanted: dict[str, set[int]] = {}
    for ind in indicators:
        wanted.setdefault(ind.owner_type, set()).add(ind.owner_id)
    names = {}
    for owner_type, ids in wanted.items():
        model = _owner_model(owner_type)
        if model is None:
            continue
        for row_id, name in db.session.execute(select(model.id, model.name).where(model.id.in_(ids))):
            names[(owner_type, row_id)] = name
    return names


def _check_owner(owner_type: str, owner_id: int | None) -> None:
    if owner_type not in OWNER_TYPES:
        raise DomainError("Elija el responsable del indicador.", field="owner")
    model = _owner_model(owner_type)
    if model is None:
        raise DomainError(f"Todavía no hay registros de tipo «{OWNER_TYPES[owner_type]}».", field="owner")
    if owner_id is None or db.session.get(model, owner_id) is None:
        raise DomainError("El responsable elegido no existe.", field="owner")


# --- catalogue --------------------------------------------------------------------------------------

def get_indicator(indicator_id: int, *, public_only: bool = False) -> Indicator:
    indicator = db.session.get(Indicator, indicator_id)
    if indicator is None or (public_only and not indicator.public):
        raise NotFound("El indicador no existe.")
    return indicator


@service("indicators.manage")
def create_indicator(*, code: str, name: str, unit: str, direction: str, level: str, owner_type: str,
                     owner_id: int | None, description: str | None = None, baseline_value: object = None,
                     baseline_year: int | None = None, baseline_source: str | None = None, public: bool = True,
                     actor, today: dt.date | None = None) -> Indicator:
    """Add an indicator to the catalogue: a unique code, an existing owner, a baseline of a past year."""
    today = today or clock.today()
    code = (code or "").strip().upper()
    if not code or not name or not name.strip() or not unit or not unit.strip():
        raise DomainError("Código, nombre y unidad son obligatorios.")
    if db.session.scalar(select(Indicator.id).where(Indicator.code == code)):
        raise Conflict(f"Ya existe un indicador con el código {code}.", field="code")
    if direction not in DIRECTIONS:
        raise DomainError("Indique si un valor mayor o menor es mejor.", field="direction")
    if level not in LEVELS:
        raise DomainError("Elija el nivel de gobierno.", field="level")
    _check_owner(owner_type, owner_id)
    baseline = None
    if baseline_value not in (None, ""):
        baseline = parse_value(baseline_value, field="baseline_value")
        if baseline_year is None or not (1990 <= baseline_year <= today.year):
            raise DomainError("El año de la línea de base debe ser un año pasado o el actual.", field="baseline_year")
    indicator = Indicator(code=code, name=name.strip(), description=(description or "").strip() or None,
                          unit=unit.strip(), direction=direction, level=level, owner_type=owner_type,
                          owner_id=owner_id, baseline_value=baseline, baseline_year=baseline_year if baseline is not None else None,
                          baseline_source=(baseline_source or "").strip() or None, public=public)
    db.session.add(indicator)
    db.session.flush()
    audit.record("indicator.create", indicator, actor=actor, after=audit.snapshot(indicator, [
        "code", "name", "unit", "direction", "level", "owner_type", "owner_id", "baseline_value", "baseline_year"]))
    return indicator


@service("indicators.manage")
def set_target(*, indicator: Indicator, year: int | None, value: object, actor,
               today: dt.date | None = None) -> IndicatorTarget:
    """Set the target of the current or a future year. Past years are history and are refused."""
    today = today or clock.today()
    if year is None:
        raise DomainError("Indique el año de la meta.", field="year")
    if year < today.year:
        raise DomainError(f"No se fijan metas para años pasados ({year}); la meta de un año cerrado no cambia.",
                          field="year")
    if year > today.year + 10:
        raise DomainError("La meta puede fijarse hasta diez años adelante.", field="year")
    parsed = parse_value(value)
    target = db.session.scalar(select(IndicatorTarget).where(IndicatorTarget.indicator_id == indicator.id,
                                                             IndicatorTarget.year == year))
    before = {"year": year, "value": target.value} if target else None
    if target is None:
        target = IndicatorTarget(indicator_id=indicator.id, year=year, value=parsed)
        db.session.add(target)
    else:
        target.value = parsed
    target.set_by_id = getattr(actor, "id", None)
    target.set_at = db.utcnow()
    db.session.flush()
    audit.record("indicator.target", target, actor=actor, before=before,
                 after={"indicator": indicator.code, "year": year, "value": parsed})
    return target


def current_measurement(indicator_id: int, year: int, quarter: int) -> Measurement | None:
    return db.session.scalars(
        select(Measurement).where(Measurement.indicator_id == indicator_id, Measurement.year == year,
                                  Measurement.quarter == quarter).order_by(Measurement.version.desc()).limit(1)
    ).first()


def next_quarter_to_measure(indicator: Indicator, today: dt.date | None = None) -> tuple[int, int] | None:
    """The quarter a new measurement form pre-selects: the one after the latest recorded quarter of this
    indicator (the quarter before today's when none is), if it has already started and has no measurement
    — the same two conditions ``record_measurement`` refuses on. None when there is no such quarter yet."""
    today = today or clock.today()
    last = db.session.execute(select(Measurement.year, Measurement.quarter)
                              .where(Measurement.indicator_id == indicator.id)
                              .order_by(Measurement.year.desc(), Measurement.quarter.desc()).limit(1)).first()
    if last is None:
        current = (today.month - 1) // 3 + 1
        year, quarter = (today.year, current - 1) if current > 1 else (today.year - 1, 4)
    else:
        year, quarter = (last[0], last[1] + 1) if last[1] < 4 else (last[0] + 1, 1)
    if status_rules.quarter_start(year, quarter) > today or current_measurement(indicator.id, year, quarter):
        return None
    return year, quarter


def _check_period(year: int | None, quarter: int | None, measured_on: dt.date | None, today: dt.date) -> None:
    if quarter not in QUARTERS:
        raise DomainError("Elija un trimestre del I al IV.", field="quarter")
    if year is None or year < 1990:
        raise DomainError("Indique un año válido.", field="year")
    start = status_rules.quarter_start(year, quarter)
    if start > today:
        raise DomainError(f"El {QUARTERS[quarter]} {year} aún no empieza: no se puede medir.", field="quarter")
    if measured_on is None:
        raise DomainError("Indique la fecha de medición.", field="measured_on")
    if measured_on > today:
        raise DomainError("La fecha de medición no puede ser futura.", field="measured_on")
    if measured_on < start:
        raise DomainError("La fecha de medición no puede ser anterior al inicio del trimestre medido.",
                          field="measured_on")


@service("indicators.manage")
def record_measurement(*, indicator: Indicator, year: int | None, quarter: int | None, value: object,
                       source: str | None, measured_on: dt.date | None, actor,
                       today: dt.date | None = None) -> Measurement:
    """First value of a quarter. If the quarter already has one, refuse and point to the correction."""
    today = today or clock.today()
    _check_period(year, quarter, measured_on, today)
    parsed = parse_value(value)
    if not source or not source.strip():
        raise DomainError("Indique la fuente del dato (p. ej. INEI-ENAPRES, PNP, C4).", field="source")
    existing = current_measurement(indicator.id, year, quarter)
    if existing is not None:
        raise Conflict(
            f"El {QUARTERS[quarter]} {year} ya tiene una medición: {existing.value} {indicator.unit} "
            f"(fuente: {existing.source}, medido el {existing.measured_on:%d/%m/%Y}). "
            "Para cambiarla registre una corrección con su motivo.", field="quarter")
    row = Measurement(indicator_id=indicator.id, year=year, quarter=quarter, version=1, value=parsed,
                      source=source.strip(), measured_on=measured_on, recorded_by_id=getattr(actor, "id", None))
    db.session.add(row)
    db.session.flush()
    audit.record("indicator.measure", row, actor=actor, after={"indicator": indicator.code, "year": year, "quarter": quarter,
                                                  "value": parsed, "source": row.source, "measured_on": measured_on})
    return row


@service("indicators.manage")
def correct_measurement(*, indicator: Indicator, year: int | None, quarter: int | None, value: object,
                        source: str | None, measured_on: dt.date | None, reason: str | None, actor,
                        today: dt.date | None = None) -> Measurement:
    """A documented correction: a new version that supersedes the current one, which stays visible."""
    today = today or clock.today()
    _check_period(year, quarter, measured_on, today)
    parsed = parse_value(value)
    if not source or not source.strip():
        raise DomainError("Indique la fuente del dato corregido.", field="source")
    reason = (reason or "").strip()
    if len(reason) < 10:
        raise DomainError("Explique el motivo de la corrección (al menos 10 caracteres).", field="reason")
    previous = current_measurement(indicator.id, year, quarter)
    if previous is None:
        raise DomainError(f"El {QUARTERS[quarter]} {year} no tiene medición que corregir: regístrela primero.",
                          field="quarter")
    if previous.value == parsed and previous.source == source.strip() and previous.measured_on == measured_on:
        raise DomainError("La corrección no cambia nada respecto del valor vigente.", field="value")
    row = Measurement(indicator_id=indicator.id, year=year, quarter=quarter, version=previous.version + 1,
                      value=parsed, source=source.strip(), measured_on=measured_on, supersedes_id=previous.id,
                      correction_reason=reason, recorded_by_id=getattr(actor, "id", None))
    db.session.add(row)
    db.session.flush()
    audit.record("indicator.correct", row, actor=actor,
                 before={"version": previous.version, "value": previous.value, "source": previous.source},
                 after={"version": row.version, "value": parsed, "source": row.source, "reason": reason})
    return row


def history(indicator: Indicator) -> list[Measurement]:
    """Every version, newest period first, newest version first within a period."""
    return list(db.session.scalars(
        select(Measurement).where(Measurement.indicator_id == indicator.id)
        .order_by(Measurement.year.desc(), Measurement.quarter.desc(), Measurement.version.desc())))


# --- status and report --------------------------------------------------------------------------------

@dataclass
class ReportRow:
    indicator: Indicator
    owner_name: str
    value: Decimal | None
    version: int | None
    source: str | None
    measured_on: dt.date | None
    target: Decimal | None
    status: str


def _current_versions():
    """(indicator_id, year, quarter, max version) as a subquery."""
    return (select(Measurement.indicator_id, Measurement.year, Measurement.quarter,
                   func.max(Measurement.version).label("version"))
            .group_by(Measurement.indicator_id, Measurement.year, Measurement.quarter).subquery())


def quarter_report(year: int, quarter: int, *, public_only: bool = False, level: str | None = None,
                   owner: tuple[str, int | list[int]] | None = None) -> list[ReportRow]:
    """Each indicator with its current value for the quarter, the year's target and its status.
    One query for the rows, two for the thresholds, one per owner type for names."""
    latest = _current_versions()
    current = (select(Measurement).join(latest, and_(
        Measurement.indicator_id == latest.c.indicator_id, Measurement.year == latest.c.year,
        Measurement.quarter == latest.c.quarter, Measurement.version == latest.c.version))
        .where(Measurement.year == year, Measurement.quarter == quarter).subquery())
    query = (select(Indicator, current.c.value, current.c.version, current.c.source, current.c.measured_on,
                    IndicatorTarget.value)
             .outerjoin(current, current.c.indicator_id == Indicator.id)
             .outerjoin(IndicatorTarget, and_(IndicatorTarget.indicator_id == Indicator.id,
                                              IndicatorTarget.year == year))
             .order_by(Indicator.level, Indicator.code))
    if public_only:
        query = query.where(Indicator.public.is_(True))
    if level:
        query = query.where(Indicator.level == level)
    if owner:
        owner_type, ids = owner
        ids = ids if isinstance(ids, list) else [ids]
        query = query.where(Indicator.owner_type == owner_type, Indicator.owner_id.in_(ids))
    rows = db.session.execute(query).all()
    on_track, at_risk = status_rules.thresholds(status_rules.quarter_end(year, quarter))
    names = owner_names([r[0] for r in rows])
    result = []
    for ind, value, version, source, measured_on, target in rows:
        result.append(ReportRow(
            indicator=ind, owner_name=names.get((ind.owner_type, ind.owner_id), "—"), value=value, version=version,
            source=source, measured_on=measured_on, target=target,
            status=status_rules.status_for(ind.direction, value, target, on_track_gap=on_track,
                                           at_risk_gap=at_risk, baseline=ind.baseline_value)))
    return result


def status_counts(rows: list[ReportRow]) -> dict[str, int]:
    counts = dict.fromkeys(IndicatorStatus, 0)
    for row in rows:
        counts[row.status] += 1
    return counts


def series(indicator: Indicator) -> tuple[list[str], list[Decimal | None], list[Decimal | None]]:
    """Current value per measured quarter (oldest first) and the target of each quarter's year."""
    latest = _current_versions()
    rows = db.session.execute(
        select(Measurement.year, Measurement.quarter, Measurement.value)
        .join(latest, and_(Measurement.indicator_id == latest.c.indicator_id, Measurement.year == latest.c.year,
                           Measurement.quarter == latest.c.quarter, Measurement.version == latest.c.version))
        .where(Measurement.indicator_id == indicator.id).order_by(Measurement.year, Measurement.quarter)).all()
    targets = dict(db.session.execute(select(IndicatorTarget.year, IndicatorTarget.value)
                                      .where(IndicatorTarget.indicator_id == indicator.id)).all())
    labels = [f"T{q} {y}" for y, q, _ in rows]
    return labels, [v for _, _, v in rows], [targets.get(y) for y, _, _ in rows]


def latest_quarter(today: dt.date | None = None) -> tuple[int, int]:
    """The most recent quarter that has a measurement (else the quarter before today's)."""
    row = db.session.execute(select(Measurement.year, Measurement.quarter)
                             .order_by(Measurement.year.desc(), Measurement.quarter.desc()).limit(1)).first()
    if row:
        return row[0], row[1]
    today = today or clock.today()
    quarter = (today.month - 1) // 3 + 1
    return (today.year, quarter - 1) if quarter > 1 else (today.year - 1, 4)
