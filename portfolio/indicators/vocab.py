"""The status of a measured indicator against its target (see :mod:`portfolio.indicators.status`).

A ``StrEnum`` whose values are what reports and exports carry; the Spanish labels are
``indicators.models.STATUSES``.
"""
from __future__ import annotations

from enum import StrEnum


class IndicatorStatus(StrEnum):
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    OFF_TRACK = "off_track"
    NO_DATA = "no_data"
