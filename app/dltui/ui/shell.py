"""Paint first, then load: what the app shows until the learner's records are open.

dltui's first frame (the header, the areas' names, the chat's text box with the focus, the footer)
needs only Textual and the light modules of ui/. The database (SQLModel, SQLAlchemy, pydantic)
and the curriculum take ~0.5 s to import and open; `load_study` does that in a thread, and the
app mounts the real areas when `StudyLoaded` arrives. Until then each area shows one line, and
the chat's box takes what the learner types: Enter keeps the message, sent once the chat is up.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from rich.markup import escape
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Static

from dltui.ui.chat_input import ChatInput

if TYPE_CHECKING:
    from textual.widget import Widget

    from dltui.context import StudyContext

LOADING = "loading your records…"
AREA_PANE = "area-pane"  # the class of the pane that fills an area, once the records are open


class LoadingLine(Static):
    """Where an area will be, while the records load."""

    DEFAULT_CSS = "LoadingLine { color: $text-muted; padding: 0 1; }"

    def __init__(self) -> None:
        super().__init__(LOADING, classes="loading")


class EarlyInput(ChatInput):
    """The chat's text box before the chat is up: Enter keeps the message (in order) instead of
    sending it. The message is kept in the box itself, so no key it has taken in is lost, even one
    still on its way when the chat takes over."""

    def __init__(self) -> None:
        super().__init__(placeholder="Ask the tutor… (Enter sends once your records are loaded)", id="early-input")
        self.waiting: list[str] = []

    async def action_submit(self) -> None:
        text = self.value.strip()
        if text:
            self.waiting.append(text)
            self.value = ""
            self.post_message(EarlyMessage(text))


class EarlyMessage(Message):
    """A message the learner sent before the chat was up."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


class EarlyChat(Vertical):
    """The Chat area while the records load: the loading line, the messages waiting, the box."""

    FIRST_FOCUS = "#early-input"
    DEFAULT_CSS = "EarlyChat { height: 1fr; } EarlyChat #early-log { height: 1fr; }"

    def compose(self) -> ComposeResult:
        with Vertical(id="early-log"):
            yield LoadingLine()
        yield EarlyInput()

    def on_early_message(self, message: EarlyMessage) -> None:
        self.query_one("#early-log").mount(Static(f"[b]You[/b]  {escape(message.text)}", classes="user-message"))


def placeholder(area: str) -> Widget:
    return EarlyChat() if area == "chat" else LoadingLine()


class StudyLoaded(Message):
    """The records are open (``context``), or they could not be (``error``, for the command line)."""

    def __init__(self, context: StudyContext | None, error: Exception | None = None) -> None:
        super().__init__()
        self.context = context
        self.error = error


def load_study(opener: Callable[[], StudyContext]) -> StudyContext:
    """Open the records and import the areas: run in a thread while the shell is on screen."""
    context = opener()
    join_new_cards(context)
    from dltui.store import prepare_orm  # here: the opener imported the store

    area_panes()  # their imports (Markdown, the SRS, the tutor) happen here, not in the UI thread
    prepare_orm()  # the first ORM query's set-up, done here instead of in a pane's mount
    return context


def join_new_cards(context: StudyContext) -> None:
    """Cards added to the curriculum files since the last start join the queue (before any pane reads it)."""
    from dltui.srs import sync_cards

    sync_cards(context)


def area_pane(area: str, context: StudyContext) -> Widget:
    """The pane that fills an area once the records are open (the app finds it by its class)."""
    pane = area_panes()[area](context)
    pane.add_class(AREA_PANE)
    return pane


def area_panes() -> dict[str, Callable[[StudyContext], Widget]]:
    """Area id -> the pane that fills it once the records are open."""
    from dltui.ui.chat import ChatPane
    from dltui.ui.labs.pane import LabsPane
    from dltui.ui.progress import ProgressPane
    from dltui.ui.review.pane import ReviewPane
    from dltui.ui.topics import TopicsPane

    return {"chat": ChatPane, "topics": TopicsPane, "review": ReviewPane, "labs": LabsPane, "progress": ProgressPane}
