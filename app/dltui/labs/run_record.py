"""What the tutor reads about a lab run: its row, its lab, its curves, its output and a diagnosis.

Everything comes from code that already reads runs (`records`, `RunMonitor`, `output_tail`,
the lab registry), so the tutor sees exactly what the Labs screen shows. Lab text is text we do
not control: all of it passes through `terminal_safe` before it reaches a prompt or a screen.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypedDict

from dltui.labs import records
from dltui.labs.compare import compare_runs
from dltui.labs.diagnosis import Diagnosis, diagnose, loss_name
from dltui.labs.event_tail import Event
from dltui.labs.monitor import RunMonitor, output_tail
from dltui.labs.registry import LabRegistry, load_registry
from dltui.labs.run_folder import RunFolder
from dltui.settings import Settings
from dltui.store import Store
from dltui.store.models import LabRun, RunKind, RunStatus
from dltui.terminal_text import terminal_safe
from dltui.text_charts import format_value

MAX_POINTS = 50  # rows per curve: enough to show its shape, few enough for a prompt
MAX_FIELD = 300  # a header line longer than this is cut (a lab can report anything)
OUTPUT_LINES = 12


class RunSource(Protocol):
    """Where runs are read from: the settings (where the labs are) and the store (the run rows).

    A StudyContext or a LabRunner: both hold them. A protocol, not the StudyContext itself, because
    the context opens the labs (`labs.open`): the labs cannot import it back.
    """

    @property
    def settings(self) -> Settings: ...

    @property
    def store(self) -> Store: ...


class Checkpoint(TypedDict):
    """A checkpoint the lab reported, its text made terminal-safe."""

    step: object  # as the lab wrote it
    path: str  # the file name only
    values: dict[str, object]


@dataclass(frozen=True)
class Curve:
    name: str
    points: list[tuple[float, float | None, float]]  # (step, epoch or None, value)


@dataclass(frozen=True)
class RunRecord:
    run_id: str
    lab_id: str
    kind: RunKind
    lab_title: str
    status: str
    params: dict[str, object]
    topics: list[str]
    target: dict[str, str | float] | None
    progress: str | None
    curves: dict[str, Curve]
    checkpoints: list[Checkpoint]
    final_metrics: dict[str, object]
    output_tail: list[str]
    diagnosis: Diagnosis

    def header_lines(self) -> list[str]:
        """What the run is and how it ended, then the diagnosis: never dropped by `to_text`."""
        lab = [
            f"run: {self.run_id}",
            f"lab: {self.lab_id} ({self.lab_title})" + ("" if self.kind is RunKind.RUN else f", {self.kind} grader"),
            f"status: {self.status}" + (f", {self.progress}" if self.progress else ""),
            f"params: {_pairs(self.params)}",
            f"topics: {', '.join(self.topics) or 'none'}",
            f"target: {_pairs(self.target) or 'none'}",
            f"final metrics: {_pairs(self.final_metrics) or 'none yet'}",
        ]
        lab += [f"checkpoint: step {format_value(c['step'])} {c['path']} {_pairs(c['values'])}".rstrip() for c in self.checkpoints[-3:]]
        d = self.diagnosis
        ours = [
            f"diagnosis: {d.shape.value} (topic {d.topic_id})",
            f"evidence: {d.evidence}",
            f"question to ask: {d.question}",
            f"hint: {d.hint}",
            f"key points: {'; '.join(d.key_points)}",
            f"explanation: {d.explanation}",
        ]
        # A lab can report anything, of any length: its lines are cut; the diagnosis is ours.
        return [terminal_safe(line)[:MAX_FIELD] for line in lab] + [terminal_safe(line) for line in ours]

    def to_text(self, max_chars: int = 6000) -> str:
        """The record as plain text, at most `max_chars`: curve rows go first (from the middle), then output."""
        head = self.header_lines()
        output = [terminal_safe(line) for line in self.output_tail]
        for rows in range(MAX_POINTS, -1, -2):
            text = _render(head, output, self.curves, rows)
            if len(text) <= max_chars:
                return text
        while output:  # the oldest output lines go next
            output = output[1:]
            text = _render(head, output, self.curves, 0)
            if len(text) <= max_chars:
                return text
        text = "\n".join(head)
        return text[:max_chars]


def _pairs(values: Mapping[str, object] | None) -> str:
    return ", ".join(f"{k}={format_value(v)}" for k, v in (values or {}).items())


def _render(head: list[str], output: list[str], curves: dict[str, Curve], rows: int) -> str:
    """Header, output lines, then each curve with at most `rows` rows (its first and last halves)."""
    lines = list(head)
    if output:
        lines += ["output (last lines):", *(f"  {line}" for line in output)]
    for curve in curves.values():
        points = curve.points
        if len({value for _, _, value in points}) == 1:  # a setting logged as a metric: one line says it all
            lines.append(f"curve {terminal_safe(curve.name)}: {points[0][2]:.4g} at all {len(points)} points")
            continue
        lines.append(f"curve {terminal_safe(curve.name)} ({len(points)} points; step epoch value):")
        kept = points if len(points) <= rows else points[: (rows + 1) // 2] + points[len(points) - rows // 2 :]
        for i, (step, epoch, value) in enumerate(kept):
            if len(kept) < len(points) and i == (rows + 1) // 2:
                lines.append(f"  ... {len(points) - len(kept)} rows left out ...")
            lines.append(f"  {step:g} {'-' if epoch is None else f'{epoch:g}'} {value:.4g}")
    return "\n".join(lines)


def downsample_points(
    steps: Sequence[float], epochs: Sequence[float], values: Sequence[float], limit: int = MAX_POINTS
) -> list[tuple[float, float | None, float]]:
    """At most `limit` evenly spaced points, the first and last always among them."""
    n = min(len(steps), len(epochs), len(values))
    picked = range(n) if n <= limit else sorted({round(i * (n - 1) / (limit - 1)) for i in range(limit)})
    return [(steps[i], None if math.isnan(epochs[i]) else epochs[i], values[i]) for i in picked]


def _progress_text(monitor: RunMonitor, status: str) -> str | None:
    """Where the run is (or stopped): "step 120 of 1880 (6%)"; None once it ran to its end."""
    progress = monitor.progress
    if progress is None or (status != RunStatus.RUNNING.value and progress.done >= progress.total):
        return None
    return f"{terminal_safe(progress.unit)} {progress.done:g} of {progress.total:g} ({progress.fraction * 100:.0f}%)"


def _checkpoint(event: Event) -> Checkpoint:
    values = event.get("values")
    if not isinstance(values, dict):
        values = {}
    return {
        "step": event.get("step"),
        "path": terminal_safe(Path(str(event.get("path", ""))).name),
        "values": {terminal_safe(str(k)): terminal_safe(v) if isinstance(v, str) else v for k, v in values.items()},
    }


def _registry(context: RunSource) -> LabRegistry:
    return load_registry(context.settings.labs_dir, context.settings.data_dir)


def _lab_info(registry: LabRegistry, lab_id: str) -> tuple[str, list[str], dict[str, str | float] | None]:
    """Title, topics and target from the lab's lab.toml; the id alone for a lab no longer there."""
    lab = registry.labs.get(lab_id)
    if lab is None:
        return lab_id, [], None
    target = None
    if lab.target is not None:
        target = {k: v for k, v in (("metric", lab.target.metric), ("min", lab.target.min), ("max", lab.target.max)) if v is not None}
    return lab.title, list(lab.topics), target


