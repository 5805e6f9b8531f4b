"""Server-rendered, accessible SVG charts built from plain data: the shared pieces and the bar and line charts.

Every function takes plain Python values (labels and ``Decimal``/``int`` values) and returns a ``Chart``:
the SVG markup (every label escaped, no inline ``style`` — the CSP forbids it — only SVG presentation
attributes and CSS classes) plus the same figures as a table, the text alternative shown under the chart.
Geometry is computed with ``Decimal`` so the numbers drawn are exactly the numbers given; each mark
carries ``data-label``/``data-value`` so tests (and curious readers) can check what was drawn.

Rendering a ``Chart`` in a template (``{{ chart }}``) gives a ``<figure>`` with the SVG, a caption and a
collapsible data table.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from markupsafe import Markup, escape

Number = Decimal | int
Formatter = Callable[[Number], str]

PALETTE = ("#0b3d62", "#e07a1f", "#2a9d8f", "#b23a48", "#6c757d", "#8ab17d")
TENTH = Decimal("0.1")
MONEY_TH = ' class="money"'


def plain(value: Number) -> str:
    """Default formatter: integers as 1,234; decimals with two places."""
    value = Decimal(value)
    if value == value.to_integral_value():
        return f"{int(value):,}"
    return f"{value:,.2f}"


def percent(value: Number) -> str:
    return f"{Decimal(value):,.1f} %"


def compact_money(value: Number) -> str:
    """Axis labels in soles: S/ 6.25 M, S/ 12.5 mil, S/ 800."""
    value = Decimal(value)
    for size, suffix in ((Decimal(10) ** 9, " mil M"), (Decimal(10) ** 6, " M"), (Decimal(1000), " mil")):
        if abs(value) >= size:
            text = f"{value / size:,.2f}".rstrip("0").rstrip(".")
            return f"S/ {text}{suffix}"
    return f"S/ {value:,.0f}"


def fit(label: str, width_px: Decimal | int, char_px: Decimal = Decimal("6.6")) -> str:
    """``label`` shortened with «…» to fit ``width_px`` at about ``char_px`` per character (11 px text)."""
    return short_labels([label], width_px, char_px)[0]


# Institutional words abbreviated before anything is cut: «Municipalidad Distrital de La Esperanza» → «M. D. La
# Esperanza», so the part that tells two entities apart (the place) stays visible.
ABBREVIATIONS = {"municipalidad": "M.", "distrital": "D.", "provincial": "P.", "gobierno": "G.", "regional": "R.",
                 "universidad": "U.", "nacional": "N.", "ministerio": "Min.", "instituto": "I.",
                 "programa": "Prog.", "proyecto": "Proy.", "especial": "E."}
LINKS = {"de", "del"}


def abbreviate(label: str) -> str:
    """Institutional words shortened («M. D. La Esperanza»); the linking «de»/«del» after them dropped."""
    out: list[str] = []
    after_abbreviation = False
    for word in label.split():
        short = ABBREVIATIONS.get(word.lower())
        if short:
            out.append(short)
            after_abbreviation = True
        elif after_abbreviation and word.lower() in LINKS:
            continue
        else:
            out.append(word)
            after_abbreviation = False
    return " ".join(out)


def _middle(label: str, room: int, head_share: int = 3) -> str:
    """``label`` cut in the middle to ``room`` characters, keeping the end (where names differ)."""
    if len(label) <= room:
        return label
    keep = room - 1
    head = keep // head_share if head_share else 0
    return label[:head].rstrip() + "…" + label[len(label) - (keep - head):].lstrip()


def short_labels(labels: Sequence[str], width_px: Decimal | int, char_px: Decimal = Decimal("6.6")) -> list[str]:
    """Each label shortened to fit ``width_px`` so that different labels stay different: institutional words
    abbreviated first, then a cut in the middle that keeps the distinguishing end; the full text goes in a
    ``<title>``."""
    room = max(4, int(Decimal(width_px) / char_px))
    out = []
    for label in labels:
        text = label if len(label) <= room else abbreviate(label)
        out.append(_middle(text, room))
    for head_share in (4, 0):  # still equal for different names: keep more of the end
        seen: dict[str, set[str]] = {}
        for label, text in zip(labels, out, strict=True):
            seen.setdefault(text, set()).add(label)
        clashes = {text for text, names in seen.items() if len(names) > 1}
        if not clashes:
            break
        out = [_middle(abbreviate(label), room, head_share) if text in clashes else text
               for label, text in zip(labels, out, strict=True)]
    return out


@dataclass
class Chart:
    """An SVG chart and its data table."""

    title: str
    svg: Markup
    columns: list[str]
    rows: list[list[str]]
    chart_id: str
    description: str = ""
    marks: list[dict] = field(default_factory=list)  # what was drawn: label, series, value, geometry

    def table_html(self) -> Markup:
        head = "".join(f"<th scope=\"col\"{MONEY_TH if i else ''}>{escape(c)}</th>"
                       for i, c in enumerate(self.columns))
        body = []
        for row in self.rows:
            cells = [f"<th scope=\"row\">{escape(row[0])}</th>"]
            cells += [f"<td class=\"money\">{escape(v)}</td>" for v in row[1:]]
            body.append("<tr>" + "".join(cells) + "</tr>")
        return Markup(
            f"<table class=\"table table-sm chart-table\" id=\"{self.chart_id}-tabla\">"
            f"<caption>{escape(self.title)}</caption><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table>"
        )

    def __html__(self) -> str:
        empty = "" if self.rows else "<p class=\"text-muted small mb-0\">Sin datos para mostrar.</p>"
        return (
            f"<figure class=\"chart\" id=\"{self.chart_id}\">"
            f"<figcaption class=\"chart-title\">{escape(self.title)}</figcaption>"
            f"{self.svg if self.rows else ''}{empty}"
            f"<details class=\"chart-data\"><summary>Ver los datos del gráfico en una tabla</summary>"
            f"{self.table_html()}</details></figure>"
        )


def _id(title: str, chart_id: str | None) -> str:
    if chart_id:
        return "".join(ch for ch in chart_id if ch.isalnum() or ch in "-_") or "grafico"
    return "grafico-" + hashlib.sha1(title.encode()).hexdigest()[:8]


def _n(value: Decimal) -> str:
    """A coordinate as text with one decimal at most."""
    value = value.quantize(TENTH)
    return str(value.normalize()) if value != 0 else "0"


def nice_max(value: Number) -> Decimal:
    """The smallest 1, 2, 2.5 or 5 × 10^k that is ≥ ``value`` (a round top for the axis)."""
    value = Decimal(value)
    if value <= 0:
        return Decimal(1)
    exponent = value.adjusted()
    for _ in range(3):
        for step in (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5)):
            candidate = step.scaleb(exponent)
            if candidate >= value:
                return candidate
        exponent += 1
    return value  # pragma: no cover


def nice_ticks(peak: Number, intervals: int = 5) -> list[Decimal]:
    """Axis ticks from 0 in steps of 1, 2, 2.5 or 5 × 10^k, at most ``intervals`` steps, the last ≥ ``peak``."""
    peak = Decimal(peak)
    if peak <= 0:
        return [Decimal(0), Decimal(1)]
    step = nice_max(peak / intervals)
    count = int((peak / step).to_integral_value(rounding="ROUND_CEILING"))
    return [(step * i).normalize() for i in range(count + 1)]


def _svg_open(chart_id: str, title: str, description: str, width: int, height: int) -> str:
    return (
        f"<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart-svg\" viewBox=\"0 0 {width} {height}\" "
        f"width=\"{width}\" height=\"{height}\" preserveAspectRatio=\"xMinYMin meet\" role=\"img\" "
        f"aria-labelledby=\"{chart_id}-t {chart_id}-d\">"
        f"<title id=\"{chart_id}-t\">{escape(title)}</title><desc id=\"{chart_id}-d\">{escape(description)}</desc>"
    )


def _legend(series_names: Sequence[str], x: int, y: int) -> str:
    parts = []
    offset = 0
    for index, name in enumerate(series_names):
        colour = PALETTE[index % len(PALETTE)]
        parts.append(
            f"<rect x=\"{x + offset}\" y=\"{y}\" width=\"12\" height=\"12\" fill=\"{colour}\" class=\"chart-s{index}\"/>"
            f"<text x=\"{x + offset + 16}\" y=\"{y + 10}\" class=\"chart-legend\" font-size=\"12\">{escape(name)}</text>"
        )
        offset += 28 + 7 * len(name)
    return "".join(parts)


def bar_chart(title: str, items: Sequence[tuple[str, Number]], *, fmt: Formatter = plain, funnel: bool = False,
              chart_id: str | None = None, value_label: str = "Valor", description: str = "",
              width: int = 780) -> Chart:
    """Horizontal bars in the given order; ``funnel=True`` centres them (pipeline funnel). ``width`` is the
    drawing's own width: use about 480 for a chart in half a page so its text stays legible."""
    cid = _id(title, chart_id)
    label_w, row_h = max(width * 30 // 100, 180), 30
    bar_w = width - label_w - max(130, width * 16 // 100)
    height = max(1, len(items)) * row_h + 10
    top = max([Decimal(v) for _, v in items] + [Decimal(0)])
    scale = nice_max(top) if not funnel else (top or Decimal(1))
    parts = [_svg_open(cid, title, description or f"{len(items)} barras", width, height)]
    marks = []
    shown = short_labels([label for label, _ in items], label_w - 10, Decimal("7"))
    for index, (label, value) in enumerate(items):
        value = Decimal(value)
        w = (Decimal(bar_w) * value / scale) if scale else Decimal(0)
        x = Decimal(label_w) + ((Decimal(bar_w) - w) / 2 if funnel else 0)
        y = Decimal(index * row_h + 5)
        colour = PALETTE[0]
        parts.append(
            f"<text x=\"{label_w - 8}\" y=\"{_n(y + 15)}\" text-anchor=\"end\" font-size=\"12\" class=\"chart-label\">"
            f"<title>{escape(label)}</title>{escape(shown[index])}</text>"
            f"<rect x=\"{_n(x)}\" y=\"{_n(y)}\" width=\"{_n(w)}\" height=\"{row_h - 8}\" fill=\"{colour}\" "
            f"class=\"chart-bar chart-s0\" data-label=\"{escape(label)}\" data-value=\"{value}\">"
            f"<title>{escape(label)}: {escape(fmt(value))}</title></rect>"
            f"<text x=\"{_n(x + w + 6)}\" y=\"{_n(y + 15)}\" font-size=\"12\" class=\"chart-value\" "
            f"data-label=\"{escape(label)}\">"
            f"{escape(fmt(value))}</text>"
        )
        marks.append({"label": label, "value": value, "width": w.quantize(TENTH), "x": x.quantize(TENTH)})
    parts.append("</svg>")
    rows = [[label, fmt(Decimal(value))] for label, value in items]
    return Chart(title, Markup("".join(parts)), ["", value_label], rows, cid, description, marks)


def grouped_bar_chart(title: str, categories: Sequence[str], series: Sequence[tuple[str, Sequence[Number]]], *,
                      fmt: Formatter = plain, stacked: bool = False, chart_id: str | None = None,
                      description: str = "", total_label: str | None = None, axis_fmt: Formatter | None = None,
                      width: int = 780) -> Chart:
    """Vertical bars per category: side by side (grouped) or one on top of the other (``stacked``).
    ``axis_fmt`` writes the axis ticks (e.g. ``compact_money``); labels and the table use ``fmt``."""
    cid = _id(title, chart_id)
    axis_fmt = axis_fmt or fmt
    for name, values in series:
        if len(values) != len(categories):
            raise ValueError(f"series {name!r} has {len(values)} values for {len(categories)} categories")
    plot_h, left, top_pad = 220, 80, 30
    slot = min(Decimal(width - left - 10) / max(1, len(categories)), Decimal(200))  # few categories: no giant bars
    if stacked:
        peak = max([sum((Decimal(s[1][i]) for s in series), Decimal(0)) for i in range(len(categories))]
                   + [Decimal(0)])
    else:
        peak = max([Decimal(v) for _, values in series for v in values] + [Decimal(0)])
    ticks = nice_ticks(peak)
    scale = ticks[-1]
    height = top_pad + plot_h + 50
    base_y = Decimal(top_pad + plot_h)
    parts = [_svg_open(cid, title, description or f"{len(categories)} categorías, {len(series)} series", width, height)]
    parts.append(_legend([name for name, _ in series], left, 4))
    shown = short_labels(categories, slot - 4)
    for value in ticks:  # horizontal grid with values
        y = base_y - Decimal(plot_h) * value / scale
        parts.append(f"<line x1=\"{left}\" x2=\"{width - 10}\" y1=\"{_n(y)}\" y2=\"{_n(y)}\" stroke=\"#dee2e6\" "
                     f"class=\"chart-grid\"/><text x=\"{left - 6}\" y=\"{_n(y + 4)}\" text-anchor=\"end\" "
                     f"font-size=\"11\" class=\"chart-axis\">{escape(axis_fmt(value))}</text>")
    marks = []
    bar_w = (slot * Decimal("0.8")) / (1 if stacked else max(1, len(series)))
    for ci, category in enumerate(categories):
        x0 = Decimal(left) + slot * ci + slot * Decimal("0.1")
        stack = Decimal(0)
        for si, (name, values) in enumerate(series):
            value = Decimal(values[ci])
            h = Decimal(plot_h) * value / scale
            x = x0 if stacked else x0 + bar_w * si
            y = base_y - h - (Decimal(plot_h) * stack / scale if stacked else 0)
            colour = PALETTE[si % len(PALETTE)]
            parts.append(
                f"<rect x=\"{_n(x)}\" y=\"{_n(y)}\" width=\"{_n(bar_w)}\" height=\"{_n(h)}\" fill=\"{colour}\" "
                f"class=\"chart-bar chart-s{si}\" data-label=\"{escape(category)}\" data-series=\"{escape(name)}\" "
                f"data-value=\"{value}\"><title>{escape(category)} · {escape(name)}: {escape(fmt(value))}</title></rect>"
            )
            marks.append({"label": category, "series": name, "value": value, "height": h.quantize(TENTH),
                          "y": y.quantize(TENTH)})
            if stacked:
                stack += value
        parts.append(f"<text x=\"{_n(x0 + slot * Decimal('0.4'))}\" y=\"{_n(base_y + 16)}\" text-anchor=\"middle\" "
                     f"font-size=\"11\" class=\"chart-label\"><title>{escape(category)}</title>"
                     f"{escape(shown[ci])}</text>")
    parts.append("</svg>")
    columns = [""] + [name for name, _ in series]
    rows = []
    for ci, category in enumerate(categories):
        row = [category] + [fmt(Decimal(values[ci])) for _, values in series]
        if stacked and total_label:
            row.append(fmt(sum((Decimal(values[ci]) for _, values in series), Decimal(0))))
        rows.append(row)
    if stacked and total_label:
        columns.append(total_label)
    return Chart(title, Markup("".join(parts)), columns, rows, cid, description, marks)


def stacked_bar_chart(title: str, categories: Sequence[str], series: Sequence[tuple[str, Sequence[Number]]],
                      **kw) -> Chart:
    """Stacked vertical bars (e.g. arrears ageing by bucket); the table adds a total column."""
    kw.setdefault("total_label", "Total")
    return grouped_bar_chart(title, categories, series, stacked=True, **kw)


def line_chart(title: str, x_labels: Sequence[str], series: Sequence[tuple[str, Sequence[Number | None]]], *,
               fmt: Formatter = percent, y_max: Number | None = 100, chart_id: str | None = None,
               description: str = "", width: int = 780) -> Chart:
    """Lines over ordered x labels (an S-curve: planned vs actual %). ``None`` leaves a point out
    (actual progress not reported yet) and the line stops there."""
    cid = _id(title, chart_id)
    for name, values in series:
        if len(values) != len(x_labels):
            raise ValueError(f"series {name!r} has {len(values)} values for {len(x_labels)} labels")
    plot_h, left, top_pad = 220, 70, 30
    known = [Decimal(v) for _, values in series for v in values if v is not None]
    ticks = nice_ticks(max([Decimal(y_max) if y_max is not None else Decimal(0)] + known))
    scale = ticks[-1]
    step = Decimal(width - left - 20) / max(1, len(x_labels) - 1)
    base_y = Decimal(top_pad + plot_h)
    height = top_pad + plot_h + 50
    parts = [_svg_open(cid, title, description or f"{len(series)} series en {len(x_labels)} periodos", width, height)]
    parts.append(_legend([name for name, _ in series], left, 4))
    for value in ticks:
        y = base_y - Decimal(plot_h) * value / scale
        parts.append(f"<line x1=\"{left}\" x2=\"{width - 10}\" y1=\"{_n(y)}\" y2=\"{_n(y)}\" stroke=\"#dee2e6\" "
                     f"class=\"chart-grid\"/><text x=\"{left - 6}\" y=\"{_n(y + 4)}\" text-anchor=\"end\" "
                     f"font-size=\"11\" class=\"chart-axis\">{escape(fmt(value))}</text>")
    every = max(1, len(x_labels) // 12)
    for xi, label in enumerate(x_labels):
        if xi % every == 0 or xi == len(x_labels) - 1:
            x = Decimal(left) + step * xi
            parts.append(f"<text x=\"{_n(x)}\" y=\"{_n(base_y + 16)}\" text-anchor=\"middle\" font-size=\"11\" "
                         f"class=\"chart-label\">{escape(label)}</text>")
    marks = []
    for si, (name, values) in enumerate(series):
        colour = PALETTE[si % len(PALETTE)]
        points = []
        for xi, value in enumerate(values):
            if value is None:
                continue
            value = Decimal(value)
            x = Decimal(left) + step * xi
            y = base_y - Decimal(plot_h) * value / scale
            points.append((x, y, value, x_labels[xi]))
            marks.append({"label": x_labels[xi], "series": name, "value": value, "y": y.quantize(TENTH)})
        if points:
            dash = " stroke-dasharray=\"6 4\"" if si == 0 and len(series) > 1 else ""
            parts.append(f"<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"2.5\"{dash} "
                         f"class=\"chart-line chart-s{si}\" data-series=\"{escape(name)}\" points=\""
                         + " ".join(f"{_n(x)},{_n(y)}" for x, y, _, _ in points) + "\"/>")
            for x, y, value, label in points:
                parts.append(f"<circle cx=\"{_n(x)}\" cy=\"{_n(y)}\" r=\"3.5\" fill=\"{colour}\" class=\"chart-point\" "
                             f"data-label=\"{escape(label)}\" data-series=\"{escape(name)}\" data-value=\"{value}\">"
                             f"<title>{escape(label)} · {escape(name)}: {escape(fmt(value))}</title></circle>")
    parts.append("</svg>")
    columns = [""] + [name for name, _ in series]
    rows = [[label] + [("—" if values[xi] is None else fmt(Decimal(values[xi]))) for _, values in series]
            for xi, label in enumerate(x_labels)]
    return Chart(title, Markup("".join(parts)), columns, rows, cid, description, marks)


__all__ = [
    "ABBREVIATIONS",
    "Chart",
    "Formatter",
    "LINKS",
    "MONEY_TH",
    "Number",
    "PALETTE",
    "TENTH",
    "abbreviate",
    "bar_chart",
    "compact_money",
    "fit",
    "grouped_bar_chart",
    "line_chart",
    "nice_max",
    "nice_ticks",
    "percent",
    "plain",
    "short_labels",
    "stacked_bar_chart",
]
