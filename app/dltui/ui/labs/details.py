"""RunDetails: what a run wrote besides its curves: text artifacts, log messages, checkpoints,
and events of types dltui does not know, shown raw. Escape closes it.
"""

from __future__ import annotations

import json

from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label

from dltui.labs.monitor import RunMonitor
from dltui.ui.contained import ContainedStatic


def details_text(monitor: RunMonitor) -> str:
    """The run's extras as plain text, in sections; empty sections are left out."""
    sections: list[str] = []
    for name, text in monitor.artifacts.items():
        sections.append(f"── {name} ──\n{text}")
    if monitor.checkpoints:
        lines = [f"step {c.get('step', '?')}: {c.get('path', '?')} {json.dumps(c.get('values') or {})}" for c in monitor.checkpoints]
        sections.append("── checkpoints ──\n" + "\n".join(lines[-20:]))
    if monitor.logs:
        sections.append("── log messages ──\n" + "\n".join(list(monitor.logs)[-50:]))
    if monitor.others:
        raw = [json.dumps(event)[:500] for event in monitor.others]
        sections.append(f"── events of unknown types (the last {len(raw)}, raw) ──\n" + "\n".join(raw))
    sections.append(f"── reading ──\n{monitor.counts()}")
    return "\n\n".join(sections)


class RunDetails(ModalScreen[None]):
    AUTO_FOCUS = "VerticalScroll"  # as the screen comes up: the arrows typed straight after "d" scroll it
    DEFAULT_CSS = """
    RunDetails { align: center middle; }
    RunDetails > Vertical { width: 95%; height: 90%; border: round $accent; background: $surface; padding: 0 1; }
    RunDetails VerticalScroll { height: 1fr; }
    """
    BINDINGS = [Binding("escape,q", "close", "Close")]

    def __init__(self, run_id: str, monitor: RunMonitor):
        super().__init__()
        self.run_id = run_id
        self.monitor = monitor

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(f"[b]{escape(self.run_id)}[/b]  (Escape closes)")
            with VerticalScroll():
                yield ContainedStatic(escape(details_text(self.monitor)), id="run-details")

    def action_close(self) -> None:
        self.dismiss(None)
