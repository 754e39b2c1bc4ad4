"""One conversation with a tutor: the learner's message is saved first, the reply as it streams.

`Chat` picks the tutor (Claude when a key is set and allowed, else offline; a new conversation
follows the setting, an old one keeps its tutor), keeps the learner's message no matter what
fails, saves partial replies every second while streaming, and marks a reply stopped by the
learner as partial. The saves run on one thread of their own, in the order they were made: the
event loop never waits on SQLite's lock, which another process may hold for the 30 s timeout.
Answering again (retry) replaces the reply to the same learner message and undoes the records
that reply made, so nothing is counted twice.

Each learner message carries its type in ``meta["turn"]``: the offline tutor's reading
("question" | "answer" | "command" | "hint_request"; answers also carry ``check`` and ``topic``),
or for Claude "question" when it ends with "?", else "message".
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from dltui.context import StudyContext
from dltui.store.models import Assessment, KnowledgeGap, Message
from dltui.tutor import history
from dltui.tutor.reply import Reply, TextSink, ToolSink
from dltui.tutor.tools import ToolBox, ToolOutcome

TOPIC_COMMAND = re.compile(r"^/?topic\s+(.+)$", re.IGNORECASE)
SAVE_EVERY = 1.0  # seconds between saves of a reply that is still streaming

# One thread makes every chat save, first asked first done: a later save (the reply) can never
# land before an earlier one (the learner's message), and a save that waits for the lock keeps
# the screen answering keys. Started on the first save, not at start-up.
_SAVES = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dltui-chat-saves")


async def _landed(save: Future):
    """Wait, off the event loop, for a save to be committed; return what it returned.

    Stopping the reply (Esc) while a save waits lets that save land first: it cannot be taken
    back, and what follows the stop (marking the reply partial) must come after it.
    """
    waiting = asyncio.wrap_future(save)
    try:
        return await asyncio.shield(waiting)
    except asyncio.CancelledError:
        await waiting
        raise


def choose_tutor_kind(context: StudyContext, wanted: str | None = None) -> tuple[str, str | None]:
    """("claude" | "offline", a one-line note when the choice needs explaining)."""
    wanted = wanted or context.settings.tutor
    if wanted == "offline":
        return "offline", None
    if context.settings.api_key():
        return "claude", None
    return "offline", "No ANTHROPIC_API_KEY set: the offline tutor teaches from the curriculum."


class Chat:
    def __init__(
        self,
        context: StudyContext,
        conversation_id: int | None = None,
        tutor_kind: str | None = None,
        on_quiz: Callable[[str], None] | None = None,
        retry_delays: tuple[float, ...] | None = None,
    ):
        self.context = context
        self.on_quiz = on_quiz
        self.retry_delays = retry_delays
        existing = history.get_conversation(context, conversation_id) if conversation_id else None
        self.kind, self.note = choose_tutor_kind(context, tutor_kind or (existing.tutor if existing else None))
        self.conversation = existing or history.start_conversation(context, self.kind)
        self._tutor = None  # built on first use: the Claude tutor imports anthropic, slow at start-up

    @property
    def conversation_id(self) -> int:
        return self.conversation.id

    @property
    def topic_id(self) -> str | None:
        return self.conversation.topic_id

    @property
    def tutor(self):
        if self._tutor is None:
            self._tutor = self._make_tutor()
        return self._tutor

    @property
    def tutor_label(self) -> str:
        if self._tutor is not None:
            return self._tutor.label
        if self.kind == "claude":
            return f"Claude ({self.context.settings.model})"
        from dltui.tutor.offline import OfflineTutor

        return OfflineTutor.label

    def _make_tutor(self):
        toolbox = ToolBox(self.context, self.conversation.id, assessor=self.kind, on_quiz=self.on_quiz)
        if self.kind == "claude":
            from dltui.tutor.claude import RETRY_DELAYS, ClaudeTutor

            delays = RETRY_DELAYS if self.retry_delays is None else self.retry_delays
            return ClaudeTutor(self.context, toolbox, self.context.settings.api_key(), retry_delays=delays)
        from dltui.tutor.offline import OfflineTutor

        return OfflineTutor(self.context, toolbox)

    def switch_tutor(self, kind: str) -> str | None:
        """Change tutor mid-conversation; returns a note when the wish cannot be met."""
        self.kind, self.note = choose_tutor_kind(self.context, kind)
        history.set_conversation_topic(self.context, self.conversation.id, self.conversation.topic_id, self.kind)
        self._tutor = None
        return self.note if kind != self.kind else None

    def set_topic(self, topic_id: str | None) -> None:
        history.set_conversation_topic(self.context, self.conversation.id, topic_id)
        self.conversation = history.get_conversation(self.context, self.conversation.id)

    def messages(self) -> list[Message]:
        return history.messages_of(self.context, self.conversation.id)

    async def send(self, text: str, on_text: TextSink, on_tool: ToolSink) -> Reply:
        """Save the learner's message, then get and save the reply. ``/topic NAME`` sets the topic."""
        meta = {"turn": "question" if text.rstrip().endswith("?") else "message"} if self.kind == "claude" else None
        await _landed(_SAVES.submit(history.add_message, self.context, self.conversation.id, "user", text, meta=meta))
        switch = TOPIC_COMMAND.match(text.strip())
        if switch:
            topic = self.context.curriculum.find_topic(switch.group(1))
            if topic:
                await _landed(_SAVES.submit(self.set_topic, topic.id))
        return await self.answer(on_text, on_tool)

    async def answer(self, on_text: TextSink, on_tool: ToolSink) -> Reply:
        """Reply to the last learner message; a reply it already had is replaced (retry)."""
        await _landed(_SAVES.submit(self.drop_last_reply))
        past = await _landed(_SAVES.submit(self.messages))
        placeholder = _SAVES.submit(history.add_message, self.context, self.conversation.id, "assistant", "", status="partial")
        saves: list[Future] = [placeholder]
        streamed: list[str] = []
        last_save = time.monotonic()

        def save(write: Callable[[], object]) -> Future:
            saves.append(_SAVES.submit(write))
            return saves[-1]

        def save_reply(content: str, status: str, meta: dict | None = None) -> Future:
            return save(lambda: history.update_message(self.context, placeholder.result().id, content, status, meta))

        def collect(piece: str) -> None:
            nonlocal last_save
            streamed.append(piece)
            on_text(piece)
            # One partial save at a time: while one waits for the lock, the next would only repeat it.
            if time.monotonic() - last_save > SAVE_EVERY and saves[-1].done():
                save_reply("".join(streamed), "partial")
                last_save = time.monotonic()

        def tool_seen(outcome: ToolOutcome) -> None:
            meta = {"error": outcome.is_error, "made": outcome.made}
            save(lambda: history.add_message(self.context, self.conversation.id, "tool", outcome.line, meta=meta))
            on_tool(outcome)

        try:
            reply = await self.tutor.respond(past, self.topic_id, collect, tool_seen)
        except asyncio.CancelledError:
            await _landed(save_reply("".join(streamed), "partial", {"stopped": True}))
            raise
        meta = {"tutor": self.kind, **reply.meta}
        if reply.usage:
            meta["usage"] = reply.usage
        if reply.text.strip() or reply.status == "complete":
            save_reply(reply.text, reply.status, meta)
        else:
            save(lambda: _delete_empty(self.context, placeholder.result().id))
        if reply.notice:
            save(lambda: history.add_message(self.context, self.conversation.id, "notice", reply.notice, status="error"))
        learner = next((m for m in reversed(past) if m.role == "user"), None)
        if reply.turn and learner is not None:
            save(lambda: history.update_message(self.context, learner.id, learner.content, learner.status, reply.turn))
        for each in saves:  # all landed, in order; one that failed (disk full) is raised here
            await _landed(each)
        await _landed(_SAVES.submit(self._follow_topic, reply))
        return reply

    def drop_last_reply(self) -> None:
        """Delete the reply (and its tool lines) after the last learner message, undoing its records.

        Notices stay: they tell what went wrong before. The offline tutor's state lives in its
        replies' meta, so removing the reply also rewinds the dialogue to before it.
        """
        past = self.messages()
        last = max((i for i, m in enumerate(past) if m.role == "user"), default=None)
        if last is None:
            return
        with self.context.store.session() as session:
            for message in past[last + 1 :]:
                if message.role not in ("assistant", "tool"):
                    continue
                _undo(session, message.meta.get("made") or {})
                row = session.get(Message, message.id)
                if row is not None:
                    session.delete(row)

    def _follow_topic(self, reply: Reply) -> None:
        """The topic the tutor is teaching (or last assessed) becomes the conversation's topic."""
        topic = reply.meta.get("offline", {}).get("topic") or self.tutor.toolbox.last_topic
        if topic and topic != self.conversation.topic_id:
            self.set_topic(topic)

    def export(self):
        return history.export_markdown(self.context, self.conversation.id)


def _undo(session, made: dict) -> None:
    """Take back what one tool call recorded (see ToolOutcome.made)."""
    for model, key in ((Assessment, "assessment"), (KnowledgeGap, "gap")):
        row = session.get(model, made[key]) if key in made else None
        if row is not None:
            session.delete(row)
    reopened = session.get(KnowledgeGap, made["resolved_gap"]) if "resolved_gap" in made else None
    if reopened is not None:
        reopened.resolved_at, reopened.resolution = None, None
        if hasattr(reopened, "resolved_session_id"):
            reopened.resolved_session_id = None
        session.add(reopened)


def _delete_empty(context: StudyContext, message_id: int) -> None:
    with context.store.session() as session:
        message = session.get(Message, message_id)
        if message is not None:
            session.delete(message)
