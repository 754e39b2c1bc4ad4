"""What a tutor hands back for one learner message, whichever tutor it is."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from dltui.tutor.tools import ToolOutcome

TextSink = Callable[[str], None]  # receives the reply text piece by piece
ToolSink = Callable[[ToolOutcome], None]  # told about each tool call as it runs


@dataclass
class Reply:
    text: str = ""
    status: str = "complete"  # complete | partial | error
    notice: str | None = None  # what went wrong and what to do, shown under the reply
    retries: int = 0
    usage: dict = field(default_factory=dict)
    meta: dict = field(default_factory=dict)  # tutor-specific state kept with the message
    turn: dict = field(default_factory=dict)  # what the learner's message was; merged into its meta

    def done(self) -> "Reply":
        self.status = "complete"
        return self

    def failed(self, notice: str, partial: bool = False) -> "Reply":
        self.notice = notice
        self.status = "partial" if partial else "error"
        return self
