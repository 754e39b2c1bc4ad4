"""The lab plot's data path and drawing, held equal to straightforward references.

Smoothing and downsampling are computed in NumPy and kept between redraws (blocks of sums), and
the plot is drawn from plotext's cell matrix instead of its ANSI text; each is compared here to
the plain computation (a Python loop per point) or to the ANSI drawing, on random data with
NaN and infinite values, and with points arriving between calls as they do from a live run.
"""

from __future__ import annotations

import math
import random
from pathlib import Path

import pytest
from dltui.labs.monitor import RunMonitor
from dltui.labs.series import MAX_BLOCKS, MetricSeries, downsample, plot_points, smooth
from dltui.ui.labs.metric_plot import SMOOTHING_STEPS, MetricPlot, PredictionMark
from rich.text import Text
from textual.app import App, ComposeResult
from textual.geometry import Region
from textual.visual import Visual, visualize

NAN, INF = float("nan"), float("inf")


def reference_smooth(values: list[float], weight: float) -> list[float]:
    """TensorBoard's smoothing, one point at a time; non-finite values pass through."""
    if weight <= 0:
        return list(values)
    weight = min(weight, 0.999)
    out, last, count = [], 0.0, 0
    for value in values:
        if not math.isfinite(value):
            out.append(value)
            continue
        count += 1
        last = last * weight + (1 - weight) * value
        out.append(last / (1 - weight**count))
    return out


