"""RunList: recent runs, newest first: a status glyph, the lab, what sets the run apart, a result.

Runs of one lab are told apart by the parameters that differ between them (lr=0.1), else by
their start time; a finished run shows its final metric (75%, loss 0.012), a running one its
progress, a graded exercise its checks; ★ marks a run that passed. ● marks the runs overlaid on the plot, in their curves'
colour. Every entry is one line, cut with … at the list's width rather than wrapped.
"""

from __future__ import annotations

from rich.markup import escape
from textual.events import Resize
from textual.reactive import reactive
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from dltui.labs.monitor import RunMonitor, run_labels
from dltui.store.models import LabRun, RunKind
from dltui.text_charts import format_value
from dltui.ui.contained import Contained
from dltui.ui.labs.metric_plot import run_colour

GLYPHS = {"running": "▶", "ok": "✓", "failed": "✗", "crashed": "✗", "cancelled": "■"}
RESULT_METRICS = ("test/acc", "val/acc", "train/acc", "val/loss", "train/loss")


def result_text(run: LabRun) -> str:
    """The final metric worth a glance, short: accuracies as percentages, else name and value."""
    final = run.final_metrics or {}
    checks = final.get("checks")
    if isinstance(checks, dict) and checks:
        passed = sum(1 for check in checks.values() if isinstance(check, dict) and check.get("passed") is True)
        return f"{passed}/{len(checks)} pass"
    for name in RESULT_METRICS:
        value = final.get(name)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if name.endswith("acc") and 0 <= value <= 1:
                return f"{value:.1%}".replace(".0%", "%")
            return f"{name.split('/')[-1]} {format_value(float(value))}"
    return ""


def run_line(run: LabRun, label: str, progress: float | None = None, width: int = 0, ordinal: str = "") -> str:
    """A run in the list: glyph, label, then how far along it is or how it ended.

    ★ takes the place of ✓ when the run passed its target; ``ordinal`` ("#2") tells apart runs
    alike in everything else. When the line is wider than ``width``, the label is cut (with …)
    so that the result stays in view.
    """
    status = run.status.value
    glyph = "★" if run.passed is True and status == "ok" else GLYPHS.get(status, "?")
    if run.passed is False and run.kind is RunKind.EXERCISE:
        glyph = "✗"  # the grader ran fine, but the exercise did not pass
    tail = [ordinal]
    if status == "running":
        if progress is not None:
            tail.append(f"{progress:.0%}")
    else:
        if status in ("failed", "crashed"):  # one glyph for both: the word tells them apart
            tail.append(status)
        tail.append(result_text(run))
    end = " ".join(part for part in tail if part)
    head = f"{glyph} {label}"
    if width > 0 and len(head) + len(end) + 1 > width:
        head = fit(head, max(3, width - len(end) - 1))
    return f"{head} {end}".rstrip()


def list_labels(runs: list[LabRun]) -> dict[str, str]:
    """Each run's lab and what sets it apart from the other listed runs of that lab."""
    labels: dict[str, str] = {}
    by_lab: dict[tuple[str, RunKind], list[LabRun]] = {}
    for run in runs:
        by_lab.setdefault((run.lab_id, run.kind), []).append(run)
    for (lab_id, kind), members in by_lab.items():
        name = lab_id + (" ✎" if kind is RunKind.EXERCISE else "")
        differing = run_labels(members) if len(members) > 1 else {}
        for run in members:
            apart = differing.get(run.id, "")
            if len(members) > 1 and "=" not in apart:  # no parameter differs: when it started
                apart = run.started_at.astimezone().strftime("%H:%M")
            labels[run.id] = f"{name} {apart}" if "=" in apart or ":" in apart else name
    return labels


def fraction_of(monitor: RunMonitor | None) -> float | None:
    return monitor.progress.fraction if monitor and monitor.progress else None


def fit(text: str, width: int) -> str:
    """``text`` cut to ``width`` cells with … (unchanged when it fits or the width is unknown)."""
    if width <= 0 or len(text) <= width:
        return text
    return text[: max(0, width - 1)] + "…"


class RunList(Contained, OptionList):
    """The runs; redrawn only when a line changed, and in place when the runs are the same."""

    drawing_name = "run list"
    lines: reactive[tuple[tuple[str, str], ...]] = reactive(tuple, init=False)  # (run id, line) each

    def __init__(self, *, id: str | None = None):  # noqa: A002 - Textual's name for it
        super().__init__(id=id)
        self._last: tuple[list[LabRun], list[str], dict[str, RunMonitor]] | None = None

    def _line_width(self) -> int:
        return self.scrollable_content_region.width - 1  # one cell for the ● mark

    def on_resize(self, event: Resize) -> None:
        if self._last is not None:
            self.show(*self._last)

    def show(self, runs: list[LabRun], shown: list[str], monitors: dict[str, RunMonitor]) -> None:
        """``shown`` are the runs on the plot, in plot order: their ● has the curve's colour."""
        self._last = (runs, shown, monitors)
        labels = list_labels(runs)
        width = self._line_width()
        texts = {}
        for run in runs:
            fraction = fraction_of(monitors.get(run.id))
            texts[run.id] = run_line(run, labels[run.id], fraction, width)
        alike: dict[str, list[LabRun]] = {}
        for run in runs:
            alike.setdefault(texts[run.id], []).append(run)
        lines = []
        for run in runs:
            text = texts[run.id]
            twins = alike[text]
            if len(twins) > 1:  # same lab, parameters, minute and result: number them, oldest #1
                order = sorted(twins, key=lambda r: r.started_at).index(run) + 1
                text = run_line(run, labels[run.id], fraction_of(monitors.get(run.id)), width, f"#{order}")
            mark = f"[{run_colour(shown.index(run.id))}]●[/]" if run.id in shown else " "
            lines.append((run.id, mark + escape(fit(text, width))))
        self.lines = tuple(lines)  # drawn by watch_lines, only when a line changed

    def watch_lines(self, previous: tuple[tuple[str, str], ...], lines: tuple[tuple[str, str], ...]) -> None:
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
