"""Charts: what is drawn matches the data (bar sizes, order, labels), labels are escaped, no inline styles,
and each chart carries the same figures as a table."""
from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest

from portfolio import charts
from portfolio.money import format_money

SVG = "{http://www.w3.org/2000/svg}"


def svg_tree(chart):
    return ET.fromstring(str(chart.svg))


def rects(chart):
    return [r for r in svg_tree(chart).iter(f"{SVG}rect") if "chart-bar" in r.get("class", "")]


def test_nice_max_rounds_up_to_a_round_axis_top():
    assert charts.nice_max(Decimal("513")) == 1000
    assert charts.nice_max(7) == 10
    assert charts.nice_max(Decimal("2.1")) == Decimal("2.5")
    assert charts.nice_max(190) == 200
    assert charts.nice_max(0) == 1


def test_bar_widths_are_proportional_to_values_and_keep_order():
    chart = charts.bar_chart("Proyectos por etapa", [("Priorizado", 8), ("Adjudicado", 4), ("En ejecución", 2)])
    bars = rects(chart)
    assert [b.get("data-label") for b in bars] == ["Priorizado", "Adjudicado", "En ejecución"]
    assert [Decimal(b.get("data-value")) for b in bars] == [8, 4, 2]
    widths = [Decimal(b.get("width")) for b in bars]
    # drawing 780 wide: labels 234, bars 416, values 130; axis top nice_max(8) = 10 → 416 × 8/10 = 332.8
    assert widths == [Decimal("332.8"), Decimal("166.4"), Decimal("83.2")]
    assert chart.rows == [["Priorizado", "8"], ["Adjudicado", "4"], ["En ejecución", "2"]]


def test_funnel_centres_bars_and_widest_fills_the_plot():
    chart = charts.bar_chart("Embudo", [("A", 10), ("B", 5)], funnel=True)
    a, b = rects(chart)
    assert Decimal(a.get("width")) == 416 and Decimal(a.get("x")) == 234
    assert Decimal(b.get("width")) == 208 and Decimal(b.get("x")) == 234 + 104


def test_money_values_use_the_formatter_in_labels_and_table():
    chart = charts.bar_chart("Inversión", [("INPE", Decimal("211000000.50"))], fmt=format_money, value_label="Monto")
    assert chart.rows == [["INPE", "S/\u00a0211,000,000.50"]]
    assert "S/\u00a0211,000,000.50" in str(chart.svg)
    assert chart.columns == ["", "Monto"]


def test_labels_are_escaped_everywhere():
    evil = '<script>alert("x")</script> & "q"'
    chart = charts.grouped_bar_chart(evil, [evil], [(evil, [1])])
    html = str(chart.__html__())
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    ET.fromstring(str(chart.svg))  # still well-formed XML


def test_no_inline_style_attributes():
    for chart in (
        charts.bar_chart("a", [("x", 1)]),
        charts.grouped_bar_chart("b", ["x"], [("s", [1])]),
        charts.stacked_bar_chart("c", ["x"], [("s", [1]), ("t", [2])]),
        charts.line_chart("d", ["x", "y"], [("s", [1, 2])]),
    ):
        html = str(chart.__html__())
        assert "style=" not in html
        assert "<script" not in html


def test_grouped_bars_heights_by_series():
    chart = charts.grouped_bar_chart("Programa", ["Prevención", "Policía"],
                                     [("Plan", [100, 50]), ("Reservado", [40, 50]), ("Pagado", [20, 0])])
    bars = rects(chart)
    assert [(b.get("data-label"), b.get("data-series"), Decimal(b.get("data-value"))) for b in bars] == [
        ("Prevención", "Plan", 100), ("Prevención", "Reservado", 40), ("Prevención", "Pagado", 20),
        ("Policía", "Plan", 50), ("Policía", "Reservado", 50), ("Policía", "Pagado", 0),
    ]
    heights = [Decimal(b.get("height")) for b in bars]
    assert heights == [220, Decimal("88"), Decimal("44"), 110, 110, 0]
    assert chart.rows[0] == ["Prevención", "100", "40", "20"]
    assert chart.columns == ["", "Plan", "Reservado", "Pagado"]


def test_grouped_bars_refuse_series_of_the_wrong_length():
    with pytest.raises(ValueError):
        charts.grouped_bar_chart("x", ["a", "b"], [("s", [1])])


