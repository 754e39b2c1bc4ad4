"""Review journeys: a learner studies the bundled curriculum from launch, keys only, read off the screen.

The first cards of a new learner's queue are fixed by the curriculum: a recall card (the shape of
A @ B), then a numeric one (parameters of a dense layer), then another numeric, then a choice.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from dltui.srs import StudyClock
from dltui.srs.scheduler import interval_label
from dltui.store.models import CardState, ReviewLog
from dltui.ui.app import DltuiApp
from dltui.ui.review.app import ReviewApp
from dltui.ui.review.pane import ReviewPane
from journeys.conftest import screen_text, type_text, typed_at_once, wait_for_text, wait_until
from sqlmodel import select

RECALL = "What is the shape of A @ B"
NUMERIC = "How many parameters (weights and biases)"
RATING = re.compile(r"([1-4]) (Again|Hard|Good|Easy) (\d+(?:\.\d+)?(?:m|h|d|mo|y))")


class FakeNow:
    def __init__(self, value: datetime):
        self.value = value

    def __call__(self) -> datetime:
        return self.value


def logs(context) -> list[ReviewLog]:
    with context.store.session() as session:
        return session.exec(select(ReviewLog).order_by(ReviewLog.id)).all()


def card_row(context, card_id: int) -> CardState:
    with context.store.session() as session:
        return session.get(CardState, card_id)


async def open_review(pilot) -> str:
    await pilot.press("f3")
    return await wait_for_text(pilot, RECALL)


async def test_undo_after_suspend_onto_a_number_card_leaves_the_keys_working(learner, size):
    app = DltuiApp(learner)
    async with app.run_test(size=size) as pilot:
        assert RECALL in await open_review(pilot)
        await pilot.press("s")
        text = await wait_for_text(pilot, NUMERIC)
        assert NUMERIC in text and "Suspended" in text
        await pilot.press("ctrl+z")
        text = await wait_for_text(pilot, RECALL)
        assert RECALL in text and "Undone (suspend)" in text
        await pilot.press("space")
        text = await wait_for_text(pilot, "3 Good")
        assert "3 Good" in text, text
        await pilot.press("3")
        text = await wait_for_text(pilot, NUMERIC)
        assert [log.rating for log in logs(learner)] == [3]
        # u works on the recall card's answer too, and brings the recall card back.
        await pilot.press("ctrl+z")
        text = await wait_for_text(pilot, RECALL)
        assert logs(learner) == [] and RECALL in text
        await pilot.press("space", "2")
        text = await wait_for_text(pilot, NUMERIC)
        assert [log.rating for log in logs(learner)] == [2]
        assert "ctrl+z: undo" in text  # in the number box u is a letter: the hint names the key that works


async def test_u_undoes_an_answer_on_a_recall_card(learner, size):
    app = DltuiApp(learner)
    async with app.run_test(size=size) as pilot:
        await open_review(pilot)
        await pilot.press("space", "1")
        await wait_for_text(pilot, NUMERIC)
        # The number box holds the focus; Esc leaves it, then u undoes.
        await pilot.press("escape", "u")
        text = await wait_for_text(pilot, RECALL)
        assert RECALL in text and logs(learner) == []


async def test_a_number_answer_says_which_grade_enter_gives(learner, size):
    app = DltuiApp(learner)
    async with app.run_test(size=size) as pilot:
        await open_review(pilot)
        await pilot.press("space", "4")
        await wait_for_text(pilot, NUMERIC)
        await type_text(pilot, "7")
        await pilot.press("enter")
        text = await wait_for_text(pilot, "not quite")
        assert "Enter: Again" in text, text
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(logs(learner)) == 2)
        assert [log.rating for log in logs(learner)] == [4, 1]
        # The next number card, answered right: Enter gives Good, and says so.
        answer = app.query_one(ReviewPane).card.content.curriculum_card.answer
        await type_text(pilot, str(answer))
        await pilot.press("enter")
        text = await wait_for_text(pilot, "✓ correct")
        assert "Enter: Good" in text, text
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(logs(learner)) == 3)
        assert logs(learner)[-1].rating == 3


async def test_keys_typed_ahead_of_the_screen_go_where_they_would_have_gone(learner, size):
    # A learner who knows the answers types on: the number belongs in the next card's box, and
    # the Enter after it checks it; none of it may land on the card before or be dropped.
    app = DltuiApp(learner)
    async with app.run_test(size=size) as pilot:
        await open_review(pilot)
        number = next(card for card in learner.curriculum.all_cards() if card.front.startswith(NUMERIC)).answer
        typed_at_once(app, ["space", "3", *number, "enter"])
        text = await wait_for_text(pilot, "✓ correct")
        assert "Enter: Good" in text, text
        typed_at_once(app, ["enter", "escape", "space", "2"])  # Good; on the next number card, leave its box and see the answer
        assert await wait_until(pilot, lambda: len(logs(learner)) == 3), (
            [log.rating for log in logs(learner)],
            screen_text(app),
            app.focused,
        )
        assert [log.rating for log in logs(learner)] == [3, 3, 2]


async def test_choices_are_picked_with_letters(learner, size):
    app = DltuiApp(learner)
    async with app.run_test(size=size) as pilot:
        await open_review(pilot)
        await pilot.press("space", "4")  # the recall card
        for _ in range(2):  # two number cards: leave the box, show the answer, rate
            await wait_until(pilot, lambda: "number + Enter" in screen_text(app))
            await pilot.press("escape", "space", "3")
        text = await wait_for_text(pilot, "a-d: choose")
        assert "a)" in text and "d)" in text
        await pilot.press("d")
        text = await wait_for_text(pilot, "Enter:")
        assert "✓ correct" in text or "not quite: you answered d" in text
        for letter in "ac":  # other choices do nothing once the card is answered (b would bury it)
            await pilot.press(letter)
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(logs(learner)) == 4)
        assert logs(learner)[-1].answer_given == "d"


async def test_bury_in_a_quiz_takes_the_card_out_of_the_quiz(learner, size):
    app = ReviewApp(learner, quiz_topic="linear-algebra")
    async with app.run_test(size=size) as pilot:
        text = await wait_for_text(pilot, RECALL)
        assert "quiz 1/" in text
        await pilot.press("b")
        text = await wait_for_text(pilot, NUMERIC)
        assert RECALL not in text and "Buried" in text, text
        # Undo puts it back in the quiz.
        await pilot.press("ctrl+z")
        text = await wait_for_text(pilot, RECALL)
        assert RECALL in text


async def test_a_quiz_ends_with_a_summary_and_r_goes_back_to_reviews(learner, size):
    app = ReviewApp(learner, quiz_topic="linear-algebra")
    async with app.run_test(size=size) as pilot:
        await wait_for_text(pilot, RECALL)
        pane = app.query_one(ReviewPane)
        ratings = "1342"
        answered = 0
        while pane.card is not None and answered < 20:
            if app.focused is not None and app.focused.id == "card-input":
                await pilot.press("escape")
            await pilot.press("space", ratings[answered % 4])
            answered += 1
            await pilot.pause()
        text = await wait_for_text(pilot, "Retention today")
        assert "done" in text and f"{answered} answered" in text, text
        assert re.search(r"Again \d+ · Hard \d+ · Good \d+ · Easy \d+", text), text
        assert "Due tomorrow" in text
        await pilot.press("r")
        text = await wait_for_text(pilot, "Back to today's reviews")
        assert "Review ·" in text


@pytest.mark.parametrize("learner_env", [{"DLTUI_NEW_PER_DAY": "2"}])
async def test_the_review_session_ends_with_a_summary(learner, size):
    app = DltuiApp(learner)
    async with app.run_test(size=size) as pilot:
        await open_review(pilot)
        await pilot.press("space", "4")
        await wait_for_text(pilot, NUMERIC)
        await pilot.press("escape", "space", "4")
        text = await wait_for_text(pilot, "Nothing due")
        assert "This session: 2 answered" in text, text
        assert "Again 0 · Hard 0 · Good 0 · Easy 2" in text and "Retention today 100%" in text, text


async def test_the_interval_shown_is_the_interval_given_with_fuzz_on(learner):
    """50 answers over several days with the learner's own (fuzzing) scheduler."""
    now = FakeNow(datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc))
    app = ReviewApp(learner, clock=StudyClock(4, timezone.utc, now))
    assert app.scheduler is None  # the default scheduler, fuzz included
    script = "4342413443"
    checked, fuzzable = 0, 0
    async with app.run_test(size=(120, 40)) as pilot:
        pane = app.query_one(ReviewPane)
        assert pane.deck is not None and pane.deck.scheduler.enable_fuzzing
        while checked < 50:
            if pane.card is None:
                now.value += timedelta(days=2)
                pane._check_when_idle()  # what the idle timer does every 30 s
                await pilot.pause()
                continue
            if app.focused is not None and app.focused.id == "card-input":
                await pilot.press("escape")
            await pilot.press("space")
            await pilot.pause()
            shown = {key: label for key, _, label in RATING.findall(screen_text(app))}
            key = script[checked % len(script)]
            assert key in shown, screen_text(app)
            card_id = pane.card.card_id
            await pilot.press(key)
            await pilot.pause()
            log = logs(learner)[-1]
            assert log.card_id == card_id and log.rating == int(key)
            given = card_row(learner, card_id).due.replace(tzinfo=timezone.utc) - log.reviewed_at.replace(tzinfo=timezone.utc)
            assert interval_label(given) == shown[key], (checked, shown, key, given)
            if given >= timedelta(days=3):
                fuzzable += 1
            checked += 1
            now.value += timedelta(minutes=11)
    assert fuzzable >= 10, "the journey should meet intervals long enough to be fuzzed"


