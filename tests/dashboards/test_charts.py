"""Charts: what is drawn matches the data (bar sizes, order, labels), labels are escaped, no inline styles,
and each chart carries the same figures as a table."""
from __future__ import annotations

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
    assert shown[0].endswith("…") and len(shown[0]) < len(long)
    assert labels[0].find(f"{SVG}title").text == long  # the full name stays available
    assert chart.rows[0][0] == long  # and the table is never shortened