def test_stacked_bars_stack_and_table_has_totals():
    chart = charts.stacked_bar_chart("Morosidad", ["2026-01", "2026-02"],
                                     [("0–30 días", [30, 10]), ("31–60 días", [20, 0]), ("> 90 días", [50, 0])])
    bars = rects(chart)
    first = [b for b in bars if b.get("data-label") == "2026-01"]
    # scale: peak 100 → top 100; plot height 220 → heights 66, 44, 110; stacked from the base (y=250)
    assert [Decimal(b.get("height")) for b in first] == [66, 44, 110]
    assert [Decimal(b.get("y")) for b in first] == [184, 140, 30]
    assert chart.rows == [["2026-01", "30", "20", "50", "100"], ["2026-02", "10", "0", "0", "10"]]
    assert chart.columns[-1] == "Total"


def test_line_chart_points_follow_values_and_skip_missing():
    chart = charts.line_chart("Curva S", ["T1", "T2", "T3"],
                              [("Programado", [10, 50, 100]), ("Real", [5, 40, None])])
    tree = svg_tree(chart)
    points = [c for c in tree.iter(f"{SVG}circle")]
    real = [(p.get("data-label"), Decimal(p.get("data-value")), Decimal(p.get("cy")))
            for p in points if p.get("data-series") == "Real"]
    # y = 250 − 220 × v / 100
    assert real == [("T1", 5, Decimal("239")), ("T2", 40, Decimal("162"))]
    lines = {pl.get("data-series"): pl.get("points") for pl in tree.iter(f"{SVG}polyline")}
    assert len(lines["Real"].split()) == 2 and len(lines["Programado"].split()) == 3
    assert chart.rows == [["T1", "10.0 %", "5.0 %"], ["T2", "50.0 %", "40.0 %"], ["T3", "100.0 %", "—"]]


def test_chart_html_has_accessible_name_and_table_alternative():
    chart = charts.bar_chart("Cartera", [("A", 1)], chart_id="cartera")
    html = str(chart.__html__())
    assert 'role="img"' in html and 'aria-labelledby="cartera-t cartera-d"' in html
    assert re.search(r"<table[^>]*id=\"cartera-tabla\"", html)
    assert "<caption>Cartera</caption>" in html


def test_empty_chart_says_so_instead_of_drawing():
    chart = charts.bar_chart("Nada", [])
    html = str(chart.__html__())
    assert "Sin datos para mostrar" in html and "<svg" not in html


def test_compact_money_axis_and_long_labels_fit():
    assert charts.compact_money(Decimal("6250000")) == "S/ 6.25 M"
    assert charts.compact_money(Decimal("12500")) == "S/ 12.5 mil"
    assert charts.compact_money(Decimal("800")) == "S/ 800"
    long = "Municipalidad Distrital de Víctor Larco Herrera"
    chart = charts.grouped_bar_chart("Topes", [long, "MPT"], [("Tope", [Decimal("25000000"), 1])],
                                     fmt=format_money, axis_fmt=charts.compact_money, width=480)
    svg = str(chart.svg)
    assert "S/ 25 M" in svg and "S/\u00a025,000,000.00" in svg  # axis compact, tooltip exact
    labels = [t for t in svg_tree(chart).iter(f"{SVG}text") if t.get("class") == "chart-label"]
    shown = ["".join(t.itertext()).replace(t.find(f"{SVG}title").text, "") for t in labels]
    assert shown[0] == "M. D. Víctor Larco Herrera"  # institutional words abbreviated, the place kept
    assert labels[0].find(f"{SVG}title").text == long  # the full name stays available
    assert chart.rows[0][0] == long  # and the table is never shortened


# --- ticks, labels, value labels -----------------------------------------------------------------------

def nice(value: Decimal) -> bool:
    """1, 2, 2.5 or 5 × 10^k."""
    mantissa = value.scaleb(-value.adjusted()).normalize()
    return mantissa in (1, 2, Decimal("2.5"), 5)


def axis_values(chart):
    texts = [t for t in svg_tree(chart).iter(f"{SVG}text") if t.get("class") == "chart-axis"]
    return texts


@pytest.mark.parametrize("peak", [Decimal("25000000"), Decimal("250000"), Decimal("23456789"), 7, 513, 100])
def test_axis_ticks_are_round_multiples_of_a_nice_step(peak):
    ticks = charts.nice_ticks(peak)
    step = ticks[1]
    assert ticks[0] == 0 and ticks[-1] >= peak and len(ticks) <= 6 and nice(step)
    assert all(t == step * i for i, t in enumerate(ticks))
    chart = charts.grouped_bar_chart("Topes", ["A"], [("Tope", [peak])], axis_fmt=charts.compact_money)
    shown = ["".join(t.itertext()) for t in axis_values(chart)]
    assert not any(".25" in text or ".5 mil" in text or "6.25" in text for text in shown), shown


