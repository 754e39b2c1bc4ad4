"""One conversation with a tutor: the learner's message is saved first, the reply as it streams.

`Chat` picks the tutor (Claude when a key is set and allowed, else offline; a new conversation
follows the setting, an old one keeps its tutor), keeps the learner's message no matter what
fails, saves partial replies every second while streaming, and marks a reply stopped by the
learner as partial. Its writes run on the save thread (`tutor.saves`), in the order they were
made: the event loop never waits on SQLite's lock, which another process may hold for the 30 s
timeout. `Chat.opened` makes a chat there too. Answering again (retry) replaces the reply to the
same learner message and undoes the records that reply made, so nothing is counted twice.

Each learner message carries its type in ``meta["turn"]``: the offline tutor's reading
("question" | "answer" | "command" | "hint_request"; answers also carry ``check`` and ``topic``),
or for Claude "question" when it ends with "?", else "message".
"""

from __future__ import annotations

import asyncio
import importlib
import re
import time
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from sqlmodel import Session

from dltui.context import StudyContext
from dltui.store.models import Assessment, KnowledgeGap, Message, MessageRole, MessageStatus
from dltui.store.types import row_id
from dltui.tutor import history
from dltui.tutor.reply import Reply, TextSink, ToolSink, Tutor, TutorKind
from dltui.tutor.saves import landed, queue
from dltui.tutor.tools import ToolBox, ToolOutcome

TOPIC_COMMAND = re.compile(r"^/?topic\s+(.+)$", re.IGNORECASE)
SAVE_EVERY = 1.0  # seconds between saves of a reply that is still streaming


