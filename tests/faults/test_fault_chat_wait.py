"""Item 8 on screen: a silent server shows what is happening, and gives up in bounded time."""

import dltui.tutor.claude as claude_module
import pytest
from dltui.context import StudyContext
from dltui.settings import load_settings
from dltui.ui.app import DltuiApp
from fake_anthropic import FakeMessagesAPI, StallBeforeHeaders, text_reply
from journeys.conftest import screen_text, type_text, wait_for_text


@pytest.fixture
def claude_learner(tmp_path, monkeypatch):
    with FakeMessagesAPI() as api:
        monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-key")
        settings = load_settings(tmp_path / "data" / "tutor.db", env={"ANTHROPIC_BASE_URL": api.url, "DLTUI_MODEL": "claude-test"})
        context = StudyContext.open(settings=settings)
        yield context, api
        context.close()


async def test_item8_the_chat_says_it_is_waiting_for_claude_and_then_shows_the_reply(claude_learner, monkeypatch):
    context, api = claude_learner
    monkeypatch.setattr(claude_module, "FIRST_BYTE_TIMEOUT", 1.5, raising=False)
    api.queue(StallBeforeHeaders(8.0), text_reply("Sorry for the wait."))
    app = DltuiApp(context)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await type_text(pilot, "hello")
        await pilot.press("enter")
        screen = await wait_for_text(pilot, "waiting for Claude… (Esc to stop)", timeout=5)
        assert "waiting for Claude… (Esc to stop)" in screen
        screen = await wait_for_text(pilot, "Sorry for the wait.", timeout=10)
        assert "Sorry for the wait." in screen
        await pilot.pause(0.3)
        assert "waiting for Claude" not in screen_text(app)