def test_money_axis_reads_s_5_m_not_6_25_m():
    chart = charts.grouped_bar_chart("Topes", ["A", "B"], [("Tope", [Decimal("25000000"), Decimal("3000000")])],
                                     axis_fmt=charts.compact_money)
    shown = ["".join(t.itertext()) for t in axis_values(chart)]
    assert shown == ["S/ 0", "S/ 5 M", "S/ 10 M", "S/ 15 M", "S/ 20 M", "S/ 25 M"]
    small = charts.grouped_bar_chart("x", ["A"], [("v", [Decimal("2300000")])], axis_fmt=charts.compact_money)
    assert "S/ 500 mil" in ["".join(t.itertext()) for t in axis_values(small)]


def test_two_different_long_names_stay_different_and_keep_the_full_name():
    names = ["Municipalidad Distrital de La Esperanza", "Municipalidad Distrital de El Porvenir",
             "Municipalidad Distrital de Víctor Larco Herrera", "Gobierno Regional de La Libertad"]
    for width in (480, 780, 320):
        chart = charts.grouped_bar_chart("Topes", names, [("Tope", [1, 2, 3, 4])], width=width)
        labels = [t for t in svg_tree(chart).iter(f"{SVG}text") if t.get("class") == "chart-label"]
        shown = ["".join(t.itertext()).replace(t.find(f"{SVG}title").text, "") for t in labels]
        assert len(set(shown)) == len(names), shown
        assert not any(s.startswith("Municipalidad Distr") for s in shown)
        assert [t.find(f"{SVG}title").text for t in labels] == names
    # cut in the middle keeps the distinguishing end when even the abbreviation does not fit
    tight = charts.short_labels(["Municipalidad Distrital de Santiago de Chuco Alto",
                                 "Municipalidad Distrital de Santiago de Chuco Bajo"], 80)
    assert tight[0] != tight[1] and tight[0].endswith("Alto") and tight[1].endswith("Bajo")


def test_bar_value_labels_sit_next_to_the_end_of_their_bars():
    chart = charts.bar_chart("Desembolsos", [("Programa A", 100), ("Programa B", 10)], fmt=format_money, width=640)
    tree = svg_tree(chart)
    values = {t.get("data-label"): Decimal(t.get("x")) for t in tree.iter(f"{SVG}text")
              if t.get("class") == "chart-value"}
    for bar in rects(chart):
        end = Decimal(bar.get("x")) + Decimal(bar.get("width"))
        assert end < values[bar.get("data-label")] <= end + 8


# --- the time axis (S-curve) ---------------------------------------------------------------------------

def points_of(chart, series):
    out = []
    for el in svg_tree(chart).iter():
        if el.get("class") == "chart-point" and el.get("data-series") == series:
            if el.tag == f"{SVG}circle":
                x, y = Decimal(el.get("cx")), Decimal(el.get("cy"))
            else:
                x = Decimal(el.get("x")) + Decimal(el.get("width")) / 2
                y = Decimal(el.get("y")) + Decimal(el.get("height")) / 2
            out.append((dt.date.fromisoformat(el.get("data-date")), Decimal(el.get("data-value")), x, y))
    return out


def label_fits(text_el, width):
    x, n = Decimal(text_el.get("x")), len("".join(text_el.itertext()))
    extent = charts.CHAR_PX * n
    anchor = text_el.get("text-anchor", "start")
    lo = x - extent / 2 if anchor == "middle" else x - extent if anchor == "end" else x
    return lo >= 0 and lo + extent <= width


def test_time_axis_is_proportional_to_days_and_values():
    # uneven gaps: 10 days, then 300 days — an evenly spaced axis would put the middle point half-way
    dates = [dt.date(2025, 1, 1), dt.date(2025, 1, 11), dt.date(2025, 11, 7)]
    chart = charts.time_chart("Curva S", [charts.TimeSeries("Real", list(zip(dates, [10, 20, 100], strict=True)))],
                              today=dt.date(2025, 6, 1), width=640)
    pts = points_of(chart, "Real")
    (d0, _, x0, _), (_, _, x_last, _) = pts[0], pts[-1]
    span = (dates[-1] - dates[0]).days
    for day, _value, x, _y in pts:
        assert abs(x - (x0 + (x_last - x0) * (day - d0).days / span)) <= Decimal("0.1")
    ys = {value: y for _, value, _, y in pts}
    base = ys[Decimal(10)] + (ys[Decimal(10)] - ys[Decimal(20)])  # y of 0
    for value, y in ys.items():
        assert abs((base - y) - (base - ys[Decimal(100)]) * value / 100) <= Decimal("0.2")
    assert pts[1][2] - pts[0][2] < (pts[2][2] - pts[0][2]) / 20  # the 10-day gap is drawn short
    tree = svg_tree(chart)
    hoy = [el for el in tree.iter(f"{SVG}line") if el.get("class") == "chart-today"]
    assert len(hoy) == 1 and hoy[0].get("stroke-dasharray")
    expected = x0 + (x_last - x0) * (dt.date(2025, 6, 1) - d0).days / span
    assert abs(Decimal(hoy[0].get("x1")) - expected) <= Decimal("0.1")
    assert any("".join(t.itertext()) == "hoy" for t in tree.iter(f"{SVG}text"))


