"""Indicator seeds: the catalogue is reference data (every deployment); baselines, targets and quarterly
values are DEMO figures, loaded only with demo data and marked «[DEMO]» in every source."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from portfolio import clock, db
from portfolio.auth.policy import SYSTEM
from portfolio.indicators import services
from portfolio.indicators.models import Indicator, IndicatorTarget, Measurement
from portfolio.seeding import entity_by_name, read_csv

DEMO_SOURCE = "[DEMO] Valor ilustrativo, no oficial"


def load_reference() -> dict[str, int]:
    added = 0
    for row in read_csv("indicators.csv"):
        if db.session.scalar(select(Indicator.id).where(Indicator.code == row["code"])) is None:
            services.create_indicator(code=row["code"], name=row["name"], unit=row["unit"],
                                      direction=row["direction"], level=row["level"], owner_type="entity",
                                      owner_id=entity_by_name(row["owner"]).id, description=row["description"],
                                      public=row["public"] == "1", actor=SYSTEM)
            added += 1
    db.session.flush()
    return {"indicadores": added}


def last_quarters(count: int, today: dt.date) -> list[tuple[int, int]]:
    """The ``count`` most recent quarters that have started, oldest first."""
    year, quarter = today.year, (today.month - 1) // 3 + 1
    result = []
    for _ in range(count):
        result.append((year, quarter))
        year, quarter = (year, quarter - 1) if quarter > 1 else (year - 1, 4)
    return result[::-1]


def _program_indicators() -> int:
    """Demo indicators owned by the trust's demo programs (the board sees them next to the spending)."""
    try:
        from portfolio.trust.models import Program
    except ImportError:  # pragma: no cover - the trust half is not installed
        return 0
    added = 0
    for row in read_csv("demo_program_indicators.csv"):
        program_id = db.session.scalar(select(Program.id).where(Program.code == row["program"]))
        if program_id is None or db.session.scalar(select(Indicator.id).where(Indicator.code == row["code"])):
            continue
        services.create_indicator(code=row["code"], name=row["name"], unit=row["unit"], direction=row["direction"],
                                  level=row["level"], owner_type="program", owner_id=program_id,
                                  description=row["description"], actor=SYSTEM)
        added += 1
    db.session.flush()
    return added


def load_demo(today: dt.date | None = None) -> dict[str, int]:
    today = today or clock.today()
    added = 0
    program_indicators = _program_indicators()
    for row in read_csv("demo_indicator_values.csv") + read_csv("demo_program_indicators.csv"):
        indicator = db.session.scalar(select(Indicator).where(Indicator.code == row["code"]))
        if indicator is None or db.session.scalar(select(Measurement.id).where(Measurement.indicator_id == indicator.id)):
            continue
        indicator.baseline_value = services.parse_value(row["baseline"])
        indicator.baseline_year = int(row["baseline_year"])
        indicator.baseline_source = DEMO_SOURCE
        values = row["values_oldest_first"].split(";")
        # The last value belongs to the quarter in progress only if measured: use the completed quarters.
        periods = last_quarters(len(values) + 1, today)[:-1]
        # "This year" is the year of the latest measured quarter (last year's Q4 from January to March), so
        # the quarter every page shows first has a target to be judged against; a past year's target is set
        # as it would have been, while that year was current (the rule refuses targets for closed years).
        measured_year = periods[-1][0]
        for year, key in ((measured_year, "target_this_year"), (measured_year + 1, "target_next_year")):
            if db.session.scalar(select(IndicatorTarget.id).where(IndicatorTarget.indicator_id == indicator.id,
                                                                   IndicatorTarget.year == year)) is None:
                set_on = today if year >= today.year else dt.date(year, 1, 1)  # last year's: set back then
                services.set_target(indicator=indicator, year=year, value=row[key], actor=SYSTEM, today=set_on)
        for (year, quarter), value in zip(periods, values, strict=True):
            measured = min(today, _next_quarter_start(year, quarter) + dt.timedelta(days=20))
            services.record_measurement(indicator=indicator, year=year, quarter=quarter, value=value, source=DEMO_SOURCE,
                                        measured_on=measured, actor=SYSTEM, today=today)
            added += 1
        if row["code"] == "EXT-LL":  # one documented correction, to show history
            year, quarter = periods[-2]
            current = services.current_measurement(indicator.id, year, quarter)
            services.correct_measurement(indicator=indicator, year=year, quarter=quarter, value=current.value + 35,
                                         source=DEMO_SOURCE + " (revisado)",
                                         measured_on=min(today, _next_quarter_start(year, quarter)
                                                         + dt.timedelta(days=45)),
                                         reason="[DEMO] La PNP consolidó denuncias registradas tarde en comisarías.",
                                         actor=SYSTEM, today=today)
            added += 1
    db.session.flush()
    return {"indicadores de programas demo": program_indicators, "mediciones demo": added}


def _next_quarter_start(year: int, quarter: int) -> dt.date:
    return dt.date(year + (quarter == 4), 1 if quarter == 4 else quarter * 3 + 1, 1)
