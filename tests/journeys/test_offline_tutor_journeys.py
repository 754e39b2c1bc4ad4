"""Journeys with the offline tutor: questions mid-check, hints that go further, adapting to the learner.

The learner clicks into the text box once (as a person does when the cursor is elsewhere), then
only types. Assertions read the screen, flattened so that wrapped lines join up again.
"""

from __future__ import annotations

import re

import pytest
from dltui.store.models import KnowledgeGap
from dltui.tutor import history
from dltui.ui.app import DltuiApp
from journeys.conftest import last_reply, screen_text, type_text, wait_for_reply, wait_until
from sqlmodel import select

ATTENTION = "attention"


def flat(app) -> str:
    """The screen as one line of words (wrapped lines joined, borders and runs of spaces dropped)."""
    return re.sub(r"\s+", " ", re.sub(r"[▊▎▏▔▁▆▅▂▃▄▇█]", " ", screen_text(app)))


def words(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("**", "").replace("`", ""))


async def until_answered(pilot, before: tuple | None) -> str:
    """Wait for a new reply to be saved and drawn; return the flattened screen."""
    await wait_for_reply(pilot, before)
    await pilot.pause(0.1)
    return flat(pilot.app)


async def send(pilot, text: str) -> str:
    """Type a message, press Enter, wait for the whole reply; return the flattened screen."""
    if pilot.app.focused is None or pilot.app.focused.id != "chat-input":
        await pilot.click("#chat-input")
    before = last_reply(pilot.app)
    await type_text(pilot, text)
    await pilot.press("enter")
    return await until_answered(pilot, before)


async def scroll_up_until(pilot, text: str, presses: int = 12) -> bool:
    for _ in range(presses):
        if text in flat(pilot.app):
            return True
        await pilot.press("pageup")
        await pilot.pause(0.05)
    return text in flat(pilot.app)


async def seen_scrolling_up(pilot, presses: int = 8) -> str:
    """Everything the log showed while scrolling up a page at a time."""
    seen = [flat(pilot.app)]
    for _ in range(presses):
        await pilot.press("pageup")
        await pilot.pause(0.05)
        seen.append(flat(pilot.app))
    return "\n".join(seen)


def check_prompt(learner, number: int) -> str:
    topic = learner.curriculum.topics[ATTENTION]
    return [q for q in topic.questions if q.kind.value == "check"][number - 1].prompt


async def at_first_check(pilot):
    await send(pilot, "topic attention")
    return await send(pilot, "no idea")


async def test_a_question_mid_check_gets_an_answer_not_a_grade(learner, size):
    app = DltuiApp(learner)
    async with app.run_test(size=size) as pilot:
        await at_first_check(pilot)
        screen = await send(pilot, "what is the difference between Adam and SGD?")
        assert "Not quite yet" not in screen and "Hint:" not in screen
        assert "Adam" in screen and "SGD" in screen
        assert words(f"Check 1 of 3: {check_prompt(learner, 1)}") in screen  # back to the pending question
        assert await scroll_up_until(pilot, "From SGD with momentum, RMSProp and Adam")
    [user_turns] = [
        [m.meta.get("turn") for m in history.messages_of(learner, c.id) if m.role == "user"] for c in history.recent_conversations(learner)
    ]
    assert user_turns == ["command", "answer", "question"]


async def test_successive_hints_go_further(learner, size):
    app = DltuiApp(learner)
    async with app.run_test(size=size) as pilot:
        await at_first_check(pilot)
        key_point = "large scores saturate the softmax and give tiny gradients"
        replies = []
        for _ in range(3):
            screen = await send(pilot, "hint")
            replies.append(screen.rsplit("You hint", 1)[-1])
        assert len(set(replies)) == 3  # never the same hint twice
        assert "If each product" in replies[0]
        assert "q·k sums d_k" in replies[1] and "grows like d_k" not in replies[1]  # the first words only
        assert "q·k sums d_k products, so its variance grows like d_k" in replies[2] or key_point in replies[2]


