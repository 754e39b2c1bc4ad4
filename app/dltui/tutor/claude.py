"""The Claude tutor: streamed replies, a bounded tool loop, retries, and errors in plain words.

Text is handed to ``on_text`` as it arrives, with escape sequences removed (see
`dltui.terminal_text`). Tool calls run through the same `ToolBox` the offline tutor uses; each
one is reported to ``on_tool``. The raw event stream is read and the message assembled here, so
that a tool input the SDK could not parse (NaN, absurd nesting) becomes an error result for the
model instead of an exception. 429/529/5xx, an ``overloaded_error`` event, a stream cut short
and a server silent past `FIRST_BYTE_TIMEOUT` are retried while no text has arrived; after text
arrived the partial reply is kept and the learner is told what happened.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NoReturn, cast

from dltui.context import StudyContext
from dltui.store.models import Message
from dltui.terminal_text import terminal_safe
from dltui.tutor.history import api_messages
from dltui.tutor.prompt import system_blocks
from dltui.tutor.reply import Reply, TextSink, ToolSink, TutorKind
from dltui.tutor.saves import saved
from dltui.tutor.tools import TOOL_DEFINITIONS, ToolBox

if TYPE_CHECKING:  # the SDK is imported when a tutor is made: the UI starts without it
    from anthropic.types import MessageDeltaUsage, MessageParam, RawMessageStreamEvent, TextBlockParam, Usage

# A content block or message as JSON, in the Messages API's shape (the SDK's TypedDicts describe it).
ApiJson = dict[str, Any]

MAX_TOOL_ROUNDS = 6
RETRY_DELAYS = (2.0, 5.0, 10.0)  # seconds before each retry of a 429 / 529 / 5xx
REQUEST_TIMEOUT = 120.0
FIRST_BYTE_TIMEOUT = 30.0  # a server silent this long before its first event is given up on
STALL_RETRIES = 1  # ...and asked once more, so a dead server costs a minute, not eight
RETRYABLE_ERROR_EVENTS = {"overloaded_error", "rate_limit_error", "api_error"}


class StreamCutShort(Exception):
    """The stream ended before ``message_stop``."""


class ServerSilent(Exception):
    """No event arrived within `FIRST_BYTE_TIMEOUT`."""


@dataclass
class StreamedMessage:
    """The assistant message as assembled from the raw events."""

    content: list[ApiJson] = field(default_factory=list)  # blocks as the API takes them back
    bad_inputs: dict[str, str] = field(default_factory=dict)  # tool_use id -> why its input was unusable
    usage: dict[str, int] = field(default_factory=dict)
    stopped: bool = False  # message_stop seen

    @property
    def tool_uses(self) -> list[ApiJson]:
        return [block for block in self.content if block["type"] == "tool_use"]


class ClaudeTutor:
    name = TutorKind.CLAUDE

    def __init__(
        self,
        context: StudyContext,
        toolbox: ToolBox,
        api_key: str,
        retry_delays: Sequence[float] = RETRY_DELAYS,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ):
        from anthropic import AsyncAnthropic

        self.context = context
        self.toolbox = toolbox
        self.retry_delays = tuple(retry_delays)
        self.sleep = sleep
        settings = context.settings
        # Our own retry loop (max_retries=0) so the learner sees what is happening.
        self.client = AsyncAnthropic(api_key=api_key, base_url=settings.api_base_url, max_retries=0, timeout=REQUEST_TIMEOUT)

    @property
    def label(self) -> str:
        return f"Claude ({self.context.settings.model})"

    async def respond(self, history: list[Message], topic_id: str | None, on_text: TextSink, on_tool: ToolSink) -> Reply:
        reply = Reply()
        messages: list[ApiJson] = api_messages(history)
        if not messages:
            return reply.failed("There is nothing to answer yet: type a question first.")
        system = system_blocks(self.context, topic_id)

        def emit(text: str) -> None:
            text = terminal_safe(text)
            if text:
                reply.text += text
                on_text(text)

        for _round in range(MAX_TOOL_ROUNDS):
            if reply.text and not reply.text.endswith("\n"):
                emit("\n\n")
            final = await self._stream_once(system, messages, emit, reply)
            if isinstance(final, str):  # what went wrong, in the learner's words
                return reply.failed(final, partial=bool(reply.text.strip()))
            reply.usage = _add_usage(reply.usage, final.usage)
            if not final.tool_uses:
                return reply.done()
            messages.append({"role": "assistant", "content": final.content})
            results: list[ApiJson] = []
            for use in final.tool_uses:
                # On the chat's save thread: a tool that records waits there for SQLite's lock.
                outcome = await saved(self.toolbox.run, use["name"], use["input"], bad_input=final.bad_inputs.get(use["id"]))
                on_tool(outcome)
                results.append({"type": "tool_result", "tool_use_id": use["id"], "content": outcome.content, "is_error": outcome.is_error})
            messages.append({"role": "user", "content": results})
        return reply.failed(f"Stopped after {MAX_TOOL_ROUNDS} rounds of tool calls; ask again to continue.", partial=True)

    async def _stream_once(self, system: list[ApiJson], messages: list[ApiJson], emit: TextSink, reply: Reply) -> StreamedMessage | str:
        """One model call, retried while nothing has been streamed; returns the message or the error text."""
        import anthropic

        stalls = 0
        attempt = 0
        while True:
            streamed = [False]

            # Called only while this attempt's stream is read; the default binds this attempt's flag.
            def shown(text: str, streamed: list[bool] = streamed) -> None:
                streamed[0] = streamed[0] or bool(text)
                emit(text)

            try:
                return await self._read_stream(system, messages, shown)
            except ServerSilent as err:
                if streamed[0] or stalls >= STALL_RETRIES:
                    return explain_error(err, streamed[0])
                stalls += 1
                reply.retries += 1
                continue
            except (anthropic.APIStatusError, anthropic.APITimeoutError, StreamCutShort, ValueError) as err:
                # ValueError: a line of the stream that is not JSON or not UTF-8 (the SDK raises
                # JSONDecodeError / UnicodeDecodeError from inside the iteration).
                if not _retryable(err) or streamed[0] or attempt >= len(self.retry_delays):
                    return explain_error(err, streamed[0])
                reply.retries += 1
                await self.sleep(_retry_after(err, self.retry_delays[attempt]))
                attempt += 1
            except anthropic.APIError as err:
                return explain_error(err, streamed[0])

    async def _read_stream(self, system: list[ApiJson], messages: list[ApiJson], shown: TextSink) -> StreamedMessage:
        message = StreamedMessage()
        assembler = _Assembler(message, shown)
        try:
            async with asyncio.timeout(FIRST_BYTE_TIMEOUT) as deadline:
                stream = await self.client.messages.create(
                    model=self.context.settings.model,
                    max_tokens=self.context.settings.max_tokens,
                    # JSON made here, in history and in prompt, in the shapes the SDK's TypedDicts describe
                    system=cast("list[TextBlockParam]", system),
                    messages=cast("list[MessageParam]", messages),
                    tools=TOOL_DEFINITIONS,
                    stream=True,
                )
                async with stream:
                    async for event in stream:
                        deadline.reschedule(None)  # the server is there: REQUEST_TIMEOUT applies from now
                        assembler.take(event)
        except TimeoutError:  # raised as the timeout block exits
            raise ServerSilent() from None
        if not message.stopped:
            raise StreamCutShort()
        # The API refuses empty text blocks when they are sent back with the tool results.
        message.content = [b for _, b in sorted(assembler.blocks.items()) if b["type"] != "text" or b.get("text")]
        return message


class _Assembler:
    """Folds raw stream events into a `StreamedMessage`, handing text to ``shown`` as it comes."""

    def __init__(self, message: StreamedMessage, shown: Callable[[str], None]):
        self.message = message
        self.shown = shown
        self.blocks: dict[int, ApiJson] = {}
        self.buffers: dict[int, list[str]] = {}  # tool_use block index -> input JSON fragments

    def take(self, event: RawMessageStreamEvent) -> None:
        if event.type == "message_start":
            self.message.usage = _usage_dict(event.message.usage)
        elif event.type == "content_block_start":
            block = event.content_block.model_dump(exclude_none=True)
            if block["type"] == "tool_use":
                block["input"] = {}
                self.buffers[event.index] = []
            self.blocks[event.index] = block
        elif event.type == "content_block_delta":
            delta = event.delta
            if delta.type == "text_delta" and event.index in self.blocks:
                text = terminal_safe(delta.text)
                self.blocks[event.index]["text"] = self.blocks[event.index].get("text", "") + text
                self.shown(text)
            elif delta.type == "input_json_delta" and event.index in self.buffers:
                self.buffers[event.index].append(delta.partial_json)
        elif event.type == "content_block_stop" and event.index in self.buffers:
            _take_tool_input(self.blocks[event.index], "".join(self.buffers.pop(event.index)), self.message)
        elif event.type == "message_delta":
            self.message.usage.update({k: v for k, v in _usage_dict(event.usage).items() if v})
        elif event.type == "message_stop":
            self.message.stopped = True


def _take_tool_input(block: ApiJson, text: str, message: StreamedMessage) -> None:
    """Parse a tool call's input strictly (no NaN / Infinity); an unusable one is noted, not raised."""

    def refuse(constant: str) -> NoReturn:
        raise ValueError(f"{constant} is not a number JSON allows")

    try:
        value = json.loads(text, parse_constant=refuse) if text.strip() else {}
    except (ValueError, RecursionError) as err:
        message.bad_inputs[block["id"]] = f"the tool input is not valid JSON ({str(err)[:120]})"
        return
    if not isinstance(value, dict):
        message.bad_inputs[block["id"]] = "the tool input must be a JSON object"
        return
    block["input"] = value


