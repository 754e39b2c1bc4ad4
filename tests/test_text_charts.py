"""The one module that draws bars, sparklines, durations and numbers in text."""

from __future__ import annotations

from dltui.text_charts import format_duration, format_value, sparkline, text_bar


def test_a_bar_rounds_to_whole_cells_and_clamps():
    assert text_bar(0.5, 10) == "█████░░░░░"
    assert text_bar(0.96, 10) == "██████████"
    assert text_bar(-1, 4) == "░░░░" and text_bar(2, 4) == "████"


def test_a_bar_with_a_half_cell_shows_it_and_never_overflows():
    assert text_bar(0.35, 10, "━", "─", "╸") == "━━━╸──────"
    assert text_bar(0.32, 10, "━", "─", "╸") == "━━━───────"
    assert text_bar(1.0, 10, "━", "─", "╸") == "━" * 10
    assert text_bar(0.4, 8, "#", ".") == "###....."


def test_a_sparkline_spans_its_values_or_starts_at_a_given_floor():
    assert sparkline([3.0, 2.0, 1.0, 0.0]) == "█▆▃▁"
    assert sparkline([0, 1, 2, 4], low=0) == "▁▃▅█"
    assert sparkline([5, 5]) == "▁▁" and sparkline([]) == ""


def test_durations_and_values_read_as_a_learner_expects():
    assert format_duration(None) == "--:--"
    assert format_duration(75) == "01:15"
    assert format_duration(3725) == "1:02:05"
    assert format_value(0.0123456) == "0.01235" and format_value(3) == "3"
