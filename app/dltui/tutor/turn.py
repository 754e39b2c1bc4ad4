"""One answer of the offline tutor, as its dialogue writes it: text said, tool calls run, the
state moved on. The dialogue (`tutor.offline`) fills it in, and so do its parts that handle one
kind of message (`tutor.claims`, `tutor.run_talk`): they share this, not each other."""

from __future__ import annotations

import asyncio
import enum
import re
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING

from dltui.tutor.reply import LearnerTurn, Reply, TextSink, ToolSink, TutorState
from dltui.tutor.saves import saved
from dltui.tutor.tools import ToolBox

if TYPE_CHECKING:
    from dltui.context import StudyContext
    from dltui.curriculum import Topic


class Stage(enum.StrEnum):
    """Where the offline dialogue is (its state's "stage"; None before the first topic)."""

    CHOOSE = "choose"  # topics offered, waiting for the learner's pick
    OPENER = "opener"  # asked what the learner already knows
    CHECK = "check"  # asking the check questions
    DONE = "done"  # the topic's assessment is recorded
    RUN = "run"  # talking about a lab run (tutor.run_talk)


class Turn(ABC):
    """Reads the state, writes text, moves the state on."""

    def __init__(self, context: StudyContext, toolbox: ToolBox, reply: Reply, state: TutorState, on_text: TextSink, on_tool: ToolSink):
        self.context = context
        self.toolbox = toolbox
        self.reply = reply
        self.state = dict(state)
        self.on_text = on_text
        self.on_tool = on_tool
        self.parts: list[str] = []
        self.kind: LearnerTurn = {"turn": "command"}
        self.tool_calls: list[tuple[str, dict[str, object]]] = []  # run by run_tools, in order

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
        """Call a tool once the turn is written (`run_tools`): the dialogue never needs its result."""
        self.tool_calls.append((name, arguments))

    async def run_tools(self) -> None:
        """The tool calls the turn made, on the chat's save thread: they write the learner's records."""
        for name, arguments in self.tool_calls:
            self.on_tool(await saved(self.toolbox.run, name, arguments))

    def new_question(self) -> None:
        self.state.update(attempts=0, misses=0, hint_step=0, covered=[])

    @abstractmethod
    def answer_question(self, text: str, topic: Topic | None) -> None:
        """Answer from the curriculum, then return to what was pending."""