def read_run_record(context: RunSource, run_id: str) -> RunRecord | None:
    """The record of the run with exactly this id, read from its folder; None when there is none."""
    run = records.get_run(context.store, run_id)
    if run is None:
        return None
    return _record(_registry(context), run)


def _record(registry: LabRegistry, run: LabRun) -> RunRecord:
    monitor = RunMonitor(RunFolder.of(run).path)
    monitor.catch_up(final=run.status is not RunStatus.RUNNING)
    title, topics, target = _lab_info(registry, run.lab_id)
    status = run.status.value
    final = run.final_metrics or monitor.final_metrics()
    return RunRecord(
        run_id=run.id,
        lab_id=run.lab_id,
        kind=run.kind,
        lab_title=title,
        status=status,
        params=dict(run.params),
        topics=topics,
        target=target,
        progress=_progress_text(monitor, status),
        curves={name: Curve(name, downsample_points(s.steps, s.epochs, s.values)) for name, s in monitor.series.items()},
        checkpoints=[_checkpoint(event) for event in monitor.checkpoints],
        final_metrics={terminal_safe(str(k)): terminal_safe(v) if isinstance(v, str) else v for k, v in final.items()},
        output_tail=output_tail(RunFolder.of(run).path, OUTPUT_LINES),
        diagnosis=diagnose({name: s.values for name, s in monitor.series.items()}),
    )


def _final_loss(record: RunRecord) -> str:
    """The last point of the loss the diagnosis read (the latest while the run goes on)."""
    name = loss_name(record.curves)
    return format_value(record.curves[name].points[-1][2]) if name else "-"


def compare_runs_text(context: RunSource, run_ids: list[str], max_chars: int = 6000) -> str:
    """A table of runs (e.g. a learning-rate sweep): id, the params that differ, final loss, diagnosis."""
    runs = [run for run in (records.get_run(context.store, rid) for rid in run_ids) if run is not None]
    missing = [rid for rid in run_ids if rid not in {run.id for run in runs}]
    differing = compare_runs(runs).differing if runs else []
    header = ["run", *[f"param {name}" for name, _ in differing], "final loss", "diagnosis"]
    registry, rows = _registry(context), []
    for i, run in enumerate(runs):
        record = _record(registry, run)
        cells = [run.id, *[values[i] for _, values in differing], _final_loss(record), record.diagnosis.shape.value]
        rows.append([terminal_safe(cell) for cell in cells])
    widths = [max(len(row[c]) for row in [header, *rows]) for c in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in [header, *rows]]
    lines += [terminal_safe(f"no run {rid!r}") for rid in missing]
    return _bounded(lines, max_chars)


def _bounded(lines: list[str], max_chars: int) -> str:
    """The lines that fit in `max_chars`, with a last line saying how many were left out."""
    text = "\n".join(lines)
    if len(text) <= max_chars:
        return text
    kept: list[str] = []
    for line in lines:
        note = f"... {len(lines) - len(kept) - 1} more lines"
        if len("\n".join([*kept, line, note])) > max_chars:
            break
        kept.append(line)
    return "\n".join([*kept, f"... {len(lines) - len(kept)} more lines"])[:max_chars]
