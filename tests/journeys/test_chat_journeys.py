"""Chat journeys: a learner types from launch, talks to the tutor and uses every Chat key."""

from __future__ import annotations

import pytest
from dltui.context import StudyContext
from dltui.settings import load_settings
from dltui.ui.app import DltuiApp
from fake_anthropic import FakeMessagesAPI, HttpError, text_reply
from journeys.conftest import last_reply, screen_text, type_text, wait_for_reply, wait_for_text, wait_until

KEY = "sk-ant-test-journey"
NO_KEY = "No ANTHROPIC_API_KEY set"


def footer_line(app) -> str:
    return screen_text(app).splitlines()[-1]


def footer_entries(app) -> list[str]:
    """What the footer is asked to show where the focus is now ("^n New chat", …): as Textual's
    Footer does, the first binding of each action."""
    first = {}
    for active in app.screen.active_bindings.values():
        if active.binding.show:
            first.setdefault(active.binding.action, active.binding)
    return [f"{app.get_key_display(b)} {b.description}" for b in first.values() if b.key != "ctrl+p"]


def help_panel_open(app) -> bool:
    return bool(app.screen.query("HelpPanel"))


async def send(pilot, text: str, expect: str) -> str:
    """Type a message into wherever the focus is, press Enter and wait for ``expect`` on screen."""
    before = last_reply(pilot.app)
    await type_text(pilot, text)
    await pilot.press("enter")
    await wait_for_reply(pilot, before)
    await wait_until(pilot, lambda: expect in screen_text(pilot.app), timeout=1)  # drawn (or scrolled past)
    return screen_text(pilot.app)


async def test_typing_at_launch_reaches_the_tutor(learner, size):
    app = DltuiApp(learner)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        screen = await send(pilot, "explain backpropagation?", "Let's study Backpropagation")
        assert "You  explain backpropagation?" in screen
        assert "Let's study Backpropagation" in screen
        assert "Topic: Backpropagation" in screen
        assert not help_panel_open(app), "the ? in the sentence opened the key panel"


async def test_ctrl_t_says_once_and_in_view_what_tutor_answers(learner, size):
    app = DltuiApp(learner)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        await send(pilot, "explain backpropagation", "Let's study Backpropagation")
        await send(pilot, "it sends the error gradient backwards through every layer using the chain rule", "You  it sends")
        await send(pilot, "it computes the derivative of the loss with respect to each weight", "You  it computes")
        before = screen_text(app).count(NO_KEY)
        for _ in range(3):
            await pilot.press("ctrl+t")
            await pilot.pause()
        screen = screen_text(app)
        assert screen.count(NO_KEY) == before + 1, screen
        assert "Tutor: offline tutor" in screen


async def test_esc_leaves_the_text_box_so_question_mark_shows_the_keys(learner, size):
    app = DltuiApp(learner)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        await pilot.press("escape")
        await pilot.press("question_mark")
        await pilot.pause()
        assert help_panel_open(app)
        assert "Switch tutor" in screen_text(app)
        await pilot.press("question_mark")
        await pilot.pause()
        assert not help_panel_open(app)
        await pilot.press("tab")  # back into the text box
        screen = await send(pilot, "next", "What would you like to study?")
        assert "You  next" in screen and "What would you like to study?" in screen


async def test_new_chat_and_open_an_earlier_chat(learner, size):
    app = DltuiApp(learner)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        await send(pilot, "explain backpropagation", "Let's study Backpropagation")
        await pilot.press("ctrl+n")
        screen = await wait_for_text(pilot, "Chat #2")
        assert "Chat #2" in screen and "Backpropagation" not in screen
        await send(pilot, "topic convolution", "You  topic convolution")
        await pilot.press("ctrl+o")
        screen = await wait_for_text(pilot, "Open a conversation")
        assert "Open a conversation" in screen
        await pilot.press("down", "enter")  # the newest is first; the older chat is next
        screen = await wait_for_text(pilot, "Chat #1")
        assert "Chat #1" in screen and "Let's study Backpropagation" in screen
        before = last_reply(app)
        await type_text(pilot, "hint")  # the text box has the focus again
        await pilot.press("enter")
        assert await wait_for_reply(pilot, before)
        assert [m.content for m in app.query_one("ChatPane").chat.messages() if m.role == "user"][-1] == "hint"


