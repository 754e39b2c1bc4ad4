"""MetricPlot: loss and accuracy curves of one or more runs, side by side, live.

The widget only draws: the series come from `RunMonitor`s, and each is smoothed and thinned to
the plot's width by `dltui.labs.series` before plotext sees it, because plotext's cost grows with
the number of points; plotext's cells reach the screen as `PlotCells`, not as ANSI text. It
redraws when told to (`show`) or resized, never on its own. Axes carry round ticks
(`axes`); the legend is a line of text under the plot (`PlotLegend`), because plotext's own
legend sits on the curves and vanishes from a small panel.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from rich.markup import escape
from textual.app import RenderResult
from textual.widgets import Static
from textual_plotext import PlotextPlot

from dltui.labs.monitor import RunMonitor
from dltui.labs.series import MetricSeries, plot_points
from dltui.ui.contained import Contained
from dltui.ui.labs import axes
from dltui.ui.labs.plot_cells import PlotCells

# (train colour, validation colour) per run, in plotext's names and in Rich's: the same hue,
# brighter for training. The Rich names mark the run in the run list and the legend.
COLOURS = [("blue+", "blue"), ("red+", "red"), ("green+", "green"), ("orange+", "orange"), ("magenta+", "magenta"), ("cyan+", "cyan")]
RICH_COLOURS = [
    ("bright_blue", "blue"),
    ("bright_red", "red"),
    ("bright_green", "green"),
    ("orange1", "dark_orange3"),
    ("bright_magenta", "magenta"),
    ("bright_cyan", "cyan"),
]
SMOOTHING_STEPS = [0.0, 0.3, 0.6, 0.8, 0.9, 0.95, 0.99]
PANELS = ("both", "loss", "acc")
TICK_COLUMNS = 9  # room for one x tick label and the gap to the next
TICK_ROWS = 3  # lines per y tick


def run_colour(run_index: int, split: str = "train") -> str:
    """The Rich colour of the index-th run on the plot (its training curves, or validation's)."""
    train, val = RICH_COLOURS[run_index % len(RICH_COLOURS)]
    return train if split == "train" else val


@dataclass
class PlotView:
    """How the learner asked to see the curves (changed from the keyboard)."""

    x_axis: str = "step"  # step | epoch
    smoothing: float = 0.6
    log_scale: bool = False
    panels: str = "both"  # both | loss | acc

    def describe(self) -> str:
        scale = "log" if self.log_scale else "linear"
        # Each setting after the key that changes it: the footer has no room for them at 80 columns.
        return f"x {self.x_axis} · +/- smoothing: {self.smoothing:.2f} · l y: {scale}"


def panel_of(name: str) -> str | None:
    """Which panel a metric belongs on: "loss", "acc", or None (shown as a number only)."""
    lowered = name.lower()
    if "loss" in lowered:
        return "loss"
    if "acc" in lowered:
        return "acc"
    return None


def _colour(run_index: int, metric: str) -> str:
    train, val = COLOURS[run_index % len(COLOURS)]
    return train if metric.startswith("train") else val


def legend_markup(curves: list[tuple[str, RunMonitor]]) -> str:
    """One ■ per curve colour of each run, then its label; says which shade is which split."""
    entries, splits = [], set()
    for index, (label, monitor) in enumerate(curves):
        names = [name for name in list(monitor.series) if panel_of(name)]
        kinds = sorted({"train" if name.startswith("train") else "val" for name in names}, reverse=True)
        splits.update(kinds)
        squares = "".join(f"[{run_colour(index, kind)}]■[/]" for kind in kinds) or f"[{run_colour(index)}]■[/]"
        entries.append(f"{squares} {escape(label)}")
    key = "  [dim]bright: train, dark: validation[/dim]" if splits == {"train", "val"} else ""
    return "  ".join(entries) + key if entries else ""


@dataclass(frozen=True)
class PredictionMark:
    """A learner's predicted final value of a metric, drawn as a line across its panel."""

    run_index: int
    metric: str
    value: float


class PlotLegend(Contained, Static):
    """The runs on the plot, in their curves' colours (a line under the plot)."""

    drawing_name = "legend"


class MetricPlot(Contained, PlotextPlot):
    """Curves of the runs given to `show`, in a loss panel and an accuracy panel."""

    drawing_name = "plot"

    def __init__(self, *, id: str | None = None):  # noqa: A002 - Textual's name for it
        super().__init__(id=id)
        self.view = PlotView()
        self._curves: list[tuple[str, RunMonitor]] = []
        self._marks: list[PredictionMark] = []
        self.last_render_s = 0.0  # the pane spaces redraws out when drawing is slow

    def show(self, curves: list[tuple[str, RunMonitor]], marks: list[PredictionMark] | None = None) -> None:
        """Draw these (label, monitor) pairs, and the predicted values, from now on; redraws once."""
        self._curves = list(curves)
        self._marks = list(marks or [])
        self.refresh()

    def legend(self) -> str:
        return legend_markup(self._curves)

    def _panels(self) -> list[str]:
        return ["loss", "acc"] if self.view.panels == "both" else [self.view.panels]

    def render(self) -> RenderResult:
        started = time.perf_counter()
        try:
            return self._render_curves()
        finally:
            self.last_render_s = time.perf_counter() - started

    def _render_curves(self) -> RenderResult:
        plt = self.plt
        plt.clear_figure()
        panels = self._panels()
        plt.subplots(1, len(panels))
        panel_width = self.size.width // len(panels)
        # Points per series: one per dot column of a panel (braille packs two per character).
        width = max(8, 2 * (panel_width - 8))
        for column, panel in enumerate(panels, start=1):
            sub = plt.subplot(1, column)
            log = self.view.log_scale and panel == "loss"
            drawn: list[tuple[list[float], list[float]]] = []
            for run_index, (_label, monitor) in enumerate(self._curves):
                for name, series in list(monitor.series.items()):
                    if panel_of(name) != panel:
                        continue
                    points = self._draw(sub, series, run_index, width, log)
                    if points:
                        drawn.append(points)
            title = ("loss" + (" (log)" if log else "")) if panel == "loss" else "accuracy"
            sub.title(title if drawn else f"{title}: no points yet")
            sub.xlabel(self.view.x_axis)
            if drawn:
                drawn += self._draw_marks(sub, panel, drawn, log)
                self._axes(sub, drawn, log, panel_width)
        return self._cells()

    def _cells(self) -> PlotCells:
        """The figure, sized and themed as `PlotextPlot.render` does, but drawn from plotext's matrix."""
        plt, (width, height) = self.plt, self.size
        plt.plotsize(width, height)
        plt._set_size(width, height)  # textual-plotext's belt and braces: resizing needs both
        plt.theme(self._get_plotext_theme_name(self.app.theme))
        # plotext's own steps before it writes ANSI; textual-plotext's Plot does not declare them
        plt._set_sizes()  # type: ignore[attr-defined]
        plt._build_matrix()  # type: ignore[attr-defined]
        return PlotCells(plt.monitor.matrix, self.app.ansi_theme)  # type: ignore[attr-defined]

    def _draw(self, sub, series: MetricSeries, run_index: int, width: int, log: bool):
        xs, ys = plot_points(series, self.view.x_axis, self.view.smoothing, width, log_scale=log)
        if not xs:
            return None
        if log:
            ys = [math.log10(y) for y in ys]
        sub.plot(xs, ys, color=_colour(run_index, series.name), marker="braille")
        return xs, ys

    def _draw_marks(self, sub, panel: str, drawn: list, log: bool) -> list[tuple[list[float], list[float]]]:
        """The predicted values on this panel, as dotted lines across the curves' x range."""
        x_low, x_high = min(min(xs) for xs, _ in drawn), max(max(xs) for xs, _ in drawn)
        lines = []
        for mark in self._marks:
            if panel_of(mark.metric) != panel or (log and mark.value <= 0):
                continue
            y = math.log10(mark.value) if log else mark.value
            xs, ys = [x_low, x_high], [y, y]
            sub.plot(xs, ys, color=_colour(mark.run_index, "val"), marker=".")
            lines.append((xs, ys))  # counted in the y range, so the line is never off the panel
        return lines

    def _axes(self, sub, drawn: list[tuple[list[float], list[float]]], log: bool, panel_width: int) -> None:
        """Round ticks: x across the data, y widened to round limits (decades on a log scale)."""
        x_low = min(min(xs) for xs, _ in drawn)
        x_high = max(max(xs) for xs, _ in drawn)
        y_low = min(min(ys) for _, ys in drawn)
        y_high = max(max(ys) for _, ys in drawn)
        x_ticks = axes.inner_ticks(x_low, x_high, max(2, (panel_width - 8) // TICK_COLUMNS))
        if x_high > x_low:
            sub.xlim(x_low, x_high)
        sub.xticks(x_ticks, axes.labels(x_ticks))
        rows = max(2, (self.size.height - 4) // TICK_ROWS)
        if log:
            low, high, ticks, texts = axes.log_ticks(y_low, y_high, rows)
            low, high = min(low, y_low), max(high, y_high)
        else:
            low, high, ticks = axes.round_ticks(y_low, y_high, rows)
            texts = axes.labels(ticks)
        if high > low:
            sub.ylim(low, high)
        sub.yticks(ticks, texts)
