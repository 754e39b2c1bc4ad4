"""Fault tests share one fake Messages API and a Claude-tutored learner on a fresh database."""

import pytest
from dltui.context import StudyContext
from dltui.settings import load_settings
from fake_anthropic import FakeMessagesAPI

KEY = "sk-ant-test-SECRET-0123456789"


@pytest.fixture
def api():
    with FakeMessagesAPI() as server:
        yield server


@pytest.fixture
def claude(tmp_path, api, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    settings = load_settings(tmp_path / "data" / "tutor.db", env={"ANTHROPIC_BASE_URL": api.url, "DLTUI_MODEL": "claude-test"})
    context = StudyContext.open(settings=settings)
    yield context
    context.close()
