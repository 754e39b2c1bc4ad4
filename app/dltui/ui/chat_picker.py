"""Ctrl+O in the Chat: pick a past conversation to open."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from dltui.context import StudyContext
from dltui.tutor import history


class ConversationPicker(ModalScreen[int | None]):
    BINDINGS = [Binding("escape", "dismiss(None)", "Close")]

    def __init__(self, context: StudyContext):
        super().__init__()
        self.context = context

    def compose(self) -> ComposeResult:
        options = [
            Option(f"{c.updated_at:%Y-%m-%d %H:%M}  {c.title}  ({c.tutor})", id=str(c.id))
            for c in history.recent_conversations(self.context)
        ]
        with Vertical(id="picker"):
            yield Static("Open a conversation (Enter), Esc to close", classes="title")
            yield OptionList(*options, id="picker-list")

    @on(OptionList.OptionSelected)
    def chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(int(event.option.id) if event.option.id else None)
