"""The card browser (/ in Review): find cards, read a card's schedule and history, suspend or bury it."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from dltui.srs import StudyClock
from dltui.srs.browse import BrowsedCard, browsed_card, card_history, find_cards, set_buried, set_suspended
from dltui.srs.scheduler import interval_label

HISTORY_SHOWN = 12


def _mark(card: BrowsedCard) -> str:
    if card.suspended:
        return "S"  # suspended (or a leech)
    if card.buried_until is not None:
        return "B"
    return {"new": "·", "learning": "l", "relearning": "l"}.get(card.state, "r")


def _when(moment: datetime | None, now: datetime) -> str:
    if moment is None:
        return "-"
    delta = moment - now
    relative = f"in {interval_label(delta)}" if delta.total_seconds() > 0 else f"{interval_label(-delta)} ago"
    return f"{moment:%Y-%m-%d %H:%M} UTC ({relative})"


class CardBrowser(ModalScreen[bool]):
    """Search cards; dismisses with True when a card was suspended, buried or brought back."""

    AUTO_FOCUS = "#browser-search"  # as the screen comes up: the words typed straight after "/" land there

    DEFAULT_CSS = """
    CardBrowser { align: center middle; }
    CardBrowser #browser { width: 100%; height: 100%; border: round $primary; background: $surface; }
    CardBrowser #browser-search { height: 3; }
    CardBrowser #browser-results { height: 1fr; min-height: 4; text-wrap: nowrap; text-overflow: ellipsis; }
    CardBrowser #browser-details { height: 1fr; padding: 0 1; }
    CardBrowser #browser-hint { height: 1; color: $text-muted; text-style: italic; }
    """

    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("down", "to_results", "Results", show=False),
        Binding("s", "toggle_suspended", "Suspend/unsuspend"),
        Binding("b", "toggle_buried", "Bury/unbury"),
    ]

    def __init__(self, context, clock: StudyClock | None = None):
        super().__init__()
        self.context = context
        self.clock = clock or StudyClock.for_settings(context.settings)
        self.cards: dict[int, BrowsedCard] = {}
        self.changed = False

    def compose(self) -> ComposeResult:
        with Vertical(id="browser"):
            yield Input(id="browser-search", placeholder="search cards: words of the question, answer or topic (e.g. A1)")
            yield OptionList(id="browser-results")
            with VerticalScroll(id="browser-details"):
                yield Static(id="browser-card")
            yield Static(
                "type to search · ↓ list · s suspend/unsuspend · b bury/unbury · Esc close",
                id="browser-hint",
                markup=False,
            )

    def on_mount(self) -> None:
        self.query_one("#browser", Vertical).border_title = "Cards"
        self._search("")

    # -- searching ---------------------------------------------------------------------------

    @on(Input.Changed, "#browser-search")
    def search_changed(self, event: Input.Changed) -> None:
        self._search(event.value)

    @on(Input.Submitted, "#browser-search")
    def search_submitted(self) -> None:
        self.action_to_results()

    def _search(self, text: str) -> None:
        found = find_cards(self.context, text, clock=self.clock)
        self.cards = {card.card_id: card for card in found}
        results = self.query_one("#browser-results", OptionList)
        results.clear_options()
        results.add_options([Option(self._line(card), id=str(card.card_id)) for card in found])
        self.query_one("#browser", Vertical).border_subtitle = f"{len(found)} card{'s' if len(found) != 1 else ''}"
        if found:
            results.highlighted = 0
            self._show(found[0].card_id)
        else:
            self.query_one("#browser-card", Static).update("No card matches; try fewer words, or a topic code such as B4.")

    def _line(self, card: BrowsedCard) -> Text:
        topic = self.context.curriculum.topics.get(card.topic_id)
        code = topic.code if topic else card.topic_id
        return Text(f"{_mark(card)} {code:<3} {card.front}")

    @on(OptionList.OptionHighlighted, "#browser-results")
    def result_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id is not None:
            self._show(int(event.option.id))

    # -- one card ----------------------------------------------------------------------------

    def _show(self, card_id: int) -> None:
        card = self.cards.get(card_id)
        if card is None:
            return
        now = self.clock.now()
        text = Text()
        text.append(card.front + "\n", style="bold")
        text.append(f"{card.back}\n", style="green")
        text.append(f"{card.topic_title} · card {card.card_id}\n", style="italic")
        status = card.state
        if card.suspended:
            status += " · suspended" + (" (leech)" if card.leech else "")
        if card.buried_until is not None:
            status += f" · buried until {card.buried_until:%Y-%m-%d %H:%M} UTC"
        text.append(f"State: {status}\n")
        text.append(f"Due: {_when(card.due, now)}\n")
        stability = f"{card.stability:.1f} d" if card.stability is not None else "-"
        difficulty = f"{card.difficulty:.2f}" if card.difficulty is not None else "-"
        text.append(f"Stability {stability} · difficulty {difficulty} · reps {card.reps} · lapses {card.lapses}\n")
        history = card_history(self.context, card.card_id)
        text.append(f"History ({len(history)} answer{'s' if len(history) != 1 else ''})\n", style="bold")
        for past in history[:HISTORY_SHOWN]:
            given = f" · answered {past.answer_given}" if past.answer_given else ""
            text.append(f"  {past.reviewed_at:%Y-%m-%d %H:%M}  {past.rating.name:<5} {past.mode}{given}\n")
        if len(history) > HISTORY_SHOWN:
            text.append(f"  ... and {len(history) - HISTORY_SHOWN} earlier\n")
        self.query_one("#browser-card", Static).update(text)

    def _highlighted(self) -> BrowsedCard | None:
        results = self.query_one("#browser-results", OptionList)
        if results.highlighted is None or not results.option_count:
            return None
        option = results.get_option_at_index(results.highlighted)
        return self.cards.get(int(option.id)) if option.id is not None else None

    def _refresh_card(self, card_id: int) -> None:
        card = browsed_card(self.context, card_id, self.clock)
        if card is None:
            return
        self.cards[card_id] = card
        self.changed = True
        results = self.query_one("#browser-results", OptionList)
        results.replace_option_prompt(str(card_id), self._line(card))
        self._show(card_id)

    # -- actions -----------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("toggle_suspended", "toggle_buried"):
            return not isinstance(self.focused, Input)  # in the search box s and b are letters
        return True

    def action_to_results(self) -> None:
        results = self.query_one("#browser-results", OptionList)
        if results.option_count:
            self.set_focus(results)  # now, not behind the keys already queued (ui/typed_ahead.py)

    def action_toggle_suspended(self) -> None:
        card = self._highlighted()
        if card is not None:
            set_suspended(self.context, card.card_id, not card.suspended)
            self._refresh_card(card.card_id)
            self.notify("Suspended: out of every queue." if not card.suspended else "Back in the queue.")

    def action_toggle_buried(self) -> None:
        card = self._highlighted()
        if card is not None:
            buried = card.buried_until is None
            set_buried(self.context, card.card_id, buried, self.clock)
            self._refresh_card(card.card_id)
            self.notify("Buried until tomorrow." if buried else "Unburied: it can come up today.")

    def action_close(self) -> None:
        self.dismiss(self.changed)
