"""The card on the review screen: question, choices or a number box, then the answer."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.geometry import Size
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


class CardText(Static):
    """A line or paragraph of the card. Textual lays the whole screen out a second time whenever
    a widget's size changes (its `virtual_size` is a layout reactive), which only matters for what
    scrolls: this text never does, so a new card costs one layout pass, not two (~4 ms a card)."""

    def _size_updated(self, size: Size, virtual_size: Size, container_size: Size, layout: bool = True) -> bool:
        return super()._size_updated(size, virtual_size, container_size, layout=False)


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
    """Shows one QueuedCard; knows nothing about scheduling.

    The same widgets serve every card: their text is replaced and the parts a card lacks are
    hidden with ``display`` (an inline style: no stylesheet pass, unlike toggling a class).
    """

    DEFAULT_CSS = """
    CardView { height: 1fr; padding: 0 1; }
    CardView #card-topic { color: $text-muted; }
    CardView #card-front { text-style: bold; margin: 1 0 0 0; }
    CardView #card-choices { margin: 1 0 0 0; }
    CardView #card-input { width: 40; margin: 1 0 0 0; }
    CardView #card-grade { margin: 1 0 0 0; }
    CardView #card-back { margin: 1 0 0 0; border-left: thick $success; padding: 0 1; }
    """

    def compose(self) -> ComposeResult:
        yield CardText(id="card-topic", markup=False)
        yield CardText(id="card-front", markup=False)
        for widget in (
            CardText(id="card-choices", markup=False),
            NumberBox(id="card-input", placeholder="type a number, Enter to check"),
            CardText(id="card-grade"),
            CardText(id="card-back"),
        ):
            widget.display = False
            yield widget

    def show_card(self, card: QueuedCard, caption: str = "") -> None:
        content = card.content
        self.query_one("#card-topic", Static).update(f"{card.topic_title} · {_state_label(card)}" + (f" · {caption}" if caption else ""))
        self.query_one("#card-front", Static).update(content.front)
        choices = self.query_one("#card-choices", Static)
        if content.kind is CardKind.MULTIPLE_CHOICE:
            choices.update("\n".join(f"{chr(ord('a') + i)}) {text}" for i, text in enumerate(content.choices)))
        choices.display = content.kind is CardKind.MULTIPLE_CHOICE
        number = self.query_one(NumberBox)
        number.display = content.kind is CardKind.NUMERIC
        if number.display:
            number.value = ""
            number.disabled = False
        self.query_one("#card-grade", Static).display = False
        self.query_one("#card-back", Static).display = False
        self.scroll_home(animate=False)

    def show_answer(self, card: QueuedCard, response: str | None, correct: bool | None) -> None:
        content = card.content
        back = Text()
        back.append(content.back, style="bold")
        if content.why:
            back.append(f"\n{content.why}")
        if content.source:
            back.append(f"\nSource: {content.source}", style="italic")
        shown = self.query_one("#card-back", Static)
        shown.update(back)
        shown.display = True
        grade = self.query_one("#card-grade", Static)
        grade.display = correct is not None
        if correct is not None:
            given = "no answer" if not response else f"you answered {response}"
            grade.update(Text("✓ correct" if correct else f"✗ not quite: {given}", style="green" if correct else "red"))
        number = self.query_one(NumberBox)
        if number.display:  # answered: no more typing
            number.disabled = True

    def show_message(self, title: str, body: str = "") -> None:
        """No card: say why (all done, quiz over...) and what comes next."""
        self.query_one("#card-topic", Static).update("")
        self.query_one("#card-front", Static).update(title)
        back = self.query_one("#card-back", Static)
        back.update(body)
        back.display = bool(body)
        for name in ("#card-choices", "#card-input", "#card-grade"):
            self.query_one(name).display = False
