"""Hostile tool calls from the model (item 7) and tool lines on the learner's screen (item 1)."""

import pytest
from dltui.store.models import KnowledgeGap, Message
from dltui.tutor.chat import Chat
from fake_anthropic import text_reply, tool_reply
from sqlmodel import select

DEEP = "[" * 50_000 + "]" * 50_000

HOSTILE = {
    "huge gap id": ("resolve_gap", '{"gap_id": 1000000000000000000000, "resolution": "fixed"}'),
    "NaN confidence": (
        "record_assessment",
        '{"topic_id": "backpropagation", "level": "partial", "confidence": NaN, "evidence": "x"}',
    ),
    "Infinity confidence": (
        "record_assessment",
        '{"topic_id": "backpropagation", "level": "strong", "confidence": Infinity, "evidence": "x"}',
    ),
    "50,000-deep array": ("resolve_gap", '{"gap_id": ' + DEEP + ', "resolution": "fixed"}'),
}


@pytest.mark.parametrize("case", list(HOSTILE))
async def test_item7_a_hostile_tool_call_becomes_an_error_result_and_the_turn_goes_on(claude, api, case):
    name, arguments = HOSTILE[case]
    api.queue(tool_reply("Let me note that. ", name, [arguments]), text_reply("Carrying on."))
    chat = Chat(claude, retry_delays=(0, 0, 0))
    reply = await chat.send("hi", lambda piece: None, lambda outcome: None)
    assert reply.status == "complete", reply.notice
    assert reply.text == "Let me note that. \n\nCarrying on."
    assert len(api.requests) == 2
    result = api.requests[1]["body"]["messages"][-1]["content"][0]
    assert result["type"] == "tool_result" and result["is_error"] is True


async def test_item1_a_tool_line_from_the_model_carries_no_escape_sequences(claude, api):
    description = "confuses \\u001b]0;PWNED\\u0007 fan-out\\u001b[2J with \\u009b31m fan-in"
    api.queue(
        tool_reply("", "log_gap", ['{"topic_id": "backpropagation", "description": "' + description + '", "severity": "high"}']),
        text_reply("Noted."),
    )
    lines = []
    chat = Chat(claude, retry_delays=(0, 0, 0))
    await chat.send("hi", lambda piece: None, lambda outcome: lines.append(outcome.line))
    [line] = lines
    assert line == "⚑ gap in Backpropagation (high): confuses  fan-out with  fan-in"
    with claude.store.session() as session:
        [tool_message] = session.exec(select(Message).where(Message.role == "tool")).all()
        [gap] = session.exec(select(KnowledgeGap)).all()
    assert tool_message.content == line
    assert "\x1b" not in gap.description  # what the notes and the tracker will print later
