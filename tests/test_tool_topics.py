"""Tools take exact topic ids or codes only; anything else is an error the model can act on."""

import pytest
from dltui.context import StudyContext
from dltui.settings import load_settings
from dltui.store.models import Assessment, KnowledgeGap
from dltui.tutor.chat import Chat
from dltui.tutor.tools import ToolBox
from fake_anthropic import FakeMessagesAPI, text_reply, tool_reply
from sqlmodel import select

KEY = "sk-ant-test-topics-0123456789"


def assess(toolbox, topic_id):
    return toolbox.run("record_assessment", {"topic_id": topic_id, "level": "partial", "confidence": 0.6, "evidence": "said something"})


def test_a_substring_of_a_title_is_refused_with_close_matches(context):
    outcome = assess(ToolBox(context), "e")
    assert outcome.is_error
    assert "unknown topic_id 'e'" in outcome.content and "did you mean" in outcome.content
    with context.store.session() as session:
        assert session.exec(select(Assessment)).all() == []


def test_close_matches_name_ids_the_model_can_use(context):
    outcome = assess(ToolBox(context), "backprop")
    assert outcome.is_error and "backpropagation" in outcome.content
    outcome = ToolBox(context).run("log_gap", {"topic_id": "Linear algebra", "description": "x", "severity": "low"})
    assert outcome.is_error and "linear-algebra" in outcome.content


@pytest.mark.parametrize("given", ["backpropagation", "BACKPROPAGATION", "B4", "b4"])
def test_exact_ids_and_codes_work_in_any_case(context, given):
    outcome = assess(ToolBox(context), given)
    assert not outcome.is_error, outcome.content
    with context.store.session() as session:
        [assessment] = session.exec(select(Assessment)).all()
    assert assessment.topic_id == "backpropagation"


def test_fuzzy_lookup_stays_for_what_a_person_types(context):
    assert context.curriculum.find_topic("linear alg").id == "linear-algebra"
    assert context.curriculum.topic_by_id_or_code("linear alg") is None
    assert context.curriculum.topic_by_id_or_code("a1").id == "linear-algebra"


@pytest.fixture
def api():
    with FakeMessagesAPI() as server:
        yield server


async def test_the_model_gets_the_error_and_recovers_through_the_sdk(tmp_path, api, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    settings = load_settings(tmp_path / "data" / "tutor.db", env={"ANTHROPIC_BASE_URL": api.url, "DLTUI_TUTOR": "claude"})
    context = StudyContext.open(settings=settings)
    api.queue(
        tool_reply("", "record_assessment", ['{"topic_id": "e", "level": "partial", "confidence": 0.5, "evidence": "x"}']),
        tool_reply("", "log_gap", ['{"topic_id": "C7", "description": "mixes up q and k", "severity": "low"}'], tool_id="toolu_02"),
        text_reply("Noted."),
    )
    chat = Chat(context, retry_delays=(0,))
    reply = await chat.send("I know attention", lambda piece: None, lambda outcome: None)
    assert reply.status == "complete"
    refused = api.requests[1]["body"]["messages"][-1]["content"][0]
    assert refused["is_error"] is True and "unknown topic_id 'e'" in refused["content"]
    with context.store.session() as session:
        assert session.exec(select(Assessment)).all() == []
        [gap] = session.exec(select(KnowledgeGap)).all()
    assert gap.topic_id == "attention"
    context.close()
