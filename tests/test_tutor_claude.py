"""The Claude tutor through the real anthropic SDK against a fake Messages API on 127.0.0.1."""

import asyncio
import socket

import pytest
from dltui.context import StudyContext
from dltui.settings import load_settings
from dltui.store.models import Assessment, KnowledgeGap, Message
from dltui.tutor.chat import Chat
from dltui.tutor.claude import MAX_TOOL_ROUNDS
from fake_anthropic import FakeMessagesAPI, HttpError, error_mid_stream, text_reply, tool_reply
from sqlmodel import select

KEY = "sk-ant-test-SECRET-0123456789"


@pytest.fixture
def api():
    with FakeMessagesAPI() as server:
        yield server


def open_context(tmp_path, base_url):
    settings = load_settings(tmp_path / "data" / "tutor.db", env={"ANTHROPIC_BASE_URL": base_url, "DLTUI_MODEL": "claude-test-model"})
    return StudyContext.open(settings=settings)


@pytest.fixture
def claude(tmp_path, api, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    context = open_context(tmp_path, api.url)
    yield context
    context.close()


class Seen:
    """What the learner sees: streamed text and tool lines."""

    def __init__(self):
        self.pieces, self.tools = [], []

    def text(self, piece):
        self.pieces.append(piece)

    def tool(self, outcome):
        self.tools.append(outcome)


def stored(context, role=None):
    with context.store.session() as session:
        query = select(Message).order_by(Message.id)
        if role:
            query = query.where(Message.role == role)
        return list(session.exec(query))


async def ask(context, text, **chat_options):
    chat = Chat(context, retry_delays=(0, 0, 0), **chat_options)
    seen = Seen()
    reply = await chat.send(text, seen.text, seen.tool)
    return chat, reply, seen


async def test_streamed_text_reaches_the_learner_and_the_database(claude, api):
    api.queue(text_reply("Before I explain, ", "what do you know ", "about gradients?"))
    chat, reply, seen = await ask(claude, "Teach me backprop")
    assert chat.kind == "claude"
    assert seen.pieces == ["Before I explain, ", "what do you know ", "about gradients?"]
    assert reply.status == "complete" and reply.text == "Before I explain, what do you know about gradients?"
    [user], [assistant] = stored(claude, "user"), stored(claude, "assistant")
    assert user.content == "Teach me backprop"
    assert assistant.content == reply.text and assistant.status == "complete"
    request = api.requests[0]
    assert request["headers"].get("Authorization") == f"Bearer {KEY}" or request["headers"].get("x-api-key") == KEY
    body = request["body"]
    assert body["model"] == "claude-test-model" and body["stream"] is True
    assert body["messages"] == [{"role": "user", "content": "Teach me backprop"}]
    stable, learner = body["system"]
    assert stable["cache_control"] == {"type": "ephemeral"} and "Socratic" in stable["text"]
    assert "cache_control" not in learner and "Nothing studied yet" in learner["text"]
    assert {tool["name"] for tool in body["tools"]} >= {"record_assessment", "log_gap", "add_review_card", "start_quiz"}


async def test_tool_call_in_fragments_then_second_round(claude, api):
    fragments = [
        '{"topic_id": "backpro',
        'pagation", "level": "par',
        'tial", "confidence": 0.7, ',
        '"evidence": "knows the chain rule, unsure about fan-out"}',
    ]
    api.queue(
        tool_reply("Noted. ", "record_assessment", fragments),
        text_reply("Now: what is ∂L/∂w when w feeds two units?"),
    )
    chat, reply, seen = await ask(claude, "I know the chain rule")
    assert reply.status == "complete"
    assert reply.text == "Noted. \n\nNow: what is ∂L/∂w when w feeds two units?"
    assert [t.line for t in seen.tools] == ["✎ assessed Backpropagation: partial"]
    with claude.store.session() as session:
        [assessment] = session.exec(select(Assessment)).all()
    assert (assessment.topic_id, assessment.level.value, assessment.confidence) == ("backpropagation", "partial", 0.7)
    assert assessment.conversation_id == chat.conversation_id and assessment.assessor == "claude"
    second = api.requests[1]["body"]["messages"]
    assert second[1]["role"] == "assistant" and second[1]["content"][-1]["type"] == "tool_use"
    result = second[2]["content"][0]
    assert result["type"] == "tool_result" and result["tool_use_id"] == "toolu_01" and result["is_error"] is False
    assert [m.content for m in stored(claude, "tool")] == ["✎ assessed Backpropagation: partial"]
    assert chat.topic_id == "backpropagation"  # the assessed topic becomes the current one


async def test_bad_arguments_and_unknown_tools_go_back_to_the_model_as_errors(claude, api):
    api.queue(
        tool_reply("", "log_gap", ['{"topic_id": "no-such-topic", "description": "x", "severity": "high"}']),
        tool_reply("", "rm_rf", ['{"path": "/"}'], tool_id="toolu_02"),
        tool_reply(
            "", "record_assessment", ['{"topic_id": "rnn", "level": "genius", "confidence": 3, "evidence": "x"}'], tool_id="toolu_03"
        ),
        text_reply("Sorry, let me continue."),
    )
    _, reply, seen = await ask(claude, "hi")
    assert reply.status == "complete" and reply.text.endswith("Sorry, let me continue.")
    errors = [api.requests[i]["body"]["messages"][-1]["content"][0] for i in (1, 2, 3)]
    assert all(e["is_error"] for e in errors)
    assert "unknown topic" in errors[0]["content"] and "unknown tool" in errors[1]["content"] and "level" in errors[2]["content"]
    with claude.store.session() as session:
        assert session.exec(select(KnowledgeGap)).all() == [] and session.exec(select(Assessment)).all() == []


async def test_tool_loop_is_bounded(claude, api):
    for round_number in range(MAX_TOOL_ROUNDS):
        api.queue(tool_reply("", "read_progress", ["{}"], tool_id=f"toolu_{round_number}"))
    _, reply, _ = await ask(claude, "loop forever")
    assert len(api.requests) == MAX_TOOL_ROUNDS
    assert "rounds of tool calls" in reply.notice


async def test_rejected_key_keeps_the_message_and_says_what_to_do(claude, api):
    api.queue(HttpError(401, "authentication_error", "invalid x-api-key"))
    _, reply, _ = await ask(claude, "my question")
    assert reply.status == "error" and "Key rejected" in reply.notice and "ANTHROPIC_API_KEY" in reply.notice
    assert [m.content for m in stored(claude, "user")] == ["my question"]
    assert stored(claude, "assistant") == []
    assert "Key rejected" in stored(claude, "notice")[0].content


@pytest.mark.parametrize("status, kind, words", [(429, "rate_limit_error", "Rate-limited"), (529, "overloaded_error", "overloaded")])
async def test_rate_limit_and_overload_retry_then_succeed_or_explain(claude, api, status, kind, words):
    api.queue(HttpError(status, kind, "slow down"), HttpError(status, kind, "slow down"), text_reply("Here you go."))
    _, reply, _ = await ask(claude, "first")
    assert reply.status == "complete" and reply.text == "Here you go." and reply.retries == 2
    api.queue(*[HttpError(status, kind, "slow down")] * 4)
    before = len(api.requests)
    _, reply, _ = await ask(claude, "second")
    assert len(api.requests) - before == 4  # first try + three retries, then it stops
    assert reply.status == "error" and words in reply.notice and "Ctrl+R" in reply.notice
    assert [m.content for m in stored(claude, "user")] == ["first", "second"]


async def test_network_down(tmp_path, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    with socket.socket() as probe:  # a port with nothing listening
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    context = open_context(tmp_path, f"http://127.0.0.1:{port}")
    _, reply, _ = await ask(context, "are you there?")
    assert reply.status == "error" and "Cannot reach the Anthropic API" in reply.notice
    assert [m.content for m in stored(context, "user")] == ["are you there?"]
    context.close()


async def test_error_mid_stream_keeps_the_partial_reply(claude, api):
    api.queue(error_mid_stream("The chain rule says ", "that the derivative"))
    _, reply, seen = await ask(claude, "explain")
    assert "".join(seen.pieces) == "The chain rule says that the derivative"
    assert reply.status == "partial" and "broke off" in reply.notice
    [assistant] = stored(claude, "assistant")
    assert assistant.status == "partial" and assistant.content == "The chain rule says that the derivative"
    assert len(api.requests) == 1  # no retry once text has been shown


async def test_stopping_mid_stream_keeps_and_marks_the_partial_reply(claude, api):
    api.queue(text_reply("one ", "two ", "three ", "four", pause=0.3))
    chat = Chat(claude, retry_delays=(0,))
    seen = Seen()
    task = asyncio.create_task(chat.send("count", seen.text, seen.tool))
    while len(seen.pieces) < 2:
        await asyncio.sleep(0.02)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    [assistant] = stored(claude, "assistant")
    assert assistant.status == "partial" and assistant.meta.get("stopped") is True
    assert assistant.content.startswith("one two") and "four" not in assistant.content
    # the next request replays the cut-off reply, marked as such
    api.queue(text_reply("Continuing."))
    await chat.send("go on", seen.text, seen.tool)
    replay = api.requests[-1]["body"]["messages"]
    assert replay[1]["role"] == "assistant" and "[this reply was cut off]" in replay[1]["content"]


async def test_no_key_falls_back_to_the_offline_tutor(tmp_path, monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    context = open_context(tmp_path, "http://127.0.0.1:9")
    chat = Chat(context)
    assert chat.kind == "offline" and "No ANTHROPIC_API_KEY" in chat.note
    context.close()
