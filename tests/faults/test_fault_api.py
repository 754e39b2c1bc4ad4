"""API faults through the real anthropic SDK against the fake Messages API (items 4, 5, 6, 8, 1)."""

import time

import pytest
from dltui.store.models import Message
from dltui.tutor.chat import Chat
from fake_anthropic import (
    Raw,
    StallBeforeHeaders,
    _end,
    _message_start,
    _text_block,
    error_before_text,
    text_reply,
    truncated_reply,
)
from sqlmodel import select


def stored(context, role):
    with context.store.session() as session:
        return list(session.exec(select(Message).where(Message.role == role).order_by(Message.id)))


async def ask(context, text="explain", **options):
    pieces, tools = [], []
    chat = Chat(context, retry_delays=(0, 0, 0), **options)
    reply = await chat.send(text, pieces.append, tools.append)
    return reply, pieces, tools


def broken_stream(bad: bytes, *pieces: str) -> list:
    """Text arrives, then one line the SDK cannot read, then what would have been the rest."""
    return [_message_start()] + _text_block(0, list(pieces))[:-1] + [Raw(bad)] + _end("end_turn")


@pytest.mark.parametrize("bad", [b"event: content_block_delta\ndata: {this is not json\n\n", b"event: ping\ndata: \xff\xfe\xfa\n\n"])
async def test_item4_a_malformed_or_undecodable_event_keeps_the_streamed_text(claude, api, bad):
    text = "Gradients flow backwards, ", "one local derivative at a time."
    assert len("".join(text)) == 57
    api.queue(broken_stream(bad, *text))
    reply, pieces, _ = await ask(claude)
    assert "".join(pieces) == "".join(text)
    assert reply.status == "partial" and "broke off" in reply.notice and "Ctrl+R" in reply.notice
    assert "Error" not in reply.notice  # no Python exception name for the learner
    [assistant] = stored(claude, "assistant")
    assert assistant.status == "partial" and assistant.content == "".join(text)


async def test_item5_a_stream_closed_before_message_stop_is_partial_and_says_so(claude, api):
    api.queue(truncated_reply("Half of ", "an answer"))
    reply, pieces, _ = await ask(claude)
    assert "".join(pieces) == "Half of an answer"
    assert reply.status == "partial" and "before the end" in reply.notice
    [assistant] = stored(claude, "assistant")
    assert assistant.status == "partial" and assistant.content == "Half of an answer"


async def test_item5_a_stream_closed_before_any_text_is_retried_not_saved_empty_as_complete(claude, api):
    api.queue(truncated_reply(), truncated_reply(), truncated_reply(), truncated_reply())
    reply, pieces, _ = await ask(claude)
    assert pieces == [] and len(api.requests) == 4
    assert reply.status == "error" and "before the end" in reply.notice
    assert stored(claude, "assistant") == []  # no empty "complete" reply
    assert "before the end" in stored(claude, "notice")[0].content


async def test_item6_an_overloaded_error_event_before_text_is_retried_like_a_529(claude, api):
    api.queue(error_before_text(), error_before_text(), text_reply("Here it is."))
    reply, _, _ = await ask(claude)
    assert reply.status == "complete" and reply.text == "Here it is." and reply.retries == 2
    api.queue(*[error_before_text()] * 4)
    reply, _, _ = await ask(claude, "again")
    assert reply.status == "error" and "overloaded" in reply.notice and "200" not in reply.notice


async def test_item8_a_server_that_stalls_before_headers_is_given_up_on_quickly_then_retried_once(claude, api, monkeypatch):
    import dltui.tutor.claude as claude_module

    monkeypatch.setattr(claude_module, "FIRST_BYTE_TIMEOUT", 0.5, raising=False)  # 30 s, shortened
    # Stalls far longer than the bound, so a loaded machine's slowness cannot pass for waiting one out.
    api.queue(StallBeforeHeaders(12.0), text_reply("Sorry for the wait."))
    began = time.monotonic()
    reply, _, _ = await ask(claude)
    assert reply.status == "complete" and reply.text == "Sorry for the wait."
    assert time.monotonic() - began < 8.0
    api.queue(StallBeforeHeaders(12.0), StallBeforeHeaders(12.0), text_reply("never asked"))
    began = time.monotonic()
    reply, _, _ = await ask(claude, "again")
    assert time.monotonic() - began < 8.0
    assert reply.status == "error" and "did not answer" in reply.notice and "Ctrl+R" in reply.notice


async def test_item1_escape_sequences_in_the_reply_never_reach_the_learner(claude, api):
    api.queue(text_reply("Look: \x1b]0;TITLE\x07", "\x1b[2J\x1b[Hclear\x1b]52;c;aGVsbG8=\x07 done ∂L/∂w\n\tok"))
    reply, pieces, _ = await ask(claude)
    shown = "".join(pieces)
    assert shown == reply.text == "Look: clear done ∂L/∂w\n\tok"
    assert stored(claude, "assistant")[0].content == shown
