"""What a run looks like so far, folded from its events: curves, progress, latest metrics, end.

The TUI and `dltui lab attach` both hold one `RunMonitor` per run they show and call `poll()`
on a timer; `version` changes whenever something new arrived, so a view redraws only then.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dltui.labs.event_tail import KNOWN_TYPES, Event, EventTail
from dltui.labs.run_folder import RunFolder
from dltui.labs.series import MetricSeries, as_number
from dltui.store.models import LabRun
from dltui.terminal_text import terminal_safe
from dltui.text_charts import format_value


@dataclass
class Progress:
    done: float
    total: float
    unit: str
    first_done: float
    first_t: float
    last_t: float

    @property
    def fraction(self) -> float:
        return min(1.0, max(0.0, self.done / self.total)) if self.total > 0 else 0.0

    def eta_seconds(self) -> float | None:
        """Seconds left at the rate seen so far; None until there is a rate to go on."""
        elapsed, advanced = self.last_t - self.first_t, self.done - self.first_done
        if elapsed <= 0 or advanced <= 0:
            return None
        return max(0.0, (self.total - self.done) * elapsed / advanced)


class RunMonitor:
    """The state of one run, built from its events file as it grows."""

    def __init__(self, run_dir: Path, max_bytes_per_poll: int = 128 * 1024):
        self.run_dir = Path(run_dir)
        self.tail = EventTail(RunFolder(self.run_dir).events)
        self.max_bytes_per_poll = max_bytes_per_poll
        self.series: dict[str, MetricSeries] = {}
        self.latest: dict[str, Any] = {}
        self.step: float | None = None
        self.epoch: float | None = None
        self.progress: Progress | None = None
        self.start: Event | None = None
        self.end: Event | None = None
        self.checkpoints: list[Event] = []
        self.logs: deque[str] = deque(maxlen=200)
        self.artifacts: dict[str, str] = {}
        self.others: deque[Event] = deque(maxlen=50)  # events of unknown types, kept raw
        self._safe_names: dict[str, str] = {}  # metric name as the lab wrote it -> terminal-safe
        self.version = 0

    def poll(self, final: bool = False) -> bool:
        """Take in what the lab wrote since the last poll (bounded); True when anything changed."""
        before = (self.tail.events, self.tail.malformed, self.tail.oversized)
        for event in self.tail.stream(self.max_bytes_per_poll, final=final):
            self._apply(event)
        changed = before != (self.tail.events, self.tail.malformed, self.tail.oversized)
        if changed:
            self.version += 1
        return changed

    def catch_up(self, final: bool = False) -> None:
        """Read everything written so far (for a finished run, or a command-line summary)."""
        self.poll(final=final)
        while self.tail.pending:
            self.poll(final=final)

    def _apply(self, event: Event) -> None:
        kind = event["type"]
        if kind == "metrics":
            self._metrics(event)
        elif kind == "progress":
            self._progress(event)
        elif kind == "start":
            self.start = event
        elif kind == "end":
            self.end = event
        elif kind == "checkpoint":
            self.checkpoints.append(event)
        elif kind == "log":
            # Lab text is shown on the learner's terminal: no escape sequences (see terminal_text).
            self.logs.append(terminal_safe(f"{event.get('level', 'info')}: {event.get('message', '')}"))
        elif kind == "artifact":
            self.artifacts[terminal_safe(str(event.get("name", "artifact")))] = terminal_safe(str(event.get("text", "")))
        if kind not in KNOWN_TYPES:
            self.others.append(event)

    def _metrics(self, event: Event) -> None:
        values = event.get("values")
        step = as_number(event.get("step"))
        if not isinstance(values, dict):
            return
        epoch = as_number(event.get("epoch"))
        if step is None:  # a lab that counts nothing still gets a curve, one point per event
            step = (self.step or 0) + 1
        self.step = step
        if epoch is not None:
            self.epoch = epoch
        latest, all_series, safe_names = self.latest, self.series, self._safe_names
        for name, raw in values.items():
            safe = safe_names.get(name)
            if safe is None:
                safe = safe_names[name] = terminal_safe(str(name))
            name = safe
            if type(raw) is str:
                raw = terminal_safe(raw)
            latest[name] = raw
            # floats are nearly every value: skip the general conversion for them
            number = raw if type(raw) is float else as_number(raw)
            if number is None:
                continue
            series = all_series.get(name)
            if series is None:
                series = all_series[name] = MetricSeries(name)
            series.add(step, epoch, number)

    def _progress(self, event: Event) -> None:
        done, total = as_number(event.get("done")), as_number(event.get("total"))
        if done is None or total is None:
            return
        moment = as_number(event.get("t")) or time.time()
        unit = str(event.get("unit", "step"))
        if self.progress is None or done < self.progress.done:
            self.progress = Progress(done, total, unit, done, moment, moment)
        else:
            self.progress.done, self.progress.total, self.progress.unit = done, total, unit
            self.progress.last_t = moment

    @property
    def status(self) -> str | None:
        """The status the lab ended with, or None while no end event has arrived."""
        if self.end is None:
            return None
        return str(self.end.get("status", "ok"))

    def final_metrics(self) -> dict[str, Any]:
        """The latest value of every metric, with the end summary on top."""
        summary = self.end.get("summary") if self.end else None
        if not isinstance(summary, dict):
            return dict(self.latest)
        safe = {terminal_safe(str(k)): terminal_safe(v) if isinstance(v, str) else v for k, v in summary.items()}
        return {**self.latest, **safe}

    def counts(self) -> str:
        """One line for the learner: how many events, and what was skipped."""
        tail = self.tail
        parts = [f"{tail.events} events"]
        if tail.malformed:
            parts.append(f"{tail.malformed} malformed line(s) skipped")
        if tail.oversized:
            parts.append(f"{tail.oversized} oversized line(s) skipped")
        if tail.unknown:
            parts.append(f"{tail.unknown} of unknown type")
        return ", ".join(parts)


def output_tail(run_dir: Path, lines: int = 12, max_bytes: int = 16 * 1024) -> list[str]:
    """The last lines of a run's stdout.log (stdout and stderr), without reading the whole file."""
    path = RunFolder(Path(run_dir)).stdout
    try:
        with open(path, "rb") as handle:
            handle.seek(0, 2)
            size = handle.tell()
            handle.seek(max(0, size - max_bytes))
            data = handle.read()
    except OSError:
        return []
    text = terminal_safe(data.decode("utf-8", errors="replace"))  # carriage returns become newlines
    kept = text.splitlines()
    if size > max_bytes and kept:
        kept = kept[1:]  # the first line was cut by the seek
    return [line[:500] for line in kept[-lines:]]


PREFERRED_METRICS = ("train/loss", "val/loss", "train/acc", "val/acc", "test/acc")


def headline_metrics(latest: dict[str, Any], limit: int = 4) -> list[tuple[str, str]]:
    """The metrics worth a glance: the usual loss/accuracy keys first, then whatever else."""
    names = [m for m in PREFERRED_METRICS if m in latest]
    names += [m for m in latest if m not in names]
    return [(name, format_value(latest[name])) for name in names[:limit]]


def run_labels(runs: list[LabRun]) -> dict[str, str]:
    """Short legend names: for runs of one lab that differ in parameters, what differs (lr=0.1)."""
    labels: dict[str, str] = {}
    keys = set().union(*(r.params.keys() for r in runs)) if runs else set()
    differing = sorted(k for k in keys if len({repr(r.params.get(k)) for r in runs}) > 1)
    same_lab = len({r.lab_name for r in runs}) == 1
    for run in runs:
        if same_lab and differing and len(runs) > 1:
            labels[run.id] = " ".join(f"{k}={format_value(run.params.get(k))}" for k in differing[:2])
        else:
            labels[run.id] = run.id.split("-")[-1] if same_lab and len(runs) > 1 else run.lab_name
    return labels
