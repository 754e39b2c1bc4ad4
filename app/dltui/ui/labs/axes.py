"""Round axis ticks for the lab plots: steps of 1, 2 or 5 times a power of ten (0, 250, 500).

plotext places ticks at even fractions of the data range ("50.0 467.5 885.0"); a learner reads
an axis faster at round numbers. On a log scale the curve is drawn as log10(y) on a linear axis
(plotext's own log mode fails on an empty panel) and labelled with the y values themselves.
"""

from __future__ import annotations

import math

STEPS = (1.0, 2.0, 5.0, 10.0)


def round_step(span: float, most: int) -> float:
    """The smallest 1-2-5 step that cuts ``span`` into at most ``most`` intervals."""
    most = max(1, most)
    raw = span / most if span > 0 else 1.0
    power = 10.0 ** math.floor(math.log10(raw))
    return next(step * power for step in STEPS if step * power >= raw * (1 - 1e-9))


def round_ticks(low: float, high: float, most: int) -> tuple[float, float, list[float]]:
    """Axis limits widened to round numbers, and the round ticks between them (at most ``most``+1)."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return 0.0, 1.0, [0.0, 1.0]
    if high <= low:  # one point, or a flat curve: give it a little room
        pad = abs(low) * 0.1 or 1.0
        low, high = low - pad, high + pad
    step = round_step(high - low, most)
    start, end = math.floor(low / step + 1e-9) * step, math.ceil(high / step - 1e-9) * step
    count = int(round((end - start) / step))
    ticks = [_clean(start + i * step) for i in range(count + 1)]
    return ticks[0], ticks[-1], ticks


def inner_ticks(low: float, high: float, most: int) -> list[float]:
    """Round ticks inside [low, high] without widening it (the x axis: it ends at the last step).

    At least two ticks when the range allows: a coarse step that leaves one tick inside is
    refined (1000 -> 500 -> 200) until a second one fits.
    """
    if high <= low:
        return [_clean(low)]
    step = round_step(high - low, max(1, most))
    while True:
        first = math.ceil(low / step - 1e-9) * step
        ticks = [_clean(first + i * step) for i in range(int((high - first) / step + 1e-9) + 1)]
        if len(ticks) >= 2:
            return ticks
        step = _finer(step)


def _finer(step: float) -> float:
    """The next 1-2-5 step below ``step``."""
    power = 10.0 ** math.floor(math.log10(step) + 1e-9)
    mantissa = round(step / power)
    return {1: 0.5, 2: 1.0, 5: 2.0}.get(mantissa, 1.0) * power


def _clean(value: float) -> float:
    """0.30000000000000004 -> 0.3, so that labels and comparisons stay exact."""
    return float(f"{value:.12g}")


def tick_label(value: float, step: float) -> str:
    """A tick's text with as many decimals as the step needs: 0.05, 250, 12k."""
    if abs(value) >= 10_000 and step >= 1000:
        return f"{value / 1000:g}k"
    decimals = max(0, -math.floor(math.log10(step) + 1e-9)) if step > 0 else 0
    return f"{value:.{decimals}f}"


def labels(ticks: list[float]) -> list[str]:
    step = ticks[1] - ticks[0] if len(ticks) > 1 else (abs(ticks[0]) or 1.0)
    return [tick_label(t, step) for t in ticks]


def log_ticks(low: float, high: float, most: int) -> tuple[float, float, list[float], list[str]]:
    """For curves drawn as log10(y): limits, tick positions (log10 of round values) and labels."""
    first, last = math.floor(low + 1e-9), math.ceil(high - 1e-9)
    if last - first >= 2:  # two decades or more: one tick per decade (every other when crowded)
        every = max(1, math.ceil((last - first) / max(1, most)))
        powers = list(range(first, last + 1, every))
        values = [10.0**p for p in powers]
        return float(powers[0]), float(powers[-1]), [float(p) for p in powers], [f"{v:g}" for v in values]
    # Within a decade or two: round values on the linear scale, placed at their logarithms.
    low_v, high_v = 10.0**low, 10.0**high
    step = round_step(high_v - low_v, most)
    values = [v for v in inner_ticks(low_v, high_v, most) if v > 0] or [_clean(low_v)]
    return low, high, [math.log10(v) for v in values], [tick_label(v, step) for v in values]
