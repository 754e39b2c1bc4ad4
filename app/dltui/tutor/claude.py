"""The Claude tutor: streamed replies, a bounded tool loop, retries, and errors in plain words.

Text is handed to ``on_text`` as it arrives. Tool calls run through the same `ToolBox` the
offline tutor uses; each one is reported to ``on_tool``. 429/529/5xx before any text arrives
are retried with back-off; an error after text arrived keeps the partial reply.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

from dltui.context import StudyContext
from dltui.store.models import Message
from dltui.tutor.history import api_messages
from dltui.tutor.prompt import system_blocks
from dltui.tutor.reply import Reply, TextSink, ToolSink
from dltui.tutor.tools import TOOL_DEFINITIONS, ToolBox

MAX_TOOL_ROUNDS = 6
RETRY_DELAYS = (2.0, 5.0, 10.0)  # seconds before each retry of a 429 / 529 / 5xx
REQUEST_TIMEOUT = 120.0


class ClaudeTutor:
    name = "claude"

    def __init__(
        self,
        context: StudyContext,
        toolbox: ToolBox,
        api_key: str,
        retry_delays: Sequence[float] = RETRY_DELAYS,
        sleep: Callable[[float], object] = asyncio.sleep,
    ):
        from anthropic import AsyncAnthropic

        self.context = context
        self.toolbox = toolbox
        self.retry_delays = tuple(retry_delays)
        self.sleep = sleep
        settings = context.settings
        # Our own retry loop (max_retries=0) so the learner sees what is happening.
        self.client = AsyncAnthropic(
            api_key=api_key, base_url=settings.api_base_url, max_retries=0, timeout=REQUEST_TIMEOUT
        )

    @property
    def label(self) -> str:
        return f"Claude ({self.context.settings.model})"

    async def respond(self, history: list[Message], topic_id: str | None, on_text: TextSink, on_tool: ToolSink) -> Reply:
        reply = Reply()
        messages: list[dict] = api_messages(history)
        if not messages:
            return reply.failed("There is nothing to answer yet: type a question first.")
        system = system_blocks(self.context, topic_id)

        def emit(text: str) -> None:
            reply.text += text
            on_text(text)

        for _round in range(MAX_TOOL_ROUNDS):
            if reply.text and not reply.text.endswith("\n"):
                emit("\n\n")
            final, error = await self._stream_once(system, messages, emit, reply)
            if error is not None:
                return reply.failed(error, partial=bool(reply.text.strip()))
            tool_uses = [block for block in final.content if block.type == "tool_use"]
            reply.usage = _add_usage(reply.usage, final.usage)
            if not tool_uses:
                return reply.done()
            messages.append({"role": "assistant", "content": [block.model_dump(exclude_none=True) for block in final.content]})
            results = []
            for use in tool_uses:
                outcome = self.toolbox.run(use.name, use.input)
                reply.tool_lines.append(outcome.line)
                on_tool(outcome)
                results.append(
                    {"type": "tool_result", "tool_use_id": use.id, "content": outcome.content, "is_error": outcome.is_error}
                )
            messages.append({"role": "user", "content": results})
        return reply.failed(f"Stopped after {MAX_TOOL_ROUNDS} rounds of tool calls; ask again to continue.", partial=True)

    async def _stream_once(self, system, messages, emit, reply: Reply):
        """One model call, retried while nothing has been streamed; returns (final message, error text)."""
        import anthropic

        for attempt in range(len(self.retry_delays) + 1):
            streamed_any = False
            try:
                async with self.client.messages.stream(
                    model=self.context.settings.model,
                    max_tokens=self.context.settings.max_tokens,
                    system=system,
                    messages=messages,
                    tools=TOOL_DEFINITIONS,
                ) as stream:
                    async for event in stream:
                        if event.type == "text":
                            streamed_any = True
                            emit(event.text)
                    return await stream.get_final_message(), None
            except (anthropic.RateLimitError, anthropic.InternalServerError, anthropic.APITimeoutError) as err:
                # OverloadedError (529) and ServiceUnavailable are InternalServerError subclasses.
                if streamed_any or attempt == len(self.retry_delays):
                    return None, explain_error(err, streamed_any)
                reply.retries += 1
                await self.sleep(_retry_after(err, self.retry_delays[attempt]))
            except anthropic.APIError as err:
                return None, explain_error(err, streamed_any)
        raise AssertionError("unreachable")


def explain_error(err: Exception, streamed_any: bool) -> str:
    """One message that says what happened and what to do; the learner's message is always kept."""
    import anthropic

    kept = "Your message is saved"
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
    if isinstance(err, anthropic.InternalServerError) and getattr(err, "status_code", 0) == 529:
        return f"Claude is overloaded (529) even after retrying. {kept}: try again in a few minutes with Ctrl+R."
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


def _add_usage(total: dict, usage) -> dict:
    if usage is None:
        return total
    for key in ("input_tokens", "output_tokens", "cache_read_input_tokens", "cache_creation_input_tokens"):
        value = getattr(usage, key, None)
        if isinstance(value, int):
            total[key] = total.get(key, 0) + value
    return total
