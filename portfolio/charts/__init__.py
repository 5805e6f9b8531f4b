"""Server-rendered, accessible SVG charts built from plain data (see ``base`` for the conventions: escaped
labels, no inline style, ``Decimal`` geometry, a data table under every chart). ``time`` holds the time
chart (the projects' S-curve)."""
from portfolio.charts.base import *  # noqa: F403
from portfolio.charts.base import __all__ as _base_all
from portfolio.charts.time import CHAR_PX, MONTH_STEPS, TimeSeries, date_label, time_chart

__all__ = [*_base_all, "CHAR_PX", "MONTH_STEPS", "TimeSeries", "date_label", "time_chart"]
