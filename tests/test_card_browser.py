"""The card browser: find cards by text or topic, read a schedule and its history, suspend and bury.

The learner opens it with / in Review (the journey fixture's bundled curriculum), searches, moves
to the list, and acts on the highlighted card; the queue sees every change.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from dltui.srs import ReviewQueue, StudyClock, record_answer, sync_cards
from dltui.srs.browse import browsed_card, card_history, find_cards, set_buried, set_suspended
from dltui.store.models import CardState
from dltui.ui.app import DltuiApp
from fsrs import Rating
from journeys.conftest import screen_text, type_text, typed_at_once, wait_for_text, wait_until
from sqlmodel import select

RECALL = "What is the shape of A @ B"
START = datetime(2026, 5, 4, 10, 0, tzinfo=timezone.utc)


class FakeNow:
    def __init__(self, value: datetime):
        self.value = value

    def __call__(self) -> datetime:
        return self.value


def card_id(context, key: str) -> int:
    with context.store.session() as session:
        return session.exec(select(CardState.id).where(CardState.card_key == key)).one()


def test_find_cards_by_words_topic_code_and_title(learner):
    sync_cards(learner)
    by_words = find_cards(learner, "shape A @ B")
    assert by_words and by_words[0].front.startswith(RECALL)
    by_code = find_cards(learner, "a1")
    assert by_code and {card.topic_id for card in by_code} == {"linear-algebra"}
    assert [card.front for card in by_code][0].startswith(RECALL)  # in the file's order
    assert find_cards(learner, "chain rule") and all(c.topic_id for c in find_cards(learner, "chain rule"))
    assert find_cards(learner, "no card says xyzzy") == []


def test_schedule_history_suspend_and_bury(learner):
    sync_cards(learner)
    now = FakeNow(START)
    clock = StudyClock(4, timezone.utc, now)
    first = card_id(learner, "linear-algebra/product-shape")
    record_answer(learner, first, Rating.Good, now=START)
    record_answer(learner, first, Rating.Again, now=START + timedelta(minutes=10), mode="quiz", answer_given="(m, n)")
    card = browsed_card(learner, first, clock)
    assert (card.state, card.reps, card.lapses) == ("learning", 2, 0)
    assert card.stability is not None and card.difficulty is not None and card.due is not None
    history = card_history(learner, first)
    assert [(a.rating, a.mode, a.answer_given) for a in history] == [(Rating.Again, "quiz", "(m, n)"), (Rating.Good, "review", None)]
    set_suspended(learner, first, True)
    assert browsed_card(learner, first, clock).suspended
    set_suspended(learner, first, False)
    assert not browsed_card(learner, first, clock).suspended
    second = card_id(learner, "linear-algebra/dense-params")
    set_buried(learner, second, True, clock)
    assert browsed_card(learner, second, clock).buried_until == clock.day().end
    queue = ReviewQueue(learner, clock)
    assert queue.next_card().card_id not in (second,)
    set_buried(learner, second, False, clock)
    assert browsed_card(learner, second, clock).buried_until is None


async def test_the_browser_from_review_suspends_and_brings_back(learner):
    app = DltuiApp(learner)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f3")
        await wait_for_text(pilot, RECALL)
        await pilot.press("space", "3")  # one answer, so the card has a schedule and a history
        await wait_until(pilot, lambda: "How many parameters" in screen_text(app))
        await pilot.press("escape", "slash")
        text = await wait_for_text(pilot, "Cards")
        assert "search cards" in text and "Esc close" in text
        await type_text(pilot, "shape of A @ B")
        text = await wait_for_text(pilot, "1 card")
        assert "State: learning" in text and "reps 1 · lapses 0" in text and "Stability" in text
        assert "History (1 answer)" in text and "Good  review" in text
        await pilot.press("s")  # typed into the search box, not a suspend
        text = await wait_for_text(pilot, "No card matches")
        await pilot.press("backspace", "down", "s")
        text = await wait_for_text(pilot, "suspended")
        assert "State: learning · suspended" in text
        assert browsed_card(learner, card_id(learner, "linear-algebra/product-shape")).suspended
        await pilot.press("s")
        await wait_until(pilot, lambda: "· suspended" not in screen_text(app))
        assert not browsed_card(learner, card_id(learner, "linear-algebra/product-shape")).suspended
        await pilot.press("b")
        text = await wait_for_text(pilot, "buried until")
        assert "buried until" in text
        await pilot.press("b")
        await wait_until(pilot, lambda: "buried until" not in screen_text(app))
        await pilot.press("escape")
        text = await wait_for_text(pilot, "How many parameters")
        assert "Cards" not in text.splitlines()[0]


async def test_a_search_typed_straight_after_the_slash_lands_in_the_search_box(learner):
    # "/" then the words at once (a quick typist, or a burst over SSH): the words were handed out
    # before the browser's search box had the focus, and "s" and "b" suspend and bury in there.
    app = DltuiApp(learner)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f3")
        await wait_for_text(pilot, RECALL)
        typed_at_once(app, ["slash", *"shape of A @ B"])
        assert await wait_until(
            pilot, lambda: app.screen.query("#browser-search") and app.screen.query_one("#browser-search").value == "shape of A @ B"
        )
        text = await wait_for_text(pilot, f"A1  {RECALL}")
        assert "suspended" not in text and "buried" not in text  # the s and b of the words did nothing else


async def test_suspending_the_card_on_screen_moves_review_on(learner):
    app = DltuiApp(learner)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f3")
        await wait_for_text(pilot, RECALL)
        await pilot.press("slash")
        await wait_for_text(pilot, "search cards")
        await type_text(pilot, "A1")
        await pilot.press("enter", "s", "escape")  # Enter goes to the list; the first A1 card is the one shown
        text = await wait_for_text(pilot, "How many parameters")
        assert RECALL not in text
        assert browsed_card(learner, card_id(learner, "linear-algebra/product-shape")).suspended
