"""LossPlot: loss and accuracy curves of one or more runs, side by side, live.

The widget only draws: the series come from `RunMonitor`s, and each is smoothed and thinned to
the plot's width by `dltui.labs.series` before plotext sees it, because plotext's cost grows with
the number of points. It redraws when told to (`show`) or resized, never on its own.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from textual.app import RenderResult
from textual_plotext import PlotextPlot

from dltui.labs.monitor import RunMonitor
from dltui.labs.series import MetricSeries, plot_points

# (train colour, validation colour) per run: the same hue, brighter for training; and the same
# hue in Rich's names, for marking the run in the run list (a small plot has no room for a legend).
COLOURS = [("blue+", "blue"), ("red+", "red"), ("green+", "green"), ("orange+", "orange"),
           ("magenta+", "magenta"), ("cyan+", "cyan")]
RICH_COLOURS = ["bright_blue", "bright_red", "bright_green", "orange1", "bright_magenta", "bright_cyan"]


def run_colour(run_index: int) -> str:
    """The Rich colour of the index-th run on the plot."""
    return RICH_COLOURS[run_index % len(RICH_COLOURS)]
SMOOTHING_STEPS = [0.0, 0.3, 0.6, 0.8, 0.9, 0.95, 0.99]
PANELS = ("both", "loss", "acc")


@dataclass
class PlotView:
    """How the learner asked to see the curves (changed from the keyboard)."""

    x_axis: str = "step"  # step | epoch
    smoothing: float = 0.6
    log_scale: bool = False
    panels: str = "both"  # both | loss | acc

    def describe(self) -> str:
        scale = "log" if self.log_scale else "linear"
        return f"x: {self.x_axis}  smoothing: {self.smoothing:.2f}  y: {scale}"


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


class LossPlot(PlotextPlot):
    """Curves of the runs given to `show`, in a loss panel and an accuracy panel."""

    def __init__(self, *, id: str | None = None):  # noqa: A002 - Textual's name for it
        super().__init__(id=id)
        self.view = PlotView()
        self._curves: list[tuple[str, RunMonitor]] = []
        self.drawn_points: dict[str, int] = {}  # series label -> points drawn last time
        self.drawn_until: dict[str, float] = {}  # series label -> the last x drawn
        self.renders = 0
        self.last_render_s = 0.0  # the pane spaces redraws out when drawing is slow

    def show(self, curves: list[tuple[str, RunMonitor]]) -> None:
        """Draw these (label, monitor) pairs from now on; redraws once."""
        self._curves = list(curves)
        self.refresh()

    def _panels(self) -> list[str]:
        wanted = ["loss", "acc"] if self.view.panels == "both" else [self.view.panels]
        return wanted

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
        # Points per series: one per dot column of a panel (braille packs two per character).
        width = max(8, 2 * ((self.size.width // len(panels)) - 8))
        self.drawn_points, self.drawn_until = {}, {}
        several = len(self._curves) > 1
        for column, panel in enumerate(panels, start=1):
            sub = plt.subplot(1, column)
            drew = False
            for run_index, (label, monitor) in enumerate(self._curves):
                for name, series in list(monitor.series.items()):
                    if panel_of(name) != panel:
                        continue
                    drew |= self._draw(sub, series, f"{label} {name}" if several else name, run_index, width)
            title = "loss" if panel == "loss" else "accuracy"
            sub.title(title if drew else f"{title}: no points yet")
            sub.xlabel(self.view.x_axis)
            if self.view.log_scale and panel == "loss":
                sub.yscale("log")
        self.renders += 1
        return super().render()

    def _draw(self, sub, series: MetricSeries, label: str, run_index: int, width: int) -> bool:
        log = self.view.log_scale and panel_of(series.name) == "loss"
        xs, ys = plot_points(series, self.view.x_axis, self.view.smoothing, width, log_scale=log)
        self.drawn_points[label] = len(xs)
        if not xs:
            return False
        self.drawn_until[label] = xs[-1]
        sub.plot(xs, ys, label=label, color=_colour(run_index, series.name), marker="braille")
        return True

    def total_points(self) -> int:
        return sum(self.drawn_points.values())
