"""Chat history in SQLite: conversations, messages, resuming and exporting to Markdown.

Each message is committed as soon as it exists, so a crash loses at most the words in flight.
Roles: ``user`` and ``assistant`` are replayed to the model; ``tool`` (a short line about a tool
call) and ``notice`` (errors, which tutor is active) are shown to the learner only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from dltui.context import StudyContext
from dltui.store.models import Conversation, Message, MessageRole, MessageStatus
from dltui.store.types import utcnow
from dltui.terminal_text import terminal_safe

TITLE_LENGTH = 60


def start_conversation(context: StudyContext, tutor: str, topic_id: str | None = None) -> Conversation:
    with context.store.session() as session:
        conversation = Conversation(tutor=tutor, topic_id=topic_id)
        session.add(conversation)
        session.flush()
        session.refresh(conversation)
        return conversation


def add_message(
    context: StudyContext,
    conversation_id: int,
    role: MessageRole,
    content: str,
    status: MessageStatus = MessageStatus.COMPLETE,
    meta: dict[str, Any] | None = None,
) -> Message:
    """Append and commit one message; the first learner message also names the conversation."""
    with context.store.session() as session:
        message = Message(
            conversation_id=conversation_id,
            role=role,
            content=content,
            status=status,
            meta=meta or {},
            session_id=context.session_id,
        )
        session.add(message)
        conversation = _conversation(session, conversation_id)
        conversation.updated_at = utcnow()
        if role == MessageRole.USER and conversation.title == Conversation.model_fields["title"].default:
            first_line = content.strip().splitlines()[0] if content.strip() else "New conversation"
            conversation.title = first_line[:TITLE_LENGTH]
        session.add(conversation)
        session.flush()
        session.refresh(message)
        return message


def update_message(context: StudyContext, message_id: int, content: str, status: MessageStatus, meta: dict[str, Any] | None = None) -> None:
    with context.store.session() as session:
        message = session.get(Message, message_id)
        if message is None:
            raise ValueError(f"no message {message_id}")
        message.content = content
        message.status = status
        if meta is not None:
            message.meta = {**message.meta, **meta}
        session.add(message)


def set_conversation_topic(context: StudyContext, conversation_id: int, topic_id: str | None, tutor: str | None = None) -> None:
    with context.store.session() as session:
        conversation = _conversation(session, conversation_id)
        conversation.topic_id = topic_id
        if tutor:
            conversation.tutor = tutor
        session.add(conversation)


def _conversation(session: Session, conversation_id: int) -> Conversation:
    conversation = session.get(Conversation, conversation_id)
    if conversation is None:
        raise ValueError(f"no conversation {conversation_id}")
    return conversation


def get_conversation(context: StudyContext, conversation_id: int) -> Conversation | None:
    with context.store.read() as session:
        return session.get(Conversation, conversation_id)


def messages_of(context: StudyContext, conversation_id: int) -> list[Message]:
    with context.store.read() as session:
        query = select(Message).where(Message.conversation_id == conversation_id).order_by(col(Message.id))
        return list(session.exec(query))


def recent_conversations(context: StudyContext, limit: int = 30) -> list[Conversation]:
    with context.store.read() as session:
        query = select(Conversation).order_by(col(Conversation.updated_at).desc()).limit(limit)
        return list(session.exec(query))


def export_markdown(context: StudyContext, conversation_id: int, path: Path | None = None) -> Path:
    """Write the conversation as Markdown (default: <data>/exports/conversation-<id>.md)."""
    conversation = get_conversation(context, conversation_id)
    if conversation is None:
        raise ValueError(f"no conversation {conversation_id}")
    path = path or context.settings.data_dir / "exports" / f"conversation-{conversation_id}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [
        f"# {conversation.title}",
        "",
        f"Tutor: {conversation.tutor} · started {conversation.created_at:%Y-%m-%d %H:%M} UTC",
        "",
    ]
    for message in messages_of(context, conversation_id):
        if message.role == MessageRole.USER:
            lines += ["## You", "", message.content, ""]
        elif message.role == MessageRole.ASSISTANT:
            marker = " (stopped before the end)" if message.status == MessageStatus.PARTIAL else ""
            lines += [f"## Tutor{marker}", "", message.content, ""]
        else:
            lines += [f"> {message.content}", ""]
    # Quoted text from the model or an older database may hold escape sequences: `cat` would run them.
    path.write_text(terminal_safe("\n".join(lines)), encoding="utf-8")
    return path


def api_messages(messages: list[Message]) -> list[dict[str, Any]]:
    """The conversation as the Messages API wants it: alternating user/assistant text turns."""
    turns: list[dict[str, Any]] = []
    for message in messages:
        if message.role not in (MessageRole.USER, MessageRole.ASSISTANT) or not message.content.strip():
            continue
        text = message.content
        if message.role == MessageRole.ASSISTANT and message.status == MessageStatus.PARTIAL:
            text += "\n\n[this reply was cut off]"
        if turns and turns[-1]["role"] == message.role:
            turns[-1]["content"] += "\n\n" + text  # e.g. two learner messages after a failed reply
        else:
            turns.append({"role": str(message.role), "content": text})
    while turns and turns[0]["role"] != MessageRole.USER:
        turns.pop(0)
    return turns