def _retryable(err: Exception) -> bool:
    import anthropic

    # OverloadedError (529) and ServiceUnavailable are InternalServerError subclasses.
    transient = (StreamCutShort, ValueError, anthropic.RateLimitError, anthropic.InternalServerError, anthropic.APITimeoutError)
    if isinstance(err, transient):
        return True
    return isinstance(err, anthropic.APIStatusError) and _error_type(err) in RETRYABLE_ERROR_EVENTS


def _error_type(err: Exception) -> str | None:
    body = getattr(err, "body", None)
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        kind = body["error"].get("type")
        return kind if isinstance(kind, str) else None
    return None


def explain_error(err: Exception, streamed_any: bool) -> str:
    """One message that says what happened and what to do; the learner's message is always kept."""
    import anthropic

    kept = "Your message is saved"
    if isinstance(err, StreamCutShort):
        what = "The reply stopped before the end: the connection closed early."
        if streamed_any:
            return f"{what} The partial reply is kept; press Ctrl+R to ask again."
        return f"{what} {kept}; Ctrl+R retries."
    if isinstance(err, ServerSilent):
        return (
            f"Claude did not answer within {FIRST_BYTE_TIMEOUT:g} s, twice. {kept}; press Ctrl+R to try again, "
            "or Ctrl+T for the offline tutor."
        )
    if isinstance(err, ValueError):  # the SDK could not read a line of the stream
        if streamed_any:
            return "The reply broke off (the API sent a line that could not be read). The partial reply is kept; press Ctrl+R to ask again."
        return f"The API sent a reply that could not be read. {kept}; Ctrl+R retries."
    if streamed_any:
        return f"The reply broke off ({_short(err)}). The partial reply is kept; press Ctrl+R to ask again."
    if isinstance(err, anthropic.AuthenticationError):
        return f"Key rejected (401): check ANTHROPIC_API_KEY. {kept}; Ctrl+T switches to the offline tutor."
    if isinstance(err, anthropic.PermissionDeniedError):
        return f"This key may not use the model (403). {kept}; check the key's workspace or set DLTUI_MODEL."
    if isinstance(err, anthropic.NotFoundError):
        return f"Model not found (404): set DLTUI_MODEL to a current Claude model. {kept}."
    if isinstance(err, anthropic.RateLimitError):
        return f"Rate-limited (429) even after retrying. {kept}: wait a minute, then press Ctrl+R."
    if _error_type(err) == "overloaded_error":
        return f"Claude is overloaded even after retrying. {kept}: try again in a few minutes with Ctrl+R."
    if isinstance(err, anthropic.APIConnectionError):
        return (
            f"Cannot reach the Anthropic API: the network looks down. {kept}; press Ctrl+R when you are back "
            "online, or Ctrl+T for the offline tutor."
        )
    if isinstance(err, anthropic.APIStatusError):
        return f"The API refused the request ({err.status_code}: {_short(err)}). {kept}; Ctrl+R retries."
    return f"Unexpected API error ({_short(err)}). {kept}; Ctrl+R retries."


def _short(err: Exception) -> str:
    body = getattr(err, "body", None)
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return str(body["error"].get("message", ""))[:200]
    return str(err).splitlines()[0][:200] if str(err) else type(err).__name__


def _retry_after(err: Exception, default: float) -> float:
    response = getattr(err, "response", None)
    header = response.headers.get("retry-after") if response is not None else None
    try:
        return min(float(header), 60.0) if header else default
    except ValueError:
        return default


USAGE_KEYS = ("input_tokens", "output_tokens", "cache_read_input_tokens", "cache_creation_input_tokens")


def _usage_dict(usage: Usage | MessageDeltaUsage) -> dict[str, int]:
    values = {key: getattr(usage, key, None) for key in USAGE_KEYS}
    return {key: value for key, value in values.items() if isinstance(value, int)}


def _add_usage(total: dict[str, int], usage: dict[str, int]) -> dict[str, int]:
    for key, value in usage.items():
        total[key] = total.get(key, 0) + value
    return total