async def test_review_keys_and_stats_fit_at_80x24(learner):
    app = DltuiApp(learner)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_review(pilot)
        await pilot.press("space", "3", "escape")  # one answer, so undo is offered too
        await wait_for_text(pilot, NUMERIC)
        footer = screen_text(app).splitlines()[-1]
        for key in ("u/^z Undo", "b Bury", "s Suspend", "v Stats", "/ Find", "? Keys"):
            assert key in footer, footer
        await pilot.press("slash")
        text = await wait_for_text(pilot, "search cards")
        assert "Esc close" in text
        await pilot.press("escape")
        await wait_for_text(pilot, NUMERIC)
        await pilot.press("v")
        text = await wait_for_text(pilot, "Mastery by domain")
        pane = app.query_one(ReviewPane)
        for domain in learner.curriculum.domains.values():
            # The stats scroll; bring each domain line into view and check it whole.
            view = app.query_one("#review-stats")
            for _ in range(30):
                if f"{domain.id} {domain.title}" in screen_text(app):
                    break
                view.scroll_down(animate=False)
                await pilot.pause()
            assert f"{domain.id} {domain.title}" in screen_text(app), screen_text(app)
        await pilot.press("v")
        text = await wait_for_text(pilot, NUMERIC)
        assert pane.showing_stats is False and NUMERIC in text


