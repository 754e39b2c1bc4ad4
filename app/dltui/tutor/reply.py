"""What a tutor hands back for one learner message, whichever tutor it is."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from dltui.tutor.tools import ToolOutcome

TextSink = Callable[[str], None]  # receives the reply text piece by piece
ToolSink = Callable[[ToolOutcome], None]  # told about each tool call as it runs
# What the learner's message was, kept in its meta: {"turn": "answer", "check": 1, "topic": ...}
LearnerTurn = dict[str, str | int]
# The offline tutor's dialogue state (stage, topic, checks asked, answers given), kept as JSON in
# the reply's meta["offline"].
TutorState = dict[str, Any]


@dataclass
class Reply:
    text: str = ""
    status: str = "complete"  # complete | partial | error
    notice: str | None = None  # what went wrong and what to do, shown under the reply
    retries: int = 0
    usage: dict[str, int] = field(default_factory=dict)  # token counts
    meta: dict[str, Any] = field(default_factory=dict)  # (JSON) tutor-specific state kept with the message
    turn: LearnerTurn = field(default_factory=dict)  # what the learner's message was; merged into its meta

    def done(self) -> "Reply":
        self.status = "complete"
        return self

    def failed(self, notice: str, partial: bool = False) -> "Reply":
        self.notice = notice
        self.status = "partial" if partial else "error"
        return self
