"""Indicator business rules, each by name: direction rule for status, thresholds from rules.RULES,
targets never for past years, a recorded quarter is refused and shown, corrections keep history."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portfolio import db, rules
from portfolio.audit import AuditEntry
from portfolio.errors import Conflict, DomainError
from portfolio.indicators import services
from portfolio.indicators.models import Indicator, IndicatorTarget, Measurement
from portfolio.indicators.status import gap_pct, status_for
from tests.support import STAFF_ACTOR

TODAY = dt.date(2026, 11, 20)
D = Decimal


@pytest.mark.parametrize(("direction", "value", "target", "expected"), [
    # lower is better (victimisation rate, response time): at or under target is on track
    ("lower", "20", "20", "on_track"),
    ("lower", "18", "20", "on_track"),
    ("lower", "21", "20", "on_track"),   # 5 % over: within the on-track gap
    ("lower", "22", "20", "at_risk"),    # 10 % over
    ("lower", "23", "20", "at_risk"),    # 15 % over: the at-risk limit is inclusive
    ("lower", "23.1", "20", "off_track"),
    # higher is better (police per 100k): at or over target is on track
    ("higher", "150", "150", "on_track"),
    ("higher", "170", "150", "on_track"),
    ("higher", "140", "150", "at_risk"),   # 6.7 % short
    ("higher", "120", "150", "off_track"),  # 20 % short
])
def test_status_follows_the_direction_rule(direction, value, target, expected):
    assert status_for(direction, D(value), D(target), on_track_gap=D(5), at_risk_gap=D(15)) == expected


def test_same_numbers_give_opposite_status_for_opposite_directions():
    assert status_for("lower", D(30), D(20), on_track_gap=D(5), at_risk_gap=D(15)) == "off_track"
    assert status_for("higher", D(30), D(20), on_track_gap=D(5), at_risk_gap=D(15)) == "on_track"


def test_status_without_value_or_target_is_no_data():
    assert status_for("lower", None, D(1), on_track_gap=D(5), at_risk_gap=D(15)) == "no_data"
    assert status_for("lower", D(1), None, on_track_gap=D(5), at_risk_gap=D(15)) == "no_data"


def test_gap_uses_baseline_when_target_is_zero():
    assert gap_pct("lower", D(5), D(0), D(50)) == D(10)
    assert gap_pct("lower", D(0), D(0), D(50)) == 0


def test_thresholds_come_from_effective_dated_rules(ctx, make_indicator):
    indicator = make_indicator(direction="lower")
    services.set_target(indicator=indicator, year=2026, value="20", today=TODAY, actor=STAFF_ACTOR)
    services.record_measurement(indicator=indicator, year=2026, quarter=3, value="22", source="INEI", today=TODAY,
                                measured_on=dt.date(2026, 10, 15), actor=STAFF_ACTOR)
    row = next(r for r in services.quarter_report(2026, 3) if r.indicator.id == indicator.id)
    assert row.status == "at_risk"  # 10 % gap with the default 5 / 15
    from tests.support import insert_user

    rules.add_rule_value(key="indicators.on_track_gap_pct", value="12", effective_from=dt.date(2026, 1, 1),
                         legal_basis="Prueba", actor=insert_user("admin"))
    row = next(r for r in services.quarter_report(2026, 3) if r.indicator.id == indicator.id)
    assert row.status == "on_track"


@pytest.mark.parametrize(("raw", "expected"), [("12.5", D("12.5")), ("12,5", D("12.5")), (" 7 ", D(7)),
                                               ("0.0001", D("0.0001")), ("-3", D(-3))])
def test_parse_value_accepts_plain_decimals(raw, expected):
    assert services.parse_value(raw) == expected


@pytest.mark.parametrize("raw", ["", "abc", "1e3", "NaN", "Infinity", "1.00001", "1,234.5", "12%"])
def test_parse_value_refuses_wrong_types_with_a_message(raw):
    with pytest.raises(DomainError) as exc:
        services.parse_value(raw)
    assert exc.value.field == "value" and exc.value.message


def test_targets_for_past_years_are_refused_and_nothing_is_written(ctx, make_indicator):
    indicator = make_indicator()
    with pytest.raises(DomainError, match="años pasados"):
        services.set_target(indicator=indicator, year=2025, value="20", today=TODAY, actor=STAFF_ACTOR)
    assert db.session.scalar(select(func.count()).select_from(IndicatorTarget)
                             .where(IndicatorTarget.indicator_id == indicator.id)) == 0


def test_target_for_current_and_future_years_is_set_and_can_be_revised(ctx, make_indicator):
    indicator = make_indicator()
    services.set_target(indicator=indicator, year=2026, value="22", today=TODAY, actor=STAFF_ACTOR)
    services.set_target(indicator=indicator, year=2027, value="20", today=TODAY, actor=STAFF_ACTOR)
    services.set_target(indicator=indicator, year=2027, value="19.5", today=TODAY, actor=STAFF_ACTOR)
    targets = dict(db.session.execute(select(IndicatorTarget.year, IndicatorTarget.value)
                                      .where(IndicatorTarget.indicator_id == indicator.id)).all())
    assert targets == {2026: D(22), 2027: D("19.5")}


def test_a_quarter_already_recorded_is_refused_and_the_existing_value_shown(ctx, make_indicator):
    indicator = make_indicator(unit="denuncias")
    services.record_measurement(indicator=indicator, year=2026, quarter=2, value="1480", source="PNP - SIDPOL",
                                measured_on=dt.date(2026, 7, 10), today=TODAY, actor=STAFF_ACTOR)
    with pytest.raises(Conflict) as exc:
        services.record_measurement(indicator=indicator, year=2026, quarter=2, value="1500", source="otra",
                                    measured_on=dt.date(2026, 7, 11), today=TODAY, actor=STAFF_ACTOR)
    assert "1480 denuncias" in exc.value.message and "PNP - SIDPOL" in exc.value.message
    assert "corrección" in exc.value.message
    values = db.session.scalars(select(Measurement.value).where(Measurement.indicator_id == indicator.id)).all()
    assert values == [D(1480)]


def test_correction_adds_a_version_and_keeps_the_old_one(ctx, make_indicator):
    indicator = make_indicator()
    first = services.record_measurement(indicator=indicator, year=2026, quarter=1, value="25.1", source="INEI",
                                        measured_on=dt.date(2026, 4, 20), today=TODAY, actor=STAFF_ACTOR)
    fixed = services.correct_measurement(indicator=indicator, year=2026, quarter=1, value="24.8", source="INEI (revisado)",
                                         measured_on=dt.date(2026, 5, 2), reason="INEI publicó cifras revisadas",
                                         today=TODAY, actor=STAFF_ACTOR)
    assert fixed.version == 2 and fixed.supersedes_id == first.id
    assert services.current_measurement(indicator.id, 2026, 1).value == D("24.8")
    versions = services.history(indicator)
    assert [(m.version, m.value) for m in versions] == [(2, D("24.8")), (1, D("25.1"))]
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "indicator.correct")) >= 1


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"reason": "corto"}, "reason"),
    ({"reason": ""}, "reason"),
    ({"quarter": 4, "measured_on": dt.date(2026, 11, 1), "reason": "no hay medición previa"}, "quarter"),
    ({"value": "25.1", "source": "INEI", "measured_on": dt.date(2026, 4, 20), "reason": "no cambia nada aquí"},
     "value"),
])
def test_bad_corrections_are_refused(ctx, make_indicator, kwargs, field):
    indicator = make_indicator()
    services.record_measurement(indicator=indicator, year=2026, quarter=1, value="25.1", source="INEI",
                                measured_on=dt.date(2026, 4, 20), today=TODAY, actor=STAFF_ACTOR)
    data = {"year": 2026, "quarter": 1, "value": "24", "source": "INEI", "measured_on": dt.date(2026, 5, 1),
            "reason": "Cifra revisada por el INEI"}
    data.update(kwargs)
    with pytest.raises(DomainError) as exc:
        services.correct_measurement(indicator=indicator, today=TODAY, **data, actor=STAFF_ACTOR)
    assert exc.value.field == field
    assert db.session.scalar(select(func.count()).select_from(Measurement)
                             .where(Measurement.indicator_id == indicator.id)) == 1


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"year": 2027, "quarter": 1}, "quarter"),                        # quarter not started
    ({"measured_on": dt.date(2026, 12, 1)}, "measured_on"),          # future date
    ({"measured_on": dt.date(2026, 3, 1)}, "measured_on"),           # before the quarter measured
    ({"quarter": 5}, "quarter"),
    ({"source": "  "}, "source"),
    ({"value": "doce"}, "value"),
])
def test_bad_measurements_are_refused(ctx, make_indicator, kwargs, field):
    indicator = make_indicator()
    data = {"year": 2026, "quarter": 2, "value": "24", "source": "INEI", "measured_on": dt.date(2026, 7, 1)}
    data.update(kwargs)
    with pytest.raises(DomainError) as exc:
        services.record_measurement(indicator=indicator, today=TODAY, **data, actor=STAFF_ACTOR)
    assert exc.value.field == field


def test_indicator_owner_must_exist_and_code_is_unique(ctx, make_indicator):
    with pytest.raises(DomainError) as exc:
        make_indicator(owner_id=999999)
    assert exc.value.field == "owner"
    make_indicator(code="DUP-1")
    with pytest.raises(Conflict):
        make_indicator(code="dup-1")


def test_quarter_report_uses_current_version_and_year_target(ctx, make_indicator):
    up = make_indicator(direction="higher", unit="policías por 100 000 hab.", baseline_value="120")
    down = make_indicator(direction="lower")
    services.set_target(indicator=up, year=2026, value="150", today=TODAY, actor=STAFF_ACTOR)
    services.set_target(indicator=down, year=2026, value="20", today=TODAY, actor=STAFF_ACTOR)
    services.record_measurement(indicator=up, year=2026, quarter=3, value="100", source="PNP",
                                measured_on=dt.date(2026, 10, 1), today=TODAY, actor=STAFF_ACTOR)
    services.correct_measurement(indicator=up, year=2026, quarter=3, value="140", source="PNP", reason="Error de digitación",
                                 measured_on=dt.date(2026, 10, 2), today=TODAY, actor=STAFF_ACTOR)
    rows = {r.indicator.id: r for r in services.quarter_report(2026, 3)}
    assert (rows[up.id].value, rows[up.id].version, rows[up.id].target, rows[up.id].status) == (D(140), 2, D(150),
                                                                                                "at_risk")
    assert rows[down.id].value is None and rows[down.id].status == "no_data"
    assert rows[up.id].owner_name == "Gobierno Regional La Libertad"


def test_quantity_column_is_exact_on_both_databases(ctx, make_indicator):
    indicator = make_indicator(baseline_value="0.0001")
    db.session.expire_all()
    assert db.session.get(Indicator, indicator.id).baseline_value == D("0.0001")