def test_time_axis_ticks_are_months_and_no_label_is_clipped():
    width = 640
    chart = charts.time_chart("Curva S", [charts.TimeSeries("Real", [(dt.date(2024, 2, 14), 0),
                                                                      (dt.date(2026, 3, 31), 100)])], width=width)
    tree = svg_tree(chart)
    assert tree.get("viewBox") == f"0 0 {width} {tree.get('height')}"
    labels = [t for t in tree.iter(f"{SVG}text") if t.get("class") == "chart-label"]
    assert labels and all(re.fullmatch(r"\d\d/\d{4}", "".join(t.itertext())) for t in labels)
    assert all(label_fits(t, width) for t in tree.iter(f"{SVG}text")), "a label runs out of the drawing"
    assert "".join(labels[-1].itertext()) == "01/2026" or labels[-1].get("text-anchor") in ("middle", "end")
    ticks = [Decimal(t.get("data-value")) for t in axis_values(chart)]
    assert ticks[0] == 0 and ticks[-1] == 100 and nice(ticks[1])


def test_hoy_is_not_drawn_outside_the_range():
    chart = charts.time_chart("x", [charts.TimeSeries("Real", [(dt.date(2025, 1, 1), 5), (dt.date(2025, 3, 1), 9)])],
                              today=dt.date(2026, 1, 1))
    assert not [el for el in svg_tree(chart).iter(f"{SVG}line") if el.get("class") == "chart-today"]


def test_project_s_curve_real_series_stay_distinguishable_when_equal():
    from types import SimpleNamespace

    from portfolio.projects import chart as scurve

    day1, day2 = dt.date(2025, 3, 1), dt.date(2025, 6, 1)
    milestone = dict(planned_physical=1, amount=Decimal("500"), accepted=True, actual_physical=1)
    milestones = [SimpleNamespace(planned_date=day1, planned_physical_pct=Decimal(50), actual_date=day1,
                                  actual_physical_pct=Decimal(50), conformity_date=day1, **milestone),
                  SimpleNamespace(planned_date=day2, planned_physical_pct=Decimal(100), actual_date=day2,
                                  actual_physical_pct=Decimal(100), conformity_date=day2, **milestone)]
    project = SimpleNamespace(current_convenio_amount=Decimal("1000"), convenio_on=dt.date(2025, 1, 1))
    curve = scurve.build(project, milestones, today=dt.date(2025, 4, 15))
    chart = curve.chart
    physical = points_of(chart, "Avance físico real")
    financial = points_of(chart, "Avance financiero real (valorizaciones con conformidad)")
    assert [(d, v) for d, v, _, _ in physical] == [(d, v) for d, v, _, _ in financial]  # the same figures…
    tree = svg_tree(chart)
    kinds = {el.get("data-series"): el.tag for el in tree.iter() if el.get("class") == "chart-point"}
    assert kinds["Avance físico real"] != kinds["Avance financiero real (valorizaciones con conformidad)"]
    lines = {pl.get("data-series") for pl in tree.iter(f"{SVG}polyline")}
    assert "Avance físico real" in lines  # …drawn once as a line with dots, once as hollow squares only
    assert "Avance financiero real (valorizaciones con conformidad)" not in lines
    squares = [el for el in tree.iter(f"{SVG}rect") if el.get("class") == "chart-point"]
    assert squares and all(el.get("fill") == "none" for el in squares)
    legend = ["".join(t.itertext()) for t in tree.iter(f"{SVG}text") if t.get("class") == "chart-legend"]
    assert legend == [s.label for s in curve.series]
    assert chart.rows[0][0] == "01/03/2025" and chart.rows[0][1:] == ["50.0 %", "50.0 %", "50.0 %", "50.0 %"]
