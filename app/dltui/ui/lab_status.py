"""RunSummary: the selected run at a glance: state, a progress bar with ETA, latest metrics."""

from __future__ import annotations

from rich.markup import escape
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from dltui.labs.monitor import RunMonitor, format_duration, headline_metrics
from dltui.labs.registry import Lab
from dltui.store.models import LabRun

BAR_CELLS = 20


def progress_bar(fraction: float, cells: int = BAR_CELLS) -> str:
    """A bar drawn in text: repainting it never asks the screen for a new layout (a ProgressBar
    widget's percentage label does, on every update)."""
    filled = fraction * cells
    full = int(filled)
    half = "╸" if filled - full >= 0.5 and full < cells else ""
    return "━" * full + half + "─" * (cells - full - len(half))


class RunSummary(Vertical):
    """What the selected run is doing: updated by the Labs pane when its events change."""

    DEFAULT_CSS = """
    RunSummary { height: 4; }
    RunSummary #run-title { height: 1; }
    RunSummary #run-eta { height: 1; }
    RunSummary #run-metrics { height: 2; }
    """

    def __init__(self, *, id: str | None = None):  # noqa: A002 - Textual's name for it
        super().__init__(id=id)
        self._shown: dict[str, str] = {}

    def _set(self, widget_id: str, text: str) -> None:
        # Heights are fixed, so a new text needs a repaint but never a new layout of the screen;
        # an unchanged text needs nothing at all.
        if self._shown.get(widget_id) != text:
            self._shown[widget_id] = text
            self.query_one(f"#{widget_id}", Static).update(text, layout=False)

    def compose(self) -> ComposeResult:
        yield Static("No run selected: pick a lab and press r to run it.", id="run-title")
        yield Static("", id="run-eta")
        yield Static("", id="run-metrics")

    def show_lab(self, lab: Lab) -> None:
        """Before any run is picked: what the highlighted lab is about."""
        target = f"  target: {lab.target.describe()}" if lab.target else ""
        self._set("run-title", f"[b]{escape(lab.title)}[/b]{escape(target)}")
        self._set("run-metrics", escape(lab.description or "") + "  [dim](r: run)[/dim]")

    def show(self, run: LabRun, monitor: RunMonitor, running: bool, view_text: str) -> None:
        status = "running" if running else run.status.value
        verdict = {True: "  ★ passed", False: "  not passed", None: ""}[run.passed if not running else None]
        self._set("run-title", f"[b]{escape(run.id)}[/b]  {status}{verdict}")
        progress = monitor.progress
        line = ""
        if progress is not None and progress.total > 0:
            line = f"{progress_bar(progress.fraction)} {progress.fraction:4.0%}  {progress.done:g}/{progress.total:g} {progress.unit}"
            if running:
                line += f"  ETA {format_duration(progress.eta_seconds())}"
        self._set("run-eta", escape(f"{line}  {view_text}".strip()))
        metrics = "  ".join(f"{name} {value}" for name, value in headline_metrics(monitor.latest, 5))
        counts = monitor.counts()
        note = f"  [{counts}]" if monitor.tail.skipped or monitor.tail.unknown else ""
        self._set("run-metrics", escape((metrics or "no metrics yet") + note))
