"""RunSummary: the selected run at a glance: state, a progress bar with ETA, latest metrics."""

from __future__ import annotations

from rich.markup import escape
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.reactive import reactive
from textual.widgets import Static

from dltui.labs.attach import readable_metrics
from dltui.labs.monitor import RunMonitor, headline_metrics
from dltui.labs.registry import Lab
from dltui.store.models import LabRun
from dltui.text_charts import format_duration, text_bar
from dltui.ui.contained import ContainedStatic

BAR_CELLS = 20
NO_RUN = "No run selected: pick a lab and press r to run it."


def progress_bar(fraction: float, cells: int = BAR_CELLS) -> str:
    """A bar drawn in text: repainting it never asks the screen for a new layout (a ProgressBar
    widget's percentage label does, on every update)."""
    return text_bar(fraction, cells, "━", "─", "╸")


class RunSummary(Vertical):
    """What the selected run is doing: updated by the Labs pane when its events change."""

    DEFAULT_CSS = """
    RunSummary { height: auto; }
    RunSummary #run-title { height: auto; }
    RunSummary #run-eta { height: 1; }
    RunSummary #run-metrics { height: auto; min-height: 2; }
    """

    # The three lines' texts: a watcher repaints a line only when its text changed. While a run
    # is shown the heights stay put, so a new text needs a repaint but never a new layout of the
    # screen; the title (a long run id may wrap) and a lab's description (any length) do.
    title: reactive[str] = reactive(NO_RUN, init=False)
    eta: reactive[str] = reactive("", init=False)
    metrics: reactive[str] = reactive("", init=False)
    about_lab: reactive[bool] = reactive(False, init=False)  # a lab's description, not a run, is shown

    def watch_title(self, text: str) -> None:
        self.query_one("#run-title", Static).update(text, layout=True)

    def watch_eta(self, text: str) -> None:
        self.query_one("#run-eta", Static).update(text, layout=self.about_lab)

    def watch_metrics(self, text: str) -> None:
        self.query_one("#run-metrics", Static).update(text, layout=self.about_lab)

    def watch_about_lab(self) -> None:
        # A lab's description and a run's lines differ in height: lay them out again once.
        for line in self.query(Static):
            line.refresh(layout=True)

    def compose(self) -> ComposeResult:
        yield ContainedStatic(NO_RUN, id="run-title")
        yield ContainedStatic("", id="run-eta")
        yield ContainedStatic("", id="run-metrics")

    def show_lab(self, lab: Lab) -> None:
        """Before any run is picked: what the highlighted lab is about."""
        # Title, target and description each get their own lines: at 80 columns they never fit
        # on one, and the description wraps to as many lines as it needs.
        self.about_lab = True
        self.title = f"[b]{escape(lab.title)}[/b]"
        self.eta = escape(f"target: {lab.target.describe()}") if lab.target else "no target"
        keys = "r: run, e: exercise" if lab.exercise else "r: run"
        how = f"[b]{escape(lab.unavailable)}[/b]" if lab.unavailable else f"[dim]({keys})[/dim]"
        self.metrics = escape(lab.description or "") + "  " + how

    def show(self, run: LabRun, monitor: RunMonitor, running: bool) -> None:
        self.about_lab = False
        status = "running" if running else run.status.value
        verdict = {True: "  ★ passed", False: "  not passed", None: ""}[run.passed if not running else None]
        # The title changes only with the status; a long run id may need a second line.
        self.title = f"[b]{escape(run.id)}[/b]  {status}{verdict}"
        progress = monitor.progress
        line = ""
        if progress is not None and progress.total > 0:
            rest = f" {progress.fraction:4.0%}  {progress.done:g}/{progress.total:g} {progress.unit}"
            if running:
                rest += f"  ETA {format_duration(progress.eta_seconds())}"
            # The bar gives up cells before the numbers are cut (80 columns leave about 50 here).
            cells = max(6, min(BAR_CELLS, self.size.width - len(rest))) if self.size.width else BAR_CELLS
            line = progress_bar(progress.fraction, cells) + rest
        self.eta = escape(line.strip())
        values = monitor.latest if running else monitor.final_metrics()  # a grader's checks come at the end
        metrics = "  ".join(f"{name} {value}" for name, value in headline_metrics(readable_metrics(values), 5))
        counts = monitor.counts()
        note = f"  [{counts}]" if monitor.tail.skipped or monitor.tail.unknown else ""
        self.metrics = escape((metrics or "no metrics yet") + note)