async def test_export_and_copy_the_last_reply(learner, size):
    app = DltuiApp(learner)
    async with app.run_test(size=size, notifications=True) as pilot:  # these keys answer in a toast
        await pilot.pause()
        await pilot.press("ctrl+y")
        assert "No reply to copy yet" in await wait_for_text(pilot, "No reply to copy yet")
        await send(pilot, "explain backpropagation", "Let's study Backpropagation")
        await pilot.press("ctrl+y")
        assert "Last reply copied" in await wait_for_text(pilot, "Last reply copied")
        await pilot.press("ctrl+s")
        assert "Exported to" in await wait_for_text(pilot, "Exported to")
        exported = list((learner.settings.data_dir).rglob("*.md"))
        assert any("Backpropagation" in path.read_text() for path in exported)


async def test_page_up_and_down_scroll_the_conversation(learner):
    app = DltuiApp(learner)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await send(pilot, "explain backpropagation", "Let's study Backpropagation")
        for answer in ("it sends gradients backwards", "it uses the chain rule", "it needs the forward values"):
            await send(pilot, answer, f"You  {answer}")
        assert "Let's study Backpropagation" not in screen_text(app)
        for _ in range(4):
            await pilot.press("pageup")
        assert "Let's study Backpropagation" in await wait_for_text(pilot, "Let's study Backpropagation")
        for _ in range(8):
            await pilot.press("pagedown")
        await pilot.pause()
        assert "You  it needs the forward values" in screen_text(app)


async def test_the_chat_footer_fits_at_80_columns(learner):
    app = DltuiApp(learner)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        entries = footer_entries(app)
        assert "^n New chat" in entries and "^t Switch tutor" in entries
        footer = footer_line(app)
        cut = [entry for entry in entries if entry not in footer]
        assert not cut, f"cut off in the footer {footer!r}: {cut}"


# --- with the Claude tutor (the real SDK against the fake Messages API) ----------------------


@pytest.fixture
def claude_learner(tmp_path, monkeypatch):
    with FakeMessagesAPI() as api:
        monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
        settings = load_settings(tmp_path / "data" / "tutor.db", env={"ANTHROPIC_BASE_URL": api.url})
        context = StudyContext.open(settings=settings)
        yield context, api
        context.close()


async def test_esc_stops_a_streaming_reply(claude_learner):
    learner, api = claude_learner
    api.queue(text_reply("one ", "two ", "three ", "four ", "five", pause=0.3))
    app = DltuiApp(learner)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await type_text(pilot, "count slowly")
        await pilot.press("enter")
        await wait_for_text(pilot, "two")
        await pilot.press("escape")
        screen = await wait_for_text(pilot, "Stopped. The partial reply is kept.")
        assert "Stopped. The partial reply is kept." in screen and "five" not in screen


async def test_ctrl_t_switches_between_claude_and_offline(claude_learner):
    learner, api = claude_learner
    app = DltuiApp(learner)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert "Tutor: Claude" in screen_text(app)
        await pilot.press("ctrl+t")
        screen = await wait_for_text(pilot, "Now talking to the offline tutor")
        assert "Tutor: offline tutor" in screen and "Now talking to the offline tutor" in screen
        await pilot.press("ctrl+t")
        screen = await wait_for_text(pilot, "Tutor: Claude")
        assert "Now talking to the offline tutor" not in screen, "the notice line is updated, not repeated"
        assert screen.count("Now talking to the Claude") == 1


async def test_ctrl_r_answers_again_after_an_error(claude_learner):
    learner, api = claude_learner
    api.queue(HttpError(401, "authentication_error", "invalid key"), text_reply("Hello again."))
    app = DltuiApp(learner)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await type_text(pilot, "hello")
        await pilot.press("enter")
        await wait_until(pilot, lambda: not app.query_one("ChatPane").replying and "Key rejected (401)" in screen_text(app))
        assert "Hello again." not in screen_text(app)
        await pilot.press("ctrl+r")
        screen = await wait_for_text(pilot, "Hello again.")
        assert "Hello again." in screen and "You  hello" in screen


async def test_enter_typed_before_the_terminal_is_raw_still_sends(learner):
    # Keys typed while dltui starts reach it through the terminal's cooked mode, which turns
    # Enter (CR) into a line feed: the app sees ctrl+j. It must send, as Enter does.
    app = DltuiApp(learner)
    async with app.run_test(size=(80, 24)) as pilot:
        await type_text(pilot, "explain backpropagation")
        await pilot.press("ctrl+j")
        screen = await wait_for_text(pilot, "Let's study Backpropagation")
        assert "You  explain backpropagation" in screen and "Let's study Backpropagation" in screen
