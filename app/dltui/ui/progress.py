"""The Progress area."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from dltui.context import StudyContext


class ProgressPane(Vertical):
    """Placeholder until the progress issue lands."""

    def __init__(self, context: StudyContext):
        super().__init__()
        self.context = context

    def compose(self) -> ComposeResult:
        yield Static("Progress: not built yet.", classes="muted")
