"""The lab event protocol (v1): one JSON object per line in ``<run dir>/events.jsonl``.

A lab creates one `Reporter` and calls it as it trains. The file is the source of truth: the
TUI tails it, so a run started before an SSH drop is picked up again by the next ``dltui``.
Lines are flushed as they are written, so a crash loses at most the line being written.

Run alone from a shell, a lab writes to ``./runs/<lab>-<time>/``; launched by dltui, it writes
where ``DLTUI_RUN_DIR`` points. SIGTERM sets `Reporter.stop_requested`: the lab is expected to
save a checkpoint and finish with ``end("cancelled")``.
"""

from __future__ import annotations

import json
import math
import os
import signal
import sys
import time
from pathlib import Path

PROTOCOL_VERSION = 1


def _clean(value):
    """Make a value JSON-safe (NaN and infinity become strings; numpy scalars become floats)."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if hasattr(value, "item") and callable(value.item):  # numpy / torch scalars
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


class Reporter:
    """Writes protocol events for one run and handles the stop signal."""

    def __init__(self, lab: str, run_dir: str | os.PathLike | None = None, echo: bool | None = None):
        self.lab = lab
        default = Path("runs") / f"{lab}-{time.strftime('%Y%m%d-%H%M%S')}"
        self.run_dir = Path(run_dir or os.environ.get("DLTUI_RUN_DIR") or default)
        self.checkpoint_dir = self.run_dir / "checkpoints"
        self.checkpoint_dir.mkdir(parents=True, exist_ok=True)
        self._file = open(self.run_dir / "events.jsonl", "a", encoding="utf-8")
        # Alone in a shell the learner wants to see progress; under dltui stdout goes to a log.
        self.echo = (os.environ.get("DLTUI_RUN_DIR") is None) if echo is None else echo
        self.stop_requested = False
        self.ended = False
        try:
            signal.signal(signal.SIGTERM, self._on_stop)
        except ValueError:  # not in the main thread (e.g. inside a test runner thread)
            pass

    def _on_stop(self, signum, frame) -> None:
        self.stop_requested = True

    def emit(self, type_: str, **fields) -> None:
        event = {"v": PROTOCOL_VERSION, "type": type_, **_clean(fields), "t": round(time.time(), 3)}
        line = json.dumps(event, separators=(",", ":"))
        self._file.write(line + "\n")
        self._file.flush()
        if self.echo:
            print(self._human(event), file=sys.stdout, flush=True)

    def start(self, params: dict, device: str = "cpu") -> None:
        self.emit("start", lab=self.lab, params=params, device=device, pid=os.getpid())

    def metrics(self, step: int, values: dict[str, float], epoch: float | None = None) -> None:
        fields = {"step": step, "values": values}
        if epoch is not None:
            fields["epoch"] = round(float(epoch), 4)
        self.emit("metrics", **fields)

    def progress(self, done: int, total: int, unit: str = "step") -> None:
        self.emit("progress", done=done, total=total, unit=unit)

    def checkpoint(self, path: str | os.PathLike, step: int, values: dict[str, float] | None = None) -> None:
        relative = os.path.relpath(path, self.run_dir)
        self.emit("checkpoint", path=relative, step=step, values=values or {})

    def log(self, message: str, level: str = "info") -> None:
        self.emit("log", level=level, message=message)

    def artifact(self, name: str, text: str) -> None:
        """A block of text to show as is (a confusion matrix, digits drawn in characters)."""
        self.emit("artifact", name=name, text=text)

    def end(self, status: str = "ok", summary: dict | None = None) -> None:
        if self.ended:
            return
        self.ended = True
        self.emit("end", status=status, summary=summary or {})
        self._file.close()

    def __enter__(self) -> "Reporter":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        # A crash still leaves an end event with the error; the traceback goes to stderr/stdout.log.
        if not self.ended:
            if exc_type is None:
                self.end("cancelled" if self.stop_requested else "ok")
            elif exc_type is KeyboardInterrupt:
                self.end("cancelled")
            else:
                self.end("failed", {"error": f"{exc_type.__name__}: {exc}"})

    @staticmethod
    def _human(event: dict) -> str:
        kind = event["type"]
        if kind == "metrics":
            values = "  ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in event["values"].items())
            return f"step {event['step']:>6}  {values}"
        if kind == "progress":
            return f"[{event['done']}/{event['total']} {event['unit']}]"
        if kind == "artifact":
            return f"--- {event['name']} ---\n{event['text']}"
        if kind == "log":
            return f"{event['level']}: {event['message']}"
        rest = {k: v for k, v in event.items() if k not in ("v", "type", "t")}
        return f"{kind}: {json.dumps(rest)}"