async def test_an_opener_answer_that_covers_the_key_points_goes_straight_to_the_checks(learner, size):
    app = DltuiApp(learner)
    async with app.run_test(size=size) as pilot:
        await send(pilot, "topic attention")
        screen = await send(
            pilot,
            "attention takes a weighted average of values, the weights come from comparing a query with keys, "
            "and it was introduced to let a decoder look at all encoder states",
        )
        assert words(f"Check 1 of 3: {check_prompt(learner, 1)}") in screen
        assert "straight to the check" in screen
        assert not await scroll_up_until(pilot, "Bahdanau used an additive score", presses=6)


async def test_no_idea_gets_the_explanation_from_the_start(learner, size):
    app = DltuiApp(learner)
    async with app.run_test(size=size) as pilot:
        screen = await at_first_check(pilot)
        assert words(f"Check 1 of 3: {check_prompt(learner, 1)}") in screen
        seen = await seen_scrolling_up(pilot)
        assert "from the start" in seen and "An RNN encoder-decoder squeezes a whole source sentence" in seen


async def test_two_misses_bring_another_explanation_before_the_key_points(learner, size):
    app = DltuiApp(learner)
    async with app.run_test(size=size) as pilot:
        await at_first_check(pilot)
        await send(pilot, "because of the learning rate")
        screen = await send(pilot, "still the learning rate")
        assert "another way" in screen.rsplit("You still the learning rate", 1)[-1] or await scroll_up_until(pilot, "another way")
        assert "good answer contains" not in flat(app) and "gap in" not in flat(app)
        screen = await send(pilot, "no clue at all")
        assert "gap in Attention mechanisms" in screen
    with learner.store.session() as session:
        assert len(session.exec(select(KnowledgeGap)).all()) == 1


async def test_a_negated_answer_is_not_counted_as_right(learner, size):
    app = DltuiApp(learner)
    async with app.run_test(size=size) as pilot:
        await at_first_check(pilot)
        screen = await send(
            pilot,
            "q·k sums d_k products, but dividing by sqrt(d_k) does not change its variance, "
            "so large scores never saturate the softmax and give tiny gradients",
        )
        assert "Mostly right" not in screen and "Yes, that's right" not in screen
        assert "Not quite yet" in screen


async def test_retry_replaces_the_reply_instead_of_counting_a_second_miss(learner, size):
    app = DltuiApp(learner)
    async with app.run_test(size=size) as pilot:
        await at_first_check(pilot)
        await send(pilot, "because of the learning rate")
        before = last_reply(app)
        await pilot.press("ctrl+r")
        screen = await until_answered(pilot, before)
        assert screen.count("Not quite yet") == 1
        assert "another way" not in screen and "gap in" not in screen
    with learner.store.session() as session:
        assert session.exec(select(KnowledgeGap)).all() == []


CLAUDE_WANTED = {"ANTHROPIC_API_KEY": "sk-ant-test-journey", "DLTUI_TUTOR": "claude", "ANTHROPIC_BASE_URL": "http://127.0.0.1:9"}


@pytest.mark.parametrize("learner_env", [CLAUDE_WANTED], ids=["claude-wanted"])
async def test_a_new_chat_follows_the_tutor_setting(learner, size):
    old = history.start_conversation(learner, "offline")
    history.add_message(learner, old.id, "user", "topic attention")
    app = DltuiApp(learner)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        assert "Tutor: offline tutor" in flat(app)  # the last chat reopens as it was
        await pilot.press("ctrl+n")
        assert await wait_until(pilot, lambda: "Tutor: Claude" in flat(app))
        await pilot.press("ctrl+t")  # switches this chat only
        assert await wait_until(pilot, lambda: "Tutor: offline tutor" in flat(app))
        await pilot.press("ctrl+n")
        assert await wait_until(pilot, lambda: "Tutor: Claude" in flat(app))
