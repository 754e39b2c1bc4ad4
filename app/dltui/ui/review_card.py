"""The card on the review screen: question, choices or a number box, then the answer."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Input, Static

from dltui.curriculum import CardKind
from dltui.srs import QueuedCard


def _state_label(card: QueuedCard) -> str:
    if card.is_new:
        return "new card"
    if card.retrievability is None:
        return "review"
    return f"recall {card.retrievability:.0%}"


class NumberBox(Input):
    """The number card's text box. Here u is a letter, so undo is ctrl+z alone, and the footer says so."""

    BINDINGS = [Binding("ctrl+z", "undo", "Undo", key_display="^z")]

    can_undo: reactive[bool] = reactive(False, bindings=True, init=False)  # set by the review pane

    class UndoPressed(Message):
        """ctrl+z in the box: the review pane takes the last change back."""

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "undo":
            return self.can_undo
        return super().check_action(action, parameters)

    def action_undo(self) -> None:
        self.post_message(self.UndoPressed())


class CardView(VerticalScroll):
    """Shows one QueuedCard; knows nothing about scheduling."""

    DEFAULT_CSS = """
    CardView { height: 1fr; padding: 0 1; }
    CardView #card-topic { color: $text-muted; }
    CardView #card-front { text-style: bold; margin: 1 0 0 0; }
    CardView #card-choices { margin: 1 0 0 0; }
    CardView #card-input { width: 40; margin: 1 0 0 0; }
    CardView #card-grade { margin: 1 0 0 0; }
    CardView #card-back { margin: 1 0 0 0; border-left: thick $success; padding: 0 1; }
    CardView .hidden { display: none; }
    """

    def compose(self) -> ComposeResult:
        yield Static(id="card-topic", markup=False)
        yield Static(id="card-front", markup=False)
        yield Static(id="card-choices", markup=False, classes="hidden")
        yield NumberBox(id="card-input", placeholder="type a number, Enter to check", classes="hidden")
        yield Static(id="card-grade", classes="hidden")
        yield Static(id="card-back", classes="hidden")

    def show_card(self, card: QueuedCard, caption: str = "") -> None:
        content = card.content
        self.query_one("#card-topic", Static).update(
            f"{card.topic_title} · {_state_label(card)}" + (f" · {caption}" if caption else "")
        )
        self.query_one("#card-front", Static).update(content.front)
        choices = self.query_one("#card-choices", Static)
        if content.kind is CardKind.MULTIPLE_CHOICE:
            choices.update("\n".join(f"{chr(ord('a') + i)}) {text}" for i, text in enumerate(content.choices)))
        choices.set_class(content.kind is not CardKind.MULTIPLE_CHOICE, "hidden")
        number = self.query_one(NumberBox)
        number.value = ""
        number.disabled = False
        number.set_class(content.kind is not CardKind.NUMERIC, "hidden")
        self.query_one("#card-grade", Static).add_class("hidden")
        self.query_one("#card-back", Static).add_class("hidden")
        self.scroll_home(animate=False)

    def show_answer(self, card: QueuedCard, response: str | None, correct: bool | None) -> None:
        content = card.content
        back = Text()
        back.append(content.back, style="bold")
        if content.why:
            back.append(f"\n{content.why}")
        if content.source:
            back.append(f"\nSource: {content.source}", style="italic")
        self.query_one("#card-back", Static).update(back)
        self.query_one("#card-back", Static).remove_class("hidden")
        grade = self.query_one("#card-grade", Static)
        if correct is None:
            grade.add_class("hidden")
        else:
            given = "no answer" if not response else f"you answered {response}"
            grade.update(Text("✓ correct" if correct else f"✗ not quite: {given}", style="green" if correct else "red"))
            grade.remove_class("hidden")
        self.query_one(NumberBox).disabled = True

    def show_message(self, title: str, body: str = "") -> None:
        """No card: say why (all done, quiz over...) and what comes next."""
        self.query_one("#card-topic", Static).update("")
        self.query_one("#card-front", Static).update(title)
        back = self.query_one("#card-back", Static)
        back.update(body)
        back.set_class(not body, "hidden")
        for name in ("#card-choices", "#card-input", "#card-grade"):
            self.query_one(name).add_class("hidden")
