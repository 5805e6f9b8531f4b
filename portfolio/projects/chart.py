"""The S-curve: planned vs actual physical and financial progress over time, as a server-rendered SVG chart.

Physical progress comes from the milestones' cumulative planned/actual percentages; financial progress is
the cumulative valorización amounts (planned by planned date; actual = accepted, by conformity date) over
the current convenio amount. ``portfolio.charts.time_chart`` draws it on a time axis proportional to the days
between dates, with a «hoy» line, and carries the same figures as a table.

The two «real» series must stay readable when they are equal: the physical one is a solid line with dots,
the financial one is drawn as hollow squares only (no line), so a dot inside a square shows both.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from portfolio import charts, clock

ZERO = Decimal("0.00")
PHYSICAL, FINANCIAL = "#0b3d62", "#b35c00"


@dataclass
class Series:
    key: str
    label: str
    points: list[tuple[dt.date, Decimal]] = field(default_factory=list)


@dataclass
class SCurve:
    series: list[Series]
    chart: charts.Chart
    start: dt.date | None = None
    end: dt.date | None = None

    @property
    def empty(self) -> bool:
        return not any(s.points for s in self.series)


def _cumulative(items: list[tuple[dt.date, Decimal]]) -> list[tuple[dt.date, Decimal]]:
    total, out = ZERO, []
    for day, amount in sorted(items, key=lambda i: i[0]):
        total += amount
        out.append((day, total))
    return out


def _pct(part: Decimal, whole: Decimal) -> Decimal:
    return (part * 100 / whole).quantize(Decimal("0.1")) if whole else ZERO


@dataclass(frozen=True)
class Progress:
    """Latest actual progress: physical %, and accepted valorizaciones as % of the current convenio amount."""

    physical: Decimal | None
    financial: Decimal | None


STYLES = {"planned_physical": {"colour": PHYSICAL, "dash": "7 4", "marker": "none"},
          "actual_physical": {"colour": PHYSICAL, "marker": "circle"},
          "planned_financial": {"colour": FINANCIAL, "dash": "2 3", "marker": "none"},
          "actual_financial": {"colour": FINANCIAL, "marker": "square", "line": False}}


def series_for(project, milestones) -> list[Series]:
    """The four cumulative series of the S-curve (planned/actual × physical/financial)."""
    convenio = project.current_convenio_amount
    planned_phys = [(m.planned_date, m.planned_physical_pct) for m in milestones if m.planned_physical is not None]
    actual_phys = [(m.actual_date, m.actual_physical_pct) for m in milestones
                   if m.actual_physical is not None and m.actual_date]
    planned_fin = [(d, _pct(v, convenio)) for d, v in
                   _cumulative([(m.planned_date, m.amount) for m in milestones if m.amount])]
    actual_fin = [(d, _pct(v, convenio)) for d, v in
                  _cumulative([(m.conformity_date, m.amount) for m in milestones if m.amount and m.accepted])]
    return [
        Series("planned_physical", "Avance físico programado", sorted(planned_phys)),
        Series("actual_physical", "Avance físico real", sorted(actual_phys)),
        Series("planned_financial", "Avance financiero programado", planned_fin),
        Series("actual_financial", "Avance financiero real (valorizaciones con conformidad)", actual_fin),
    ]


def progress(project, milestones) -> Progress:
    """The end of the S-curve's two «real» series: what the project page draws and the list shows."""
    by_key = {s.key: s.points for s in series_for(project, milestones)}
    physical, financial = by_key["actual_physical"], by_key["actual_financial"]
    return Progress(physical[-1][1] if physical else None, financial[-1][1] if financial else None)


def build(project, milestones, today: dt.date | None = None) -> SCurve:
    today = today or clock.today()
    series = series_for(project, milestones)
    chart = charts.time_chart(
        "Curva S del proyecto (% acumulado)",
        [charts.TimeSeries(s.label, s.points, **STYLES[s.key]) for s in series],
        today=today, origin=project.convenio_on, chart_id="curva-s",
        description="Avance físico y financiero programado frente al real, por fecha; la línea «hoy» marca la "
                    "fecha actual")
    return SCurve(series, chart, *(_range(series, project.convenio_on)))


def _range(series: list[Series], origin: dt.date | None) -> tuple[dt.date | None, dt.date | None]:
    dates = [d for s in series for d, _ in s.points] + ([origin] if origin else [])
    return (min(dates), max(dates)) if dates else (None, None)
