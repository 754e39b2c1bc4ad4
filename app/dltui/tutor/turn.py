"""One answer of the offline tutor, as its dialogue writes it: text said, tool calls run, the
state moved on. The dialogue (`tutor.offline`) fills it in, and so do its parts that handle one
kind of message (`tutor.claims`, `tutor.run_talk`): they share this, not each other."""

from __future__ import annotations

import asyncio
import re
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING

from dltui.tutor.reply import LearnerTurn, Reply, TextSink, ToolSink, TutorState
from dltui.tutor.tools import ToolBox

if TYPE_CHECKING:
    from dltui.context import StudyContext
    from dltui.curriculum import Topic


class Turn(ABC):
    """Reads the state, writes text, moves the state on."""

    def __init__(self, context: StudyContext, toolbox: ToolBox, reply: Reply, state: TutorState,
                 on_text: TextSink, on_tool: ToolSink):
        self.context = context
        self.toolbox = toolbox
        self.reply = reply
        self.state = dict(state)
        self.on_text = on_text
        self.on_tool = on_tool
        self.parts: list[str] = []
        self.kind: LearnerTurn = {"turn": "command"}

    def say(self, text: str) -> None:
        self.parts.append(text)

    def typed(self, turn: str, check: int | None = None) -> None:
        self.kind = {"turn": turn} if check is None else {"turn": turn, "check": check}

    def learner_turn(self) -> LearnerTurn:
        if self.state.get("topic") and "topic" not in self.kind:
            self.kind["topic"] = self.state["topic"]
        return self.kind

    async def flush(self) -> None:
        text = "\n\n".join(self.parts)
        for piece in re.findall(r"\S+\s*|\s+", text):  # word by word, like a streamed reply
            self.reply.text += piece
            self.on_text(piece)
            await asyncio.sleep(0)

    def tool(self, name: str, **arguments: object) -> None:
        outcome = self.toolbox.run(name, arguments)
        self.on_tool(outcome)

    def new_question(self) -> None:
        self.state.update(attempts=0, misses=0, hint_step=0, covered=[])

    @abstractmethod
    def answer_question(self, text: str, topic: Topic | None) -> None:
        """Answer from the curriculum, then return to what was pending."""
