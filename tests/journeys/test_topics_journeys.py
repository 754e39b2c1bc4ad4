"""Topics journeys: read the map and a topic at both sizes, resize, and use every Topics key."""

from __future__ import annotations

import re

from dltui.srs.recommend import study_next
from dltui.tutor.tools import ToolBox
from dltui.ui.app import DltuiApp
from journeys.conftest import last_reply, screen_text, type_text, wait_for_reply, wait_for_text, wait_until


def downs_to(context, topic_id: str) -> int:
    """How many Down presses bring a fresh tree's cursor onto a topic (all domains start open)."""
    line = 0
    for domain in context.curriculum.domains.values():
        line += 1
        for topic in context.curriculum.topics_in(domain.id):
            line += 1
            if topic.id == topic_id:
                return line
    raise AssertionError(topic_id)


async def open_topic(pilot, topic_id: str, cursor_on: str | None = None) -> str:
    """F2, walk the tree from where its cursor is (``cursor_on``, else a fresh tree) to the topic,
    Enter; returns the screen once the topic shows."""
    context = pilot.app.context
    await pilot.press("f2")
    await pilot.pause()
    steps = downs_to(context, topic_id) - (downs_to(context, cursor_on) if cursor_on else 0)
    await pilot.press(*["down" if steps > 0 else "up"] * abs(steps), "enter")
    return await wait_for_text(pilot, heading(context, topic_id))


def heading(context, topic_id: str) -> str:
    topic = context.curriculum.topics[topic_id]
    return f"{topic.code} {topic.title}"[:30]  # a start of the heading that fits the narrow pane


def text_in(app, selector: str) -> str:
    """The on-screen text inside one widget's region, its lines joined with spaces."""
    region = app.query_one(selector).region
    lines = screen_text(app).splitlines()[region.y : region.bottom]
    return " ".join(" ".join(line[region.x : region.right].split()) for line in lines)


def words(text: str) -> str:
    return " ".join(re.sub(r"\*\*?|\[/?b\]", "", text).split())


async def test_c_on_a_topic_puts_the_learner_in_the_text_box(learner, size):
    app = DltuiApp(learner)
    async with app.run_test(size=size) as pilot:
        await open_topic(pilot, "backpropagation")
        await pilot.press("c")
        await wait_for_text(pilot, "Let's study Backpropagation")
        await wait_until(pilot, lambda: not app.query_one("ChatPane").replying)
        before = last_reply(app)
        await type_text(pilot, "what is it for? it finds the gradient of the loss")
        await pilot.press("enter")
        await wait_for_reply(pilot, before)
        assert not app.screen.query("HelpPanel"), "the ? opened the key panel instead of reaching the chat"
        for _ in range(6):  # the reply is long: page back up to the learner's message
            if "You  what is it for?" in screen_text(app):
                break
            await pilot.press("pageup")
            await pilot.pause()
        assert "You  what is it for? it finds the gradient of the loss" in screen_text(app)


async def test_resize_keeps_the_topic_on_screen(learner):
    app = DltuiApp(learner)
    async with app.run_test(size=(80, 24)) as pilot:
        title = heading(learner, "backpropagation")
        await open_topic(pilot, "backpropagation")
        for width, height in [(120, 40), (80, 24), (100, 30)]:
            await pilot.resize_terminal(width, height)
            screen = await wait_for_text(pilot, title)
            assert title in screen, f"reading pane blank after resizing to {width}x{height}"
            assert "Study next" in screen


async def test_topic_titles_are_whole_at_120_columns(learner):
    # Titles up to 48 characters (all but 7 of 56) fit beside a readable reading pane; the longest
    # ("B1 Perceptrons and activation functions (sigmoid, …)") are whole in the pane's heading.
    app = DltuiApp(learner)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f2")
        await pilot.pause()
        screen = screen_text(app)
        shown = [t for t in learner.curriculum.topics.values() if t.domain in "AB" and len(t.code + t.title) <= 48]
        assert len(shown) >= 10
        for topic in shown:
            assert f"{topic.code} {topic.title}" in screen, f"cut: {topic.code} {topic.title}"


async def test_study_next_is_shown_whole(learner, size):
    app = DltuiApp(learner)
    async with app.run_test(size=size) as pilot:
        await pilot.press("f2")
        await pilot.pause()
        suggestion = study_next(learner, limit=1)[0]
        said = words(str(app.query_one("#study-next").render()))
        assert suggestion.topic.title in said and len(said) > 60  # a long sentence, so cutting would show
        shown = text_in(app, "#study-next")
        assert said in shown, f"cut: {shown!r}"


async def test_code_in_a_topic_is_not_cut(learner, size):
    code_line = "dX = dY @ W.T # (n, in), sent to the layer below"
    app = DltuiApp(learner)
    async with app.run_test(size=size) as pilot:
        await open_topic(pilot, "backpropagation")
        await pilot.press("tab")  # into the reading pane, then page down to the code
        for _ in range(12):
            if "dX = dY" in screen_text(app):
                break
            await pilot.press("pagedown")
            await pilot.pause()
        fences = [f for f in app.query("#topic-text MarkdownFence") if "dX = dY" in f.code]
        assert fences
        pane = app.query_one("#topic-detail").region
        for _ in range(20):  # line by line until the whole block is in view
            region = fences[0].region
            if region.y >= pane.y and region.bottom <= pane.bottom:
                break
            await pilot.press("down" if region.bottom > pane.bottom else "up")
            await pilot.pause()
        lines = screen_text(app).splitlines()[region.y : region.bottom]
        shown = " ".join(" ".join(line[region.x : region.right].split()) for line in lines)
        assert code_line in shown, f"code cut: {shown!r}"


async def test_quiz_lab_and_refresh_from_a_topic(learner, size):
    app = DltuiApp(learner)
    async with app.run_test(size=size) as pilot:
        await open_topic(pilot, "linear-algebra")
        assert "0%" in text_in(app, "#topic-text")
        ToolBox(learner).run("record_assessment", {"topic_id": "linear-algebra", "level": "strong", "confidence": 0.9, "evidence": "x"})
        await pilot.press("r")
        await pilot.pause()
        assert "0%" not in text_in(app, "#topic-text").split("·")[0], "r did not refresh the open topic"
        await pilot.press("q")
        screen = await wait_for_text(pilot, "Quiz: Linear algebra")
        assert "Quiz: Linear algebra" in screen
        await open_topic(pilot, "backpropagation", cursor_on="linear-algebra")
        lab = learner.curriculum.topics["backpropagation"].labs[0]
        await pilot.press("l")
        await wait_until(pilot, lambda: app.query_one("LabsPane").ready)
        await pilot.pause()
        assert app.query_one("#areas").active == "labs"
        assert app.query_one("#lab-list").highlighted_option.id == lab
        assert lab in screen_text(app)


async def test_the_topics_footer_fits_at_80_columns(learner):
    from journeys.test_chat_journeys import footer_entries

    app = DltuiApp(learner)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f2")
        await pilot.pause()
        entries = footer_entries(app)
        assert "c Talk about it" in entries and "r Refresh" in entries
        footer = screen_text(app).splitlines()[-1]
        assert not [e for e in entries if e not in footer], f"cut off in the footer {footer!r}"
