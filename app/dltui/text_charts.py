"""Charts and figures drawn in text: bars, sparklines, durations and numbers.

Every place that draws one (review statistics, the Labs pane's progress line, `dltui lab attach`)
draws it here, so a bar or a sparkline looks and rounds the same wherever it appears. Plain
characters only: repainting a line of text never asks a Textual screen for a new layout.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

SPARK = "▁▂▃▄▅▆▇█"


def text_bar(fraction: float, width: int = 20, full: str = "█", empty: str = "░", half: str = "") -> str:
    """``fraction`` (clamped to 0..1) of ``width`` cells filled.

    With a ``half`` character a cell that is at least half filled shows it; without one the
    filled part is rounded to whole cells.
    """
    filled = max(0.0, min(1.0, fraction)) * width
    if not half:
        cells = round(filled)
        return full * cells + empty * (width - cells)
    cells = int(filled)
    tip = half if filled - cells >= 0.5 and cells < width else ""
    return full * cells + tip + empty * (width - cells - len(tip))


def sparkline(values: Sequence[float], low: float | None = None) -> str:
    """One block character per value, from ``low`` (the smallest value unless given) to the largest."""
    if not values:
        return ""
    bottom = min(values) if low is None else low
    span = max(values) - bottom
    if span <= 0:
        return SPARK[0] * len(values)
    top = len(SPARK) - 1
    return "".join(SPARK[max(0, min(top, round((v - bottom) / span * top)))] for v in values)


def format_duration(seconds: float | None) -> str:
    """``mm:ss``, or ``h:mm:ss`` from an hour up; ``--:--`` when unknown."""
    if seconds is None:
        return "--:--"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60:02d}:{rest % 60:02d}"


def format_value(value: Any) -> str:
    """A metric as a learner reads it: four significant digits for a float, anything else as is."""
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)
