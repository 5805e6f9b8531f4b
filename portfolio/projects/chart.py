"""The S-curve: planned vs actual physical and financial progress over time, as server-rendered SVG data.

Physical progress comes from the milestones' cumulative planned/actual percentages; financial progress is
the cumulative valorización amounts (planned by planned date; actual = accepted, by conformity date) over
the current convenio amount. The template draws polylines and offers the same figures as a table.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from portfolio import clock

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 12, 30
ZERO = Decimal("0.00")


@dataclass
class Series:
    key: str
    label: str
    css: str
    points: list[tuple[dt.date, Decimal]] = field(default_factory=list)
    svg_points: str = ""


@dataclass
class SCurve:
    series: list[Series]
    start: dt.date | None
    end: dt.date | None
    x_ticks: list[tuple[float, str]]
    y_ticks: list[tuple[float, str]]
    rows: list[dict]
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    bottom_y: float = HEIGHT - BOTTOM
    right_x: float = WIDTH - RIGHT

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


def build(project, milestones, today: dt.date | None = None) -> SCurve:
    today = today or clock.today()
    convenio = project.current_convenio_amount
    planned_phys = [(m.planned_date, m.planned_physical_pct) for m in milestones if m.planned_physical is not None]
    actual_phys = [(m.actual_date, m.actual_physical_pct) for m in milestones
                   if m.actual_physical is not None and m.actual_date]
    planned_fin = [(d, _pct(v, convenio)) for d, v in
                   _cumulative([(m.planned_date, m.amount) for m in milestones if m.amount])]
    actual_fin = [(d, _pct(v, convenio)) for d, v in
                  _cumulative([(m.conformity_date, m.amount) for m in milestones if m.amount and m.accepted])]
    series = [
        Series("planned_physical", "Avance físico programado", "curve-planned", sorted(planned_phys)),
        Series("actual_physical", "Avance físico real", "curve-actual", sorted(actual_phys)),
        Series("planned_financial", "Avance financiero programado", "curve-planned-fin", planned_fin),
        Series("actual_financial", "Avance financiero real (valorizaciones con conformidad)", "curve-actual-fin",
               actual_fin),
    ]
    dates = [d for s in series for d, _ in s.points]
    if project.convenio_on:
        dates.append(project.convenio_on)
    if not dates:
        return SCurve(series, None, None, [], [], [])
    start, end = min(dates), max(dates)
    if end == start:
        end = start + dt.timedelta(days=30)
    span = (end - start).days
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(day: dt.date) -> float:
        return round(LEFT + plot_w * (day - start).days / span, 1)

    def y(pct: Decimal) -> float:
        return round(TOP + plot_h * (1 - float(min(max(pct, ZERO), Decimal(100))) / 100), 1)

    origin = project.convenio_on or start
    for s in series:
        if s.points:
            pts = [(origin, ZERO)] + s.points if s.points[0][0] >= origin else s.points
            s.svg_points = " ".join(f"{x(d)},{y(v)}" for d, v in pts)
    x_ticks = [(x(start + dt.timedelta(days=span * i // 4)), (start + dt.timedelta(days=span * i // 4)).strftime("%m/%Y"))
               for i in range(5)]
    y_ticks = [(y(Decimal(v)), f"{v} %") for v in (0, 25, 50, 75, 100)]
    days = sorted({d for s in series for d, _ in s.points})
    rows = []
    for day in days:
        row: dict = {"date": day}
        for s in series:
            row[s.key] = next((v for d, v in reversed(s.points) if d <= day), None)
        rows.append(row)
    return SCurve(series, start, end, x_ticks, y_ticks, rows)
