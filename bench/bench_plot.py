"""Lab plot speed: the Labs pane's loss/accuracy plot at 92x28 with 4 series of 1k to 1M points.

The real `MetricPlot` is mounted alone in a Textual app of 92x28 cells and fed a `RunMonitor`
whose series (train/val loss, train/val accuracy) are filled directly, as a long run's events
would fill them. A redraw is what Textual does after `MetricPlot.show`: `render()` and cutting the
result into strips. Live redraws come after a few new points per series (a run still going);
the first draw at 1M is a freshly loaded run (new series, nothing cached); a smoothing change
is the learner pressing +/- on a 1M-point run. Prints `| name | value | unit | note |` rows
(medians); the monitor's folder is a temporary one, nothing is written into the checkout.
"""

from __future__ import annotations

import asyncio
import math
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

SIZE = (92, 28)
LENGTHS = (1_000, 100_000, 1_000_000)
REDRAWS = 30
NEW_POINTS = 10  # per series between two live redraws
BUDGET_S = 240.0  # the whole script stops repeating (keeps its rows) past this


def row(name: str, value: str, unit: str, note: str) -> None:
    print(f"| {name} | {value} | {unit} | {note} |", flush=True)


def fill(monitor, points: int, length: int, start: int = 0) -> None:
    """Points as a classifier's run of ``length`` steps logs them, every step: a loss falling over
    the run with minibatch noise (+-10%), and accuracy rising with it."""
    from dltui.labs.series import MetricSeries

    chance = random.Random(start)
    for name in ("train/loss", "val/loss", "train/acc", "val/acc"):
        monitor.series.setdefault(name, MetricSeries(name))
    series = monitor.series
    for step in range(start, start + points):
        loss = (2.3 * math.exp(-4 * step / length) + 0.05) * (0.9 + chance.random() * 0.2)
        epoch = step / (length / 20)
        series["train/loss"].add(step, epoch, loss)
        series["val/loss"].add(step, epoch, loss * 1.1)
        series["train/acc"].add(step, epoch, 1 - loss / 2.5)
        series["val/acc"].add(step, epoch, 0.95 - loss / 2.5)


def copied(series):
    """A new series with the same points (a run loaded again: no caches)."""
    from array import array

    from dltui.labs.series import MetricSeries

    return MetricSeries(series.name, array("d", series.steps), array("d", series.epochs), array("d", series.values))


def redraw(plot) -> float:
    """CPU seconds for one redraw as Textual does it on the next frame after `show`.

    CPU time, not wall time: the figure should not depend on what else the machine runs.
    """
    before = time.process_time()
    plot.refresh()
    plot._render_content()  # render() and cut into strips, what the compositor asks for
    return time.process_time() - before


async def measure(folder: Path) -> None:
    from dltui.labs.monitor import RunMonitor
    from dltui.ui.labs.metric_plot import SMOOTHING_STEPS, MetricPlot
    from textual.app import App, ComposeResult

    class PlotApp(App):
        CSS = "MetricPlot { width: 1fr; height: 1fr; }"

        def compose(self) -> ComposeResult:
            yield MetricPlot()

    started = time.perf_counter()
    app = PlotApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        plot = app.query_one(MetricPlot)
        worst = 0.0
        for length in LENGTHS:
            monitor = RunMonitor(folder / f"run-{length}")
            fill(monitor, length, length)
            plot.show([("mlp", monitor)])
            redraw(plot)  # the first draw of this run: not a live redraw
            times = []
            for index in range(REDRAWS):
                fill(monitor, NEW_POINTS, length, start=length + index * NEW_POINTS)
                times.append(redraw(plot))
                if time.perf_counter() - started > BUDGET_S and len(times) >= 3:
                    break
            median = statistics.median(times) * 1000
            worst = max(worst, median)
            row(
                f"plot: redraw at {length:,} points",
                f"{median:.1f}",
                "ms CPU",
                f"median of {len(times)}, {NEW_POINTS} new points per series before each",
            )
        row(
            "plot: redraw 92x28, 4 series, worst run length",
            f"{worst:.1f}",
            "ms CPU",
            f"the slowest of the rows above ({', '.join(f'{n:,}' for n in LENGTHS)} points)",
        )

        firsts = []
        for _ in range(3):
            fresh = RunMonitor(folder / "fresh")
            fresh.series = {name: copied(series) for name, series in monitor.series.items()}
            plot.show([("mlp", fresh)])
            firsts.append(redraw(plot))
            if time.perf_counter() - started > BUDGET_S:
                break
        row(
            f"plot: first draw at {LENGTHS[-1]:,} points",
            f"{statistics.median(firsts) * 1000:.0f}",
            "ms CPU",
            f"median of {len(firsts)}, a run just loaded: nothing cached",
        )

        changes = []
        for weight in SMOOTHING_STEPS:
            if weight == plot.view.smoothing:
                continue
            plot.view.smoothing = weight
            changes.append(redraw(plot))
        row(
            f"plot: smoothing change at {LENGTHS[-1]:,} points",
            f"{statistics.median(changes) * 1000:.0f}",
            "ms CPU",
            f"median over {len(changes)} smoothing steps, one redraw each",
        )


def main() -> int:
    print("| name | value | unit | note |")
    print("|---|---|---|---|")
    with tempfile.TemporaryDirectory(prefix="dltui-bench-plot-") as tmp:
        asyncio.run(measure(Path(tmp)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
