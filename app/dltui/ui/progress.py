"""The Progress area: the study tracker, rendered live from the database each time it is shown."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Markdown

from dltui.context import StudyContext
from dltui.notes.progress import learner_progress
from dltui.notes.tracker import render_tracker


class ProgressPane(VerticalScroll, can_focus=True):
    BINDINGS = [Binding("r", "refresh_progress", "Refresh")]

    def __init__(self, context: StudyContext):
        super().__init__()
        self.context = context

    def compose(self) -> ComposeResult:
        yield Markdown("", id="progress-text")

    def on_show(self) -> None:
        self.refresh_progress()

    def refresh_progress(self) -> None:
        progress = learner_progress(self.context)
        self.query_one("#progress-text", Markdown).update(render_tracker(self.context, progress))

    def action_refresh_progress(self) -> None:
        self.refresh_progress()
