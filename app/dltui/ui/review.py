"""The Review area."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from dltui.context import StudyContext


class ReviewPane(Vertical):
    """Placeholder until the review issue lands."""

    def __init__(self, context: StudyContext):
        super().__init__()
        self.context = context

    def compose(self) -> ComposeResult:
        yield Static("Review: not built yet.", classes="muted")