def footer_as_textual_shows_it(app) -> bool:
    """Every key Textual's Footer would show, in its order, on the footer line."""
    from journeys.test_chat_journeys import footer_entries

    line = screen_text(app).splitlines()[-1]
    entries = footer_entries(app)
    if not all(entry in line for entry in entries):
        return False
    places = [line.index(entry) for entry in entries]
    return places == sorted(places)


async def test_the_footer_keys_follow_the_review_in_place(learner):
    app = DltuiApp(learner)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_review(pilot)
        await pilot.press("space", "3")  # one answer: undo is offered, the number box has the focus
        await wait_for_text(pilot, NUMERIC)
        assert await wait_until(pilot, lambda: "^z Undo" in screen_text(app).splitlines()[-1])
        in_the_box = screen_text(app).splitlines()[-1]
        await pilot.press("escape")  # out of the box: u undoes again, the key is wider, more keys work
        assert await wait_until(pilot, lambda: "u/^z Undo" in screen_text(app).splitlines()[-1])
        out_of_the_box = screen_text(app).splitlines()[-1]
        for key in ("b Bury", "s Suspend", "v Stats", "/ Find", "? Keys"):
            assert key in out_of_the_box, out_of_the_box
        await pilot.press("space", "3")  # the next card is a number card too: back in its box
        assert await wait_until(pilot, lambda: screen_text(app).splitlines()[-1] == in_the_box)
        assert footer_as_textual_shows_it(app), in_the_box
        await pilot.press("escape")
        assert await wait_until(pilot, lambda: screen_text(app).splitlines()[-1] == out_of_the_box)
        assert footer_as_textual_shows_it(app), out_of_the_box
        await pilot.press("space", "3")  # a choice card: b chooses, B buries, after undo
        assert await wait_until(pilot, lambda: "u/^z Undo  B Bury" in screen_text(app).splitlines()[-1])
        assert footer_as_textual_shows_it(app), screen_text(app).splitlines()[-1]
        await pilot.press("space")
        assert await wait_until(pilot, lambda: screen_text(app).splitlines()[-1] == out_of_the_box)
        column = out_of_the_box.index("v Stats")  # a click on a key presses it
        await pilot.click("StudyFooter", offset=(column + 1, 0))
        assert await wait_until(pilot, lambda: app.query_one("ReviewPane").showing_stats)


async def test_footer_offers_only_ctrl_z_for_undo_while_typing_a_number(learner):
    app = DltuiApp(learner)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_review(pilot)
        await pilot.press("space", "3")  # one answer, so undo is offered; the number card's box has the focus
        await wait_for_text(pilot, NUMERIC)
        await pilot.pause()
        footer = screen_text(app).splitlines()[-1]
        assert "^z Undo" in footer and "u/^z" not in footer, footer  # u types a letter in the box
        await pilot.press("ctrl+z")
        assert RECALL in await wait_for_text(pilot, "Undone (answer)")
        await pilot.press("space", "3", "escape")  # out of the box: u undoes again
        await wait_for_text(pilot, NUMERIC)
        await pilot.pause()
        assert "u/^z Undo" in screen_text(app).splitlines()[-1]