def choose_tutor_kind(context: StudyContext, wanted: str | None = None) -> tuple[TutorKind, str | None]:
    """(the tutor, a one-line note when the choice needs explaining)."""
    wanted = wanted or context.settings.tutor
    if wanted == TutorKind.OFFLINE:
        return TutorKind.OFFLINE, None
    if context.settings.api_key():
        return TutorKind.CLAUDE, None
    return TutorKind.OFFLINE, "No ANTHROPIC_API_KEY set: the offline tutor teaches from the curriculum."


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
        self._tutor: Tutor | None = None  # built on first use: the Claude tutor imports anthropic, slow at start-up
        self._queued: list[Future[None]] = []  # writes asked for by the methods that do not wait

    @classmethod
    async def opened(
        cls,
        context: StudyContext,
        conversation_id: int | None = None,
        tutor_kind: str | None = None,
        on_quiz: Callable[[str], None] | None = None,
    ) -> Chat:
        """As ``Chat(...)``, made on the save thread: a new conversation is a write."""
        return await landed(queue(cls, context, conversation_id, tutor_kind, on_quiz))

    @property
    def conversation_id(self) -> int:
        return row_id(self.conversation)

    @property
    def topic_id(self) -> str | None:
        return self.conversation.topic_id

    @property
    def tutor(self) -> Tutor:
        if self._tutor is None:
            self._tutor = self._make_tutor()
        return self._tutor

    @property
    def tutor_label(self) -> str:
        if self._tutor is not None:
            return self._tutor.label
        if self.kind == TutorKind.CLAUDE:
            return f"Claude ({self.context.settings.model})"
        from dltui.tutor.offline import OfflineTutor

        return OfflineTutor.label

    async def warm_up(self) -> None:
        """Import Claude's SDK in a thread (~1 s; pydantic models): what the first message would
        otherwise wait for, with the event loop (the whole screen) stopped. Nothing without Claude."""
        if self.kind == TutorKind.CLAUDE:
            await asyncio.to_thread(importlib.import_module, "anthropic")

    def _make_tutor(self) -> Tutor:
        toolbox = ToolBox(self.context, self.conversation_id, assessor=self.kind, on_quiz=self.on_quiz)
        if self.kind == TutorKind.CLAUDE:
            from dltui.tutor.claude import RETRY_DELAYS, ClaudeTutor

            delays = RETRY_DELAYS if self.retry_delays is None else self.retry_delays
            return ClaudeTutor(self.context, toolbox, self.context.settings.api_key() or "", retry_delays=delays)
        from dltui.tutor.offline import OfflineTutor

        return OfflineTutor(self.context, toolbox)

    def _save_later(self, write: Callable[[], None]) -> None:
        """A write the caller does not wait for; the next message waits for it (and meets its error)."""
        self._queued.append(queue(write))

    async def _caught_up(self) -> None:
        queued, self._queued = self._queued, []
        for each in queued:
            await landed(each)

    def switch_tutor(self, kind: str) -> str | None:
        """Change tutor mid-conversation; returns a note when the wish cannot be met. Saved later."""
        self.kind, self.note = choose_tutor_kind(self.context, kind)
        topic_id, tutor = self.topic_id, self.kind
        self._save_later(lambda: history.set_conversation_topic(self.context, self.conversation_id, topic_id, tutor))
        self._tutor = None
        return self.note if kind != self.kind else None

    def set_topic(self, topic_id: str | None) -> None:
        """The conversation's topic from now on (saved later, before the next message)."""
        self.conversation.topic_id = topic_id
        self._save_later(lambda: history.set_conversation_topic(self.context, self.conversation_id, topic_id))

    def messages(self) -> list[Message]:
        return history.messages_of(self.context, self.conversation_id)

    async def send(self, text: str, on_text: TextSink, on_tool: ToolSink) -> Reply:
        """Save the learner's message, then get and save the reply. ``/topic NAME`` sets the topic."""
        await self._caught_up()
        meta = {"turn": "question" if text.rstrip().endswith("?") else "message"} if self.kind == TutorKind.CLAUDE else None
        await landed(queue(history.add_message, self.context, self.conversation_id, MessageRole.USER, text, meta=meta))
        switch = TOPIC_COMMAND.match(text.strip())
        if switch:
            topic = self.context.curriculum.find_topic(switch.group(1))
            if topic:
                self.set_topic(topic.id)
        return await self.answer(on_text, on_tool)

    async def answer(self, on_text: TextSink, on_tool: ToolSink) -> Reply:
        """Reply to the last learner message; a reply it already had is replaced (retry)."""
        await self._caught_up()
        await landed(queue(self.drop_last_reply))
        past = await landed(queue(self.messages))
        placeholder = queue(
            history.add_message, self.context, self.conversation_id, MessageRole.ASSISTANT, "", status=MessageStatus.PARTIAL
        )
        saves: list[Future[Any]] = [placeholder]
        streamed: list[str] = []
        last_save = time.monotonic()

        def save(write: Callable[[], object]) -> Future[Any]:
            saves.append(queue(write))
            return saves[-1]

        def save_reply(content: str, status: MessageStatus, meta: dict[str, Any] | None = None) -> Future[Any]:
            return save(lambda: history.update_message(self.context, row_id(placeholder.result()), content, status, meta))

        def collect(piece: str) -> None:
            nonlocal last_save
            streamed.append(piece)
            on_text(piece)
            # One partial save at a time: while one waits for the lock, the next would only repeat it.
            if time.monotonic() - last_save > SAVE_EVERY and saves[-1].done():
                save_reply("".join(streamed), MessageStatus.PARTIAL)
                last_save = time.monotonic()

        def tool_seen(outcome: ToolOutcome) -> None:
            meta = {"error": outcome.is_error, "made": outcome.made}
            save(lambda: history.add_message(self.context, self.conversation_id, MessageRole.TOOL, outcome.line, meta=meta))
            on_tool(outcome)

        if self._tutor is None:
            await self.warm_up()  # done already, or still going (this waits on the same import)
        try:
            reply = await self.tutor.respond(past, self.topic_id, collect, tool_seen)
        except asyncio.CancelledError:
            await landed(save_reply("".join(streamed), MessageStatus.PARTIAL, {"stopped": True}))
            raise
        meta: dict[str, Any] = {"tutor": self.kind, **reply.meta}
        if reply.usage:
            meta["usage"] = reply.usage
        if reply.text.strip() or reply.status == MessageStatus.COMPLETE:
            save_reply(reply.text, reply.status, meta)
        else:
            save(lambda: _delete_empty(self.context, row_id(placeholder.result())))
        if notice := reply.notice:
            save(lambda: history.add_message(self.context, self.conversation_id, MessageRole.NOTICE, notice, status=MessageStatus.ERROR))
        learner = next((m for m in reversed(past) if m.role == MessageRole.USER), None)
        if reply.turn and learner is not None:
            save(lambda: history.update_message(self.context, row_id(learner), learner.content, learner.status, reply.turn))
        for each in saves:  # all landed, in order; one that failed (disk full) is raised here
            await landed(each)
        self._follow_topic(reply)
        await self._caught_up()
        return reply

    def drop_last_reply(self) -> None:
        """Delete the reply (and its tool lines) after the last learner message, undoing its records.

        Notices stay: they tell what went wrong before. The offline tutor's state lives in its
        replies' meta, so removing the reply also rewinds the dialogue to before it.
        """
        past = self.messages()
        last = max((i for i, m in enumerate(past) if m.role == MessageRole.USER), default=None)
        if last is None:
            return
        with self.context.store.session() as session:
            for message in past[last + 1 :]:
                if message.role not in (MessageRole.ASSISTANT, MessageRole.TOOL):
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

    def export(self) -> Path:
        return history.export_markdown(self.context, self.conversation_id)


def _undo(session: Session, made: dict[str, int]) -> None:
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
