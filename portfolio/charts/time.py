"""The time chart (the projects' S-curve): an x axis proportional to days, a «hoy» line, month ticks that
are never clipped, and markers that keep equal series distinguishable. Part of :mod:`portfolio.charts`."""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from markupsafe import Markup, escape

from portfolio.charts.base import (
    PALETTE,
    TENTH,
    Chart,
    Formatter,
    Number,
    _id,
    _n,
    _svg_open,
    nice_ticks,
    percent,
)


@dataclass(frozen=True)
class TimeSeries:
    """One series of a time chart: ``(date, value)`` points and how it is drawn. ``line=False`` draws markers
    only (so a series equal to another one never hides it); ``marker`` is ``circle`` (filled), ``square``
    (hollow, larger: a coincident circle stays visible inside it) or ``none``."""

    name: str
    points: Sequence[tuple[dt.date, Number]]
    colour: str = PALETTE[0]
    dash: str | None = None
    marker: str = "circle"
    line: bool = True


MONTH_STEPS = (1, 2, 3, 6, 12, 24, 60)
CHAR_PX = Decimal("6.6")  # about one character of 11 px text


def _month_ticks(start: dt.date, end: dt.date, most: int) -> list[dt.date]:
    """First days of months inside [start, end], every 1, 2, 3, 6, 12… months, at most ``most`` of them."""
    first = dt.date(start.year, start.month, 1)
    if first < start:
        first = dt.date(first.year + first.month // 12, first.month % 12 + 1, 1)
    for step in MONTH_STEPS:
        ticks, month = [], first
        while month <= end:
            ticks.append(month)
            index = month.month - 1 + step
            month = dt.date(month.year + index // 12, index % 12 + 1, 1)
        if len(ticks) <= most:
            return ticks
    return ticks  # pragma: no cover - 60-month steps over centuries


def _anchored_text(x: Decimal, y: Decimal, text: str, width: int, css: str, extra: str = "") -> str:
    """A centred 11 px label, anchored at its start or end instead when centring would clip it."""
    half = CHAR_PX * len(text) / 2
    anchor = "end" if x + half > width - 2 else "start" if x - half < 2 else "middle"
    return (f"<text x=\"{_n(x)}\" y=\"{_n(y)}\" text-anchor=\"{anchor}\" font-size=\"11\" class=\"{css}\"{extra}>"
            f"{escape(text)}</text>")


def _marker(kind: str, x: Decimal, y: Decimal, colour: str, attrs: str, tooltip: str) -> str:
    if kind == "square":
        return (f"<rect x=\"{_n(x - Decimal('4.5'))}\" y=\"{_n(y - Decimal('4.5'))}\" width=\"9\" height=\"9\" "
                f"fill=\"none\" stroke=\"{colour}\" stroke-width=\"1.8\" class=\"chart-point\" {attrs}>"
                f"<title>{tooltip}</title></rect>")
    return (f"<circle cx=\"{_n(x)}\" cy=\"{_n(y)}\" r=\"3.5\" fill=\"{colour}\" class=\"chart-point\" {attrs}>"
            f"<title>{tooltip}</title></circle>")


def _time_legend(series: Sequence[TimeSeries], x0: int, width: int) -> tuple[str, int]:
    """Legend entries (line sample with its dash and marker, then the name) wrapped in rows; returns the
    markup and the height it takes."""
    parts, x, y = [], x0, 14
    for s in series:
        room = 34 + int(CHAR_PX * len(s.name)) + 18
        if x > x0 and x + room > width - 4:
            x, y = x0, y + 18
        if s.line:
            dash = f" stroke-dasharray=\"{s.dash}\"" if s.dash else ""
            parts.append(f"<line x1=\"{x}\" x2=\"{x + 26}\" y1=\"{y - 4}\" y2=\"{y - 4}\" stroke=\"{s.colour}\" "
                         f"stroke-width=\"2.5\"{dash} class=\"chart-legend-line\"/>")
        if s.marker != "none":
            parts.append(_marker(s.marker, Decimal(x + 13), Decimal(y - 4), s.colour, "data-legend=\"1\"",
                                 escape(s.name)).replace("class=\"chart-point\"", "class=\"chart-legend-mark\""))
        parts.append(f"<text x=\"{x + 32}\" y=\"{y}\" font-size=\"11\" class=\"chart-legend\">{escape(s.name)}</text>")
        x += room
    return "".join(parts), y + 8


def date_label(day: dt.date) -> str:
    return f"{day:%d/%m/%Y}"


def time_chart(title: str, series: Sequence[TimeSeries], *, today: dt.date | None = None, fmt: Formatter = percent,
               y_max: Number | None = 100, origin: dt.date | None = None, chart_id: str | None = None,
               description: str = "", width: int = 640) -> Chart:
    """Series over a time axis proportional to the days between dates (an S-curve). A dashed «hoy» line marks
    ``today`` when it falls inside the range; lines start from 0 at ``origin`` (e.g. the convenio date) when it
    comes before their first point. The table has one row per date with each series' value on that date."""
    cid = _id(title, chart_id)
    dates = [d for s in series for d, _ in s.points] + ([origin] if origin else [])
    known = [Decimal(v) for s in series for _, v in s.points]
    ticks = nice_ticks(max([Decimal(y_max) if y_max is not None else Decimal(0)] + known))
    scale = ticks[-1]
    rows = []
    for day in sorted({d for s in series for d, _ in s.points}):
        row = [date_label(day)]
        for s in series:
            value = next((v for d, v in sorted(s.points, key=lambda p: p[0], reverse=True) if d <= day), None)
            row.append("—" if value is None else fmt(Decimal(value)))
        rows.append(row)
    columns = ["Fecha"] + [s.name for s in series]
    if not dates:
        return Chart(title, Markup(""), columns, [], cid, description, [])
    start, end = min(dates), max(dates)
    if end == start:
        end = start + dt.timedelta(days=30)
    span = Decimal((end - start).days)
    legend, legend_h = _time_legend(series, 8, width)
    left = 8 + int(CHAR_PX * max(len(fmt(t)) for t in ticks)) + 8
    right, plot_h = width - 16, 200
    top = legend_h + 14
    base_y = Decimal(top + plot_h)
    height = top + plot_h + 30
    plot_w = Decimal(right - left)

    def x_of(day: dt.date) -> Decimal:
        return Decimal(left) + plot_w * Decimal((day - start).days) / span

    def y_of(value: Number) -> Decimal:
        return base_y - Decimal(plot_h) * Decimal(value) / scale

    parts = [_svg_open(cid, title, description or f"{len(series)} series entre {date_label(start)} y "
                       f"{date_label(end)}", width, height), legend]
    for value in ticks:
        y = y_of(value)
        parts.append(f"<line x1=\"{left}\" x2=\"{right}\" y1=\"{_n(y)}\" y2=\"{_n(y)}\" stroke=\"#dee2e6\" "
                     f"class=\"chart-grid\"/><text x=\"{left - 6}\" y=\"{_n(y + 4)}\" text-anchor=\"end\" "
                     f"font-size=\"11\" class=\"chart-axis\" data-value=\"{value}\">{escape(fmt(value))}</text>")
    month_ticks = _month_ticks(start, end, max(2, (right - left) // 70)) or [start, end]
    for day in month_ticks:
        x = x_of(day)
        parts.append(f"<line x1=\"{_n(x)}\" x2=\"{_n(x)}\" y1=\"{_n(base_y)}\" y2=\"{_n(base_y + 4)}\" "
                     f"stroke=\"#adb5bd\" class=\"chart-tick\"/>")
        parts.append(_anchored_text(x, base_y + 17, f"{day:%m/%Y}", width, "chart-label",
                                    f" data-date=\"{day.isoformat()}\""))
    if today is not None and start <= today <= end:
        x = x_of(today)
        parts.append(f"<line x1=\"{_n(x)}\" x2=\"{_n(x)}\" y1=\"{top - 4}\" y2=\"{_n(base_y)}\" stroke=\"#b23a48\" "
                     f"stroke-width=\"1.5\" stroke-dasharray=\"4 3\" class=\"chart-today\" "
                     f"data-date=\"{today.isoformat()}\"><title>Hoy, {date_label(today)}</title></line>")
        parts.append(_anchored_text(x, Decimal(top - 6), "hoy", width, "chart-today-label"))
    marks = []
    for si, s in enumerate(series):
        points = sorted(s.points, key=lambda p: p[0])
        if not points:
            continue
        drawn = [(x_of(d), y_of(v), d, Decimal(v)) for d, v in points]
        if s.line:
            line = [(x_of(origin), y_of(0))] if origin and origin < points[0][0] else []
            line += [(x, y) for x, y, _, _ in drawn]
            dash = f" stroke-dasharray=\"{s.dash}\"" if s.dash else ""
            parts.append(f"<polyline fill=\"none\" stroke=\"{s.colour}\" stroke-width=\"2.5\"{dash} "
                         f"class=\"chart-line chart-s{si}\" data-series=\"{escape(s.name)}\" points=\""
                         + " ".join(f"{_n(x)},{_n(y)}" for x, y in line) + "\"/>")
        for x, y, day, value in drawn:
            marks.append({"series": s.name, "date": day, "value": value, "x": x.quantize(TENTH),
                          "y": y.quantize(TENTH)})
            if s.marker == "none":
                continue
            attrs = (f"data-series=\"{escape(s.name)}\" data-date=\"{day.isoformat()}\" data-value=\"{value}\" "
                     f"data-label=\"{date_label(day)}\"")
            parts.append(_marker(s.marker, x, y, s.colour, attrs,
                                 f"{date_label(day)} · {escape(s.name)}: {escape(fmt(value))}"))
    parts.append("</svg>")
    return Chart(title, Markup("".join(parts)), columns, rows, cid, description, marks)
