"""`dltui review` and `dltui quiz`: the Review area alone, for a quick session over SSH."""

from __future__ import annotations

from fsrs import Scheduler
from textual import events
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import Header

from dltui.context import StudyContext
from dltui.srs import StudyClock, sync_cards
from dltui.ui.footer import StudyFooter
from dltui.ui.review.pane import ReviewPane
from dltui.ui.typed_ahead import into_the_focused_box


class ReviewApp(App):
    """The same Review pane as in the full app, with a header and the keys in the footer."""

    TITLE = "dltui review"
    BINDINGS = [
        Binding("q", "quit", "Quit"),
        Binding("ctrl+q", "quit", "Quit", priority=True, show=False),
    ]

    def __init__(
        self,
        context: StudyContext,
        quiz_topic: str | None = None,
        clock: StudyClock | None = None,
        scheduler: Scheduler | None = None,
    ):
        super().__init__()
        self.context = context
        self.quiz_topic = quiz_topic
        self.clock = clock
        self.scheduler = scheduler
        sync_cards(context)  # cards added to the files since the last start join the queue
        self.answered_log_ids: list[int] = []  # answers given and not undone; `dltui review` prints their summary

    def compose(self) -> ComposeResult:
        yield Header()
        pane = ReviewPane(self.context, clock=self.clock, scheduler=self.scheduler)
        self.answered_log_ids = pane.session_logs  # the same list: it outlives the screen for the summary
        yield pane
        yield StudyFooter()

    def on_key(self, event: events.Key) -> None:
        into_the_focused_box(self, event)  # keys typed ahead of a focus change (ui/typed_ahead.py)

    def on_mount(self) -> None:
        pane = self.query_one(ReviewPane)
        if self.quiz_topic:
            self.sub_title = "quiz"
            pane.start_quiz(self.quiz_topic)
        self.set_focus(pane)  # now: keys typed as `dltui review` opens go to the card
