"""`dltui lab attach`: follow runs in a plain terminal: progress, ETA, latest metrics, a sparkline.

Detaching (Ctrl-C) never stops a run: the lab lives in its own session. On a terminal the block
of lines is redrawn in place; into a pipe or a file a line is printed only when something changed.
"""

from __future__ import annotations

import shutil
import sys
import time
from typing import Any, TextIO

from dltui.labs import records
from dltui.labs.monitor import headline_metrics, output_tail, run_labels
from dltui.labs.runner import LabRunner
from dltui.labs.series import downsample
from dltui.store.models import LabRun, RunStatus
from dltui.terminal_text import terminal_safe
from dltui.text_charts import format_duration, sparkline, text_bar

BAR_WIDTH = 20
SPARK_WIDTH = 24  # a loss curve's shape, squeezed into this many characters


def readable_metrics(metrics: dict[str, Any]) -> dict[str, Any]:
    """Final metrics fit for one line: a grader's checks as "5/8 pass", nested values counted.

    The pass/fail verdict is shown on its own, so a boolean ``passed`` is left out.
    """
    out: dict[str, Any] = {}
    for name, value in metrics.items():
        if name == "passed" and isinstance(value, bool):
            continue
        if name == "checks" and isinstance(value, dict):
            passed = sum(1 for check in value.values() if isinstance(check, dict) and check.get("passed") is True)
            out[name] = f"{passed}/{len(value)} pass"
        elif isinstance(value, dict):
            out[name] = f"({len(value)} values)"
        elif isinstance(value, (list, tuple)):
            out[name] = f"({len(value)} items)"
        else:
            out[name] = value
    return out


def fit_parts(parts: list[str], width: int, indent: str = "  ") -> list[str]:
    """Pack parts (joined by two spaces) into lines of at most ``width``; later lines indented.

    On a terminal a line is cut at its width, so a metric must start a new line rather than be
    cut in the middle ("train/loss 0.0").
    """
    lines: list[str] = []
    line = ""
    for part in parts:
        candidate = f"{line}  {part}" if line else part
        if line and len(candidate) > width:
            lines.append(line)
            candidate = indent + part
        line = candidate
    if line:
        lines.append(line)
    return [text[:width] for text in lines]


def progress_parts(runner: LabRunner, run: LabRun) -> list[str]:
    """A run's status, progress bar with ETA, headline metrics and a loss sparkline, as parts."""
    monitor = runner.monitor(run)
    if run.id in runner.running:
        status = "running"
    else:
        status = (records.get_run(runner.store, run.id) or run).status.value
    parts = [status]
    progress = monitor.progress
    if progress is not None:
        parts.append(f"[{text_bar(progress.fraction, BAR_WIDTH, '#', '.')}] {progress.fraction:4.0%}")
        if run.id in runner.running:
            parts.append(f"ETA {format_duration(progress.eta_seconds())}")
    parts += [f"{name} {value}" for name, value in headline_metrics(monitor.latest, 3)]
    loss = next((monitor.series[m] for m in ("train/loss", "val/loss") if m in monitor.series), None)
    if loss is not None and len(loss) > 1:
        parts.append(sparkline(downsample(list(range(len(loss))), loss.values, SPARK_WIDTH)[1]))
    if monitor.tail.skipped or monitor.tail.unknown:
        parts.append(f"({monitor.counts()})")
    return parts


def progress_text(runner: LabRunner, run: LabRun) -> str:
    """One line about a run (for a pipe or a file, where lines are never cut)."""
    return "  ".join(progress_parts(runner, run))


def final_text(runner: LabRunner, run: LabRun) -> list[str]:
    """How a run ended, with the last lines of its output when it did not end well."""
    monitor = runner.monitor(run)
    row = records.get_run(runner.store, run.id) or run
    verdict = {True: ", passed", False: ", not passed", None: ""}[row.passed]
    metrics = "  ".join(f"{k} {v}" for k, v in headline_metrics(readable_metrics(monitor.final_metrics()), 6))
    lines = [f"{run.id}: {row.status.value}{verdict}  {metrics}".rstrip()]
    if row.status in (RunStatus.CRASHED, RunStatus.FAILED):
        lines += ["  | " + line for line in output_tail(runner.monitor(run).run_dir, 15)]
    return [terminal_safe(line) for line in lines]  # metric names come from the lab


def attach(runner: LabRunner, runs: list[LabRun], out: TextIO | None = None, interval_s: float = 0.5) -> int:
    """Follow ``runs`` until they all end (0 if none failed, 1 otherwise) or Ctrl-C (0, runs go on)."""
    out = sys.stdout if out is None else out  # looked up now: stdout may have been replaced since import
    live = out.isatty()
    # A line longer than the terminal wraps, and the redraw would then move up too few lines.
    width = max(20, shutil.get_terminal_size().columns - 1) if live else 0
    labels = run_labels(runs)
    drawn = 0
    shown: dict[str, str] = {}
    try:
        while True:
            runner.poll()
            # Metric names and values come from the lab: no escape sequences reach the terminal.
            parts = {r.id: [terminal_safe(p) for p in progress_parts(runner, r)] for r in runs}
            names = {r.id: terminal_safe(labels[r.id] if len(runs) > 1 else r.id) for r in runs}
            if live:  # as many lines per run as its parts need at this width, none cut
                lines = [line for r in runs for line in fit_parts([f"{names[r.id]}:", *parts[r.id]], width)]
                lines += [""] * (drawn - len(lines))  # blank what a longer frame left below
            else:
                lines = [f"{names[r.id]}: " + "  ".join(parts[r.id]) for r in runs]
            if live:
                if drawn:
                    out.write(f"\x1b[{drawn}F")
                out.write("".join(f"\x1b[2K{line[:width]}\n" for line in lines))
                drawn = len(lines)
            else:
                for run, line in zip(runs, lines):
                    if shown.get(run.id) != line:
                        out.write(line + "\n")
                        shown[run.id] = line
            out.flush()
            if not any(r.id in runner.running for r in runs):
                break
            time.sleep(interval_s)
    except KeyboardInterrupt:
        ids = " ".join(r.id for r in runs if r.id in runner.running)
        out.write(f"\nDetached; still running: {ids or 'nothing'}. Stop with `dltui lab stop RUN`.\n")
        return 0
    failed = False
    for run in runs:
        for line in final_text(runner, run):
            out.write(line + "\n")
        row = records.get_run(runner.store, run.id) or run
        failed |= row.status not in (RunStatus.OK, RunStatus.CANCELLED)
    out.flush()
    return 1 if failed else 0
