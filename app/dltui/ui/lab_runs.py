"""RunList: recent runs, newest first: a status glyph, a short name, progress or ★ when passed.

● marks the runs overlaid on the plot, in their curves' colour. Runs of one sweep are named by
what differs (lr=0.1).
"""

from __future__ import annotations

from rich.markup import escape
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from dltui.labs.monitor import RunMonitor, run_labels
from dltui.store.models import LabRun
from dltui.ui.lab_plot import run_colour

GLYPHS = {"running": "▶", "ok": "✓", "failed": "✗", "crashed": "✗", "cancelled": "■"}


def run_line(run: LabRun, label: str, progress: float | None = None) -> str:
    """A run in the list: glyph, label, and how far along it is, or whether it passed."""
    status = run.status.value
    extra = ""
    if status == "running" and progress is not None:
        extra = f" {progress:.0%}"
    elif run.passed is True:
        extra = " ★"
    elif status in ("failed", "crashed"):  # one glyph for both: the word tells them apart
        extra = f" {status}"
    return f"{GLYPHS.get(status, '?')} {label}{extra}"


def list_labels(runs: list[LabRun]) -> dict[str, str]:
    """Lab and start time for single runs; lab and the differing parameter for sweep members."""
    labels: dict[str, str] = {}
    groups: dict[str, list[LabRun]] = {}
    for run in runs:
        if run.group_id:
            groups.setdefault(run.group_id, []).append(run)
        labels[run.id] = f"{run.lab_id} {run.started_at.astimezone().strftime('%H:%M')}"
    for members in groups.values():
        for run_id, label in run_labels(members).items():
            labels[run_id] = f"{members[0].lab_id} {label}"
    return labels


class RunList(OptionList):
    """The runs; redrawn only when a line changed, and in place when the runs are the same."""

    def __init__(self, *, id: str | None = None):  # noqa: A002 - Textual's name for it
        super().__init__(id=id)
        self._shown_lines: tuple[tuple[str, str], ...] = ()

    def show(self, runs: list[LabRun], shown: list[str], monitors: dict[str, RunMonitor]) -> None:
        """``shown`` are the runs on the plot, in plot order: their ● has the curve's colour."""
        labels = list_labels(runs)
        lines = []
        for run in runs:
            monitor = monitors.get(run.id)
            fraction = monitor.progress.fraction if monitor and monitor.progress else None
            mark = f"[{run_colour(shown.index(run.id))}]●[/]" if run.id in shown else " "
            lines.append((run.id, mark + escape(run_line(run, labels[run.id], fraction))))
        previous, self._shown_lines = self._shown_lines, tuple(lines)
        if self._shown_lines == previous:
            return
        if [run_id for run_id, _ in previous] == [run_id for run_id, _ in lines]:
            # Same runs in the same order (the usual tick: a percentage moved): change the texts
            # in place; rebuilding the list would make the whole screen lay itself out again.
            for index, (old, new) in enumerate(zip(previous, lines)):
                if old != new:
                    self.replace_option_prompt_at_index(index, new[1])
            return
        highlighted = self.highlighted_option.id if self.highlighted_option else None
        self.clear_options()
        self.add_options([Option(text, id=run_id) for run_id, text in lines])
        if highlighted is not None and highlighted in {run_id for run_id, _ in lines}:
            self.highlighted = self.get_option_index(highlighted)

    @property
    def highlighted_run_id(self) -> str | None:
        option = self.highlighted_option
        return option.id if option else None
