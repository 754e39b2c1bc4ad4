"""What a tutor hands back for one learner message, whichever tutor it is."""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from dltui.store.models import Message, MessageStatus
from dltui.tutor.tools import ToolBox, ToolOutcome

TextSink = Callable[[str], None]  # receives the reply text piece by piece
ToolSink = Callable[[ToolOutcome], None]  # told about each tool call as it runs
# What the learner's message was, kept in its meta: {"turn": "answer", "check": 1, "topic": ...}
LearnerTurn = dict[str, str | int]
# The offline tutor's dialogue state (stage, topic, checks asked, answers given), kept as JSON in
# the reply's meta["offline"].
TutorState = dict[str, Any]


class TutorKind(enum.StrEnum):
    """Which tutor answers (the setting, and each conversation's ``tutor`` column)."""

    CLAUDE = "claude"
    OFFLINE = "offline"


@dataclass
class Reply:
    text: str = ""
    status: MessageStatus = MessageStatus.COMPLETE  # saved as the reply message's status
    notice: str | None = None  # what went wrong and what to do, shown under the reply
    retries: int = 0
    usage: dict[str, int] = field(default_factory=dict)  # token counts
    meta: dict[str, Any] = field(default_factory=dict)  # (JSON) tutor-specific state kept with the message
    turn: LearnerTurn = field(default_factory=dict)  # what the learner's message was; merged into its meta

    def done(self) -> "Reply":
        self.status = MessageStatus.COMPLETE
        return self

    def failed(self, notice: str, partial: bool = False) -> "Reply":
        self.notice = notice
        self.status = MessageStatus.PARTIAL if partial else MessageStatus.ERROR
        return self


class Tutor(Protocol):
    """What the chat needs of a tutor (`tutor.claude.ClaudeTutor`, `tutor.offline.OfflineTutor`)."""

    @property
    def label(self) -> str: ...

    toolbox: ToolBox

    async def respond(self, history: list[Message], topic_id: str | None, on_text: TextSink, on_tool: ToolSink) -> Reply: ...
