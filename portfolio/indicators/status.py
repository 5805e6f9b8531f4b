"""Status of a measured value against its target, following the indicator's direction.

The gap is how far the value falls short of the target, as a percentage of the target (of the baseline
when the target is zero): for "higher is better" the shortfall is ``target − value``, for "lower is
better" it is ``value − target``. A value that meets or beats the target has no gap. The two thresholds
are effective-dated rule values (``indicators.on_track_gap_pct`` and ``indicators.at_risk_gap_pct`` in
portfolio/rules.py):

- gap ≤ on-track threshold → ``on_track``;
- gap ≤ at-risk threshold  → ``at_risk``;
- otherwise                → ``off_track``;
- no value or no target    → ``no_data``.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from portfolio.indicators.vocab import IndicatorStatus

HUNDRED = Decimal(100)


def gap_pct(direction: str, value: Decimal, target: Decimal, baseline: Decimal | None = None) -> Decimal:
    """Shortfall against the target in % (0 when the target is met or beaten)."""
    if direction not in ("higher", "lower"):
        raise ValueError(f"unknown direction {direction!r}")
    shortfall = (target - value) if direction == "higher" else (value - target)
    if shortfall <= 0:
        return Decimal(0)
    scale = abs(target) or abs(baseline or 0) or Decimal(1)
    return shortfall * HUNDRED / scale


def status_for(direction: str, value: Decimal | None, target: Decimal | None, *, on_track_gap: Decimal,
               at_risk_gap: Decimal, baseline: Decimal | None = None) -> IndicatorStatus:
    if value is None or target is None:
        return IndicatorStatus.NO_DATA
    gap = gap_pct(direction, value, target, baseline)
    if gap <= on_track_gap:
        return IndicatorStatus.ON_TRACK
    if gap <= at_risk_gap:
        return IndicatorStatus.AT_RISK
    return IndicatorStatus.OFF_TRACK


def thresholds(on: dt.date) -> tuple[Decimal, Decimal]:
    """The rule values in force on ``on``: (on-track gap %, at-risk gap %)."""
    from portfolio.rules import rule_value

    return rule_value("indicators.on_track_gap_pct", on=on), rule_value("indicators.at_risk_gap_pct", on=on)


def quarter_end(year: int, quarter: int) -> dt.date:
    month = quarter * 3
    next_month = dt.date(year + (month == 12), 1 if month == 12 else month + 1, 1)
    return next_month - dt.timedelta(days=1)


def quarter_start(year: int, quarter: int) -> dt.date:
    return dt.date(year, quarter * 3 - 2, 1)
