"""The bar chart macro: bars in proportion to the largest figure, every label and figure written
out, a title and a description for screen readers, and no inline styles for the CSP to block."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from flask import Flask

SVG = "{http://www.w3.org/2000/svg}"


def render_chart(app: Flask, bars: list[dict], chart_id: str = "money") -> ET.Element:
    with app.app_context():
        macros = app.jinja_env.get_template("macros/charts.html").module
        markup = str(macros.bar_chart(chart_id, "Money in 2025/26", "Bar chart of money.", bars))
    assert "style=" not in markup
    return ET.fromstring(markup)  # noqa: S314 (the app's own template output, not untrusted)


def bar_lengths(svg: ET.Element) -> list[float]:
    return [float(rect.get("width")) for rect in svg.iter(f"{SVG}rect") if rect.get("y")]


def texts(svg: ET.Element) -> list[str]:
    return [text.text or "" for text in svg.iter(f"{SVG}text")]


def test_bars_are_in_proportion_to_the_largest_value(app):
    svg = render_chart(
        app,
        [
            {"label": "Budget", "value": 10_000, "text": "£100.00"},
            {"label": "Committed", "value": 2_500, "text": "£25.00"},
            {"label": "Paid", "value": 5_000, "text": "£50.00"},
            {"label": "Offered", "value": 0, "text": "£0.00"},
        ],
    )
    budget, committed, paid, offered = bar_lengths(svg)
    assert budget > 0
    assert committed == pytest.approx(budget / 4, abs=0.1)
    assert paid == pytest.approx(budget / 2, abs=0.1)
    assert offered == 0


def test_each_bar_has_its_label_and_its_figure_beside_it(app):
    svg = render_chart(
        app,
        [
            {"label": "On time", "value": 3, "text": "3"},
            {"label": "Late", "value": 1, "text": "1"},
        ],
    )
    assert texts(svg) == ["On time", "3", "Late", "1"]
    # The figure starts just past the end of its bar.
    rects = [r for r in svg.iter(f"{SVG}rect") if r.get("y")]
    figures = [t for t in svg.iter(f"{SVG}text") if t.get("font-weight") == "bold"]
    for rect, figure in zip(rects, figures, strict=True):
        assert float(figure.get("x")) == pytest.approx(float(rect.get("width")) + 8)


def test_a_chart_of_nothing_but_zeroes_draws_empty_bars(app):
    svg = render_chart(
        app,
        [
            {"label": "Budget", "value": 0, "text": "£0.00"},
            {"label": "Committed", "value": 0, "text": "£0.00"},
        ],
    )
    assert bar_lengths(svg) == [0, 0]
    assert texts(svg) == ["Budget", "£0.00", "Committed", "£0.00"]


def test_a_negative_value_draws_no_bar_and_says_what_it_is(app):
    svg = render_chart(
        app,
        [
            {"label": "Budget", "value": 100, "text": "£1.00"},
            {"label": "Remaining", "value": -50, "text": "-£0.50"},
        ],
    )
    assert bar_lengths(svg)[1] == 0
    assert "-£0.50" in texts(svg)


def test_a_chart_with_no_bars_is_still_a_titled_image(app):
    svg = render_chart(app, [])
    assert bar_lengths(svg) == []
    assert svg.find(f"{SVG}title").text == "Money in 2025/26"


def test_screen_readers_get_a_title_and_a_description_listing_every_figure(app):
    svg = render_chart(
        app,
        [
            {"label": "Budget", "value": 10_000, "text": "£100.00"},
            {"label": "Paid", "value": 5_000, "text": "£50.00"},
        ],
        chart_id="money-chart",
    )
    assert svg.get("role") == "img"
    assert svg.get("aria-labelledby") == "money-chart-title money-chart-desc"
    title, desc = svg.find(f"{SVG}title"), svg.find(f"{SVG}desc")
    assert (title.get("id"), title.text) == ("money-chart-title", "Money in 2025/26")
    assert desc.get("id") == "money-chart-desc"
    assert desc.text == "Bar chart of money. Budget: £100.00. Paid: £50.00."


def test_colours_come_with_patterns_named_for_the_chart(app):
    svg = render_chart(
        app,
        [{"label": f"Bar {n}", "value": n + 1, "text": str(n + 1)} for n in range(7)],
        chart_id="returns",
    )
    patterns = [p.get("id") for p in svg.iter(f"{SVG}pattern")]
    assert patterns == [f"returns-pattern-{n}" for n in range(6)]
    fills = [r.get("fill") for r in svg.iter(f"{SVG}rect") if r.get("y")]
    # One pattern per bar in turn, starting again after the sixth.
    assert fills == [f"url(#returns-pattern-{n % 6})" for n in range(7)]


def test_a_bar_may_choose_its_pattern(app):
    svg = render_chart(app, [{"label": "Paid", "value": 1, "text": "1", "style": 4}])
    assert [r.get("fill") for r in svg.iter(f"{SVG}rect") if r.get("y")] == [
        "url(#money-pattern-4)"
    ]


def test_long_labels_are_shortened_in_the_chart_only(app):
    label = "Young people from the estate attend at least ten of the weekly boxing sessions"
    svg = render_chart(app, [{"label": label, "value": 1, "text": "1"}])
    shown = texts(svg)[0]
    assert len(shown) <= 60 and shown.endswith("...")
    assert label in svg.find(f"{SVG}desc").text


def test_the_figures_table_repeats_the_bars(app):
    with app.app_context():
        macros = app.jinja_env.get_template("macros/charts.html").module
        markup = str(
            macros.figures_table(
                "Money in 2025/26",
                [{"label": "Budget", "value": 1, "text": "£0.01"}],
                "Figure",
                "Amount",
            )
        )
    assert re.search(r"<caption[^>]*>\s*Money in 2025/26\s*</caption>", markup)
    assert '<th scope="row" class="govuk-table__header">Budget</th>' in markup
    assert '<td class="govuk-table__cell govuk-table__cell--numeric">£0.01</td>' in markup
