"""ConfirmStop: "Stop this run?" before `s` ends a run: y or Enter stops it, n or Escape keeps it.

A stopped run cannot be resumed from where it was (only from its last checkpoint), so one key
press landing on `s` by mistake must not end an hour of training.
"""

from __future__ import annotations

from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen

from dltui.ui.contained import ContainedStatic


class ConfirmStop(ModalScreen[bool]):
    DEFAULT_CSS = """
    ConfirmStop { align: center middle; }
    ConfirmStop > Vertical { width: 60; max-width: 90%; height: auto; border: round $warning; background: $surface; padding: 0 1; }
    """
    BINDINGS = [
        Binding("y,enter", "answer(True)", "Stop it"),
        Binding("n,escape", "answer(False)", "Keep it running"),
    ]

    def __init__(self, run_id: str):
        super().__init__()
        self.run_id = run_id

    def compose(self) -> ComposeResult:
        with Vertical():
            yield ContainedStatic(f"Stop [b]{escape(self.run_id)}[/b]?")
            yield ContainedStatic("It saves a checkpoint and ends.  [b]y[/b]/Enter: stop   [b]n[/b]/Esc: keep it running")

    def action_answer(self, stop: bool) -> None:
        self.dismiss(stop)