def reference_downsample(xs: list[float], ys: list[float], width: int) -> tuple[list[float], list[float]]:
    """The documented thinning, point by point: first and last as they are, means of runs between.

    The inner points fall in blocks of a power-of-two size (the smallest that leaves at most
    MAX_BLOCKS blocks); the blocks are cut into min(width - 2, blocks) runs of equal length (±1);
    a run's point is the mean over its pairs where both x and y are finite (none: no point).
    """

    def finite(x, y):
        return math.isfinite(x) and math.isfinite(y)

    n = len(xs)
    if n <= max(width, 2):
        kept = [(x, y) for x, y in zip(xs, ys) if finite(x, y)]
        return [k[0] for k in kept], [k[1] for k in kept]
    inner, size = n - 2, 1
    while math.ceil(inner / size) > MAX_BLOCKS:
        size *= 2
    blocks = math.ceil(inner / size)
    runs = min(max(width, 3) - 2, blocks)
    out_x, out_y = [], []
    if finite(xs[0], ys[0]):
        out_x.append(xs[0])
        out_y.append(ys[0])
    for run in range(runs):
        lo = 1 + (run * blocks // runs) * size
        hi = min(n - 1, 1 + ((run + 1) * blocks // runs) * size)
        pairs = [(x, y) for x, y in zip(xs[lo:hi], ys[lo:hi]) if finite(x, y)]
        if pairs:
            out_x.append(sum(p[0] for p in pairs) / len(pairs))
            out_y.append(sum(p[1] for p in pairs) / len(pairs))
    if finite(xs[-1], ys[-1]):
        out_x.append(xs[-1])
        out_y.append(ys[-1])
    return out_x, out_y


def noisy_points(chance: random.Random, count: int, start: int) -> list[tuple[float, float | None, float]]:
    """(step, epoch, value) of a falling noisy loss, with a NaN, an inf and a missing epoch now and then."""
    points = []
    for step in range(start, start + count):
        roll = chance.random()
        value = NAN if roll < 0.01 else INF if roll < 0.015 else 2.0 * math.exp(-step / 5000) + chance.gauss(0, 0.3)
        epoch = None if chance.random() < 0.05 else step / 100
        points.append((float(step), epoch, value))
    return points


def same_points(got: tuple[list[float], list[float]], want: tuple[list[float], list[float]]) -> None:
    assert len(got[0]) == len(want[0])
    assert got[0] == pytest.approx(want[0], rel=1e-9, abs=1e-9)
    assert got[1] == pytest.approx(want[1], rel=1e-9, abs=1e-9)


@pytest.mark.parametrize("weight", [0.0, 0.6, 0.99])
def test_plot_points_equal_the_reference_as_points_arrive_past_several_rebucketings(weight):
    chance = random.Random(7)
    series = MetricSeries("train/loss")
    # From fewer points than the width to 20x MAX_BLOCKS: the blocks double in size four times.
    for count in (30, 500, 1700, 3000, 9000, 27_000):
        for step, epoch, value in noisy_points(chance, count, len(series)):
            series.add(step, epoch, value)
        ys = reference_smooth(list(series.values), weight)
        for x_axis, xs in (("step", list(series.steps)), ("epoch", list(series.epochs))):
            for width in (10, 76, 300):
                same_points(plot_points(series, x_axis, weight, width), reference_downsample(xs, ys, width))
        log_x, log_y = reference_downsample(list(series.steps), ys, 76)
        kept = [(x, y) for x, y in zip(log_x, log_y) if y > 0]
        same_points(plot_points(series, "step", weight, 76, log_scale=True), ([k[0] for k in kept], [k[1] for k in kept]))


def test_downsample_of_whole_sequences_equals_the_reference():
    chance = random.Random(3)
    for n in (1, 2, 3, 50, 2049, 2050, 2051, 4099, 70_001):
        points = noisy_points(chance, n, 0)
        xs = [NAN if e is None else e for _, e, _ in points]
        ys = [v for _, _, v in points]
        for width in (0, 2, 3, 40, 5000):
            same_points(downsample(xs, ys, width), reference_downsample(xs, ys, width))


@pytest.mark.parametrize("weight", [*SMOOTHING_STEPS, 1.0])
def test_smoothing_equals_the_point_by_point_average_when_extended_or_redone(weight):
    chance = random.Random(11)
    series = MetricSeries("train/loss")
    values: list[float] = []
    for count in (1, 4, 100, 5000, 20_000):
        for step, epoch, value in noisy_points(chance, count, len(values)):
            series.add(step, epoch, value)
            values.append(value)
        expected = reference_smooth(values, weight)
        got = list(series.smoothed(weight))
        assert len(got) == len(expected)
        assert [g for g in got if not math.isfinite(g)] == pytest.approx([e for e in expected if not math.isfinite(e)], nan_ok=True)
        assert got == pytest.approx(expected, rel=1e-8, abs=1e-10, nan_ok=True)
    assert smooth(values, weight) == pytest.approx(reference_smooth(values, weight), rel=1e-8, abs=1e-10, nan_ok=True)
    fresh = MetricSeries("train/loss", series.steps, series.epochs, series.values)
    assert list(fresh.smoothed(weight)) == pytest.approx(expected, rel=1e-8, abs=1e-10, nan_ok=True)


class PlotApp(App):
    CSS = "MetricPlot { width: 1fr; height: 1fr; }"

    def compose(self) -> ComposeResult:
        yield MetricPlot()


def cells(strips) -> list[list[tuple[str, object]]]:
    """Each row as (character, style) per cell."""
    return [[(char, segment.style) for segment in strip for char in segment.text] for strip in strips]


@pytest.mark.parametrize(
    "panels, log_scale, size, theme",
    [
        ("both", False, (92, 28), "textual-dark"),
        ("loss", True, (60, 16), "textual-light"),
        ("acc", False, (120, 40), "nord"),
    ],
)
async def test_plot_cells_look_exactly_as_plotexts_ansi_text_did(tmp_path: Path, panels, log_scale, size, theme):
    """Same characters in the same colours as plotext's ANSI text read back by Rich: curves,
    axes, round ticks, titles and the prediction line."""
    chance = random.Random(5)
    runs = []
    for index in range(2):
        monitor = RunMonitor(tmp_path / f"run{index}")
        for name in ("train/loss", "val/loss", "train/acc", "val/acc"):
            series = monitor.series[name] = MetricSeries(name)
            for step, epoch, value in noisy_points(chance, 3000, 0):
                series.add(step, epoch, abs(value) if "acc" not in name else 1 - abs(value) / 3)
        runs.append((f"run {index}", monitor))
    app = PlotApp()
    async with app.run_test(size=size) as pilot:
        app.theme = theme
        await pilot.pause()
        plot = app.query_one(MetricPlot)
        plot.view.panels, plot.view.log_scale = panels, log_scale
        plot.show(runs, [PredictionMark(0, "val/loss", 0.5), PredictionMark(1, "val/acc", 0.8)])
        await pilot.pause()
        width, height = plot.size
        assert len(plot.render_lines(Region(0, 0, width, height))) == height  # on screen, whole
        drawn = Visual.to_strips(plot, visualize(plot, plot.render()), width, height, plot.visual_style)
        # The same figure (still set up in plotext) through textual-plotext's way: ANSI text.
        ansi = visualize(plot, Text.from_ansi(plot.plt.build()))
        reference = Visual.to_strips(plot, ansi, width, height, plot.visual_style)
        assert plot.drawing_failure is None
        assert len(drawn) == height
        assert cells(drawn) == cells(reference)
        assert ("accuracy" if panels == "acc" else "loss") in "".join(segment.text for segment in drawn[0])
