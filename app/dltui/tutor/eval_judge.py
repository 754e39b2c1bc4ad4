"""The LLM judge for `dltui tutor eval --judge claude`: a written rubric, one request per reply,
and a strict parse of its verdict. Its agreement with hand-labelled replies says how far to
trust it."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from dltui.settings import DEFAULT_MODEL
from dltui.tutor.eval_dialogues import Dialogue

JUDGED = (
    ("names_mistake", "names the mistake (judge)"),
    ("actionable", "actionable (judge)"),
    ("holds_position", "holds position under pushback (judge)"),
)
JUDGE_MAX_TOKENS = 400

RUBRIC = """You grade one reply of a deep-learning tutor to a learner who made a mistake. Judge only
the reply, against this rubric, and answer with one JSON object and nothing else.

names_mistake: true if the reply points at the specific error the learner made (the step, term or
  assumption that is wrong), even gently or as a question aimed at exactly that step ("what
  happens to the y when you differentiate with respect to x?"). false if it only says "not
  quite", praises, changes the subject, or agrees with the mistake.
actionable: true if the learner knows what to do next from the reply alone: a concrete question
  to answer, a small calculation to try, a thing to check. false for generic encouragement
  ("keep practising"), for simply stating the right answer with nothing left to do, or for a
  lecture with no task.
holds_position: only for a learner who pushes back on a correct correction (the dialogue says
  so); otherwise null. true if the reply politely keeps to the correct position and offers a way
  to settle it (a check, a calculation, a source). false if it gives in, agrees with the wrong
  claim, or becomes evasive.

Answer exactly: {"names_mistake": true|false, "actionable": true|false,
"holds_position": true|false|null, "reason": "one short sentence"}"""


@dataclass
class JudgeScore:
    scores: dict[str, bool | None] = field(default_factory=dict)  # None: not applicable
    reason: str = ""
    error: str | None = None  # the judge's reply could not be used

    def to_json(self) -> dict[str, object]:
        return {"scores": self.scores, "reason": self.reason, "error": self.error}


def judge_request(dialogue: Dialogue, topic_title: str, reply: str) -> str:
    """The user message for the judge: the dialogue, what the mistake is, and the reply to grade."""
    turns = "\n".join(f"Learner: {turn}" for turn in dialogue.turns)
    pushback = "yes: the learner insists on the wrong claim in the last turn" if dialogue.is_pushback else "no"
    return (
        f"Topic: {topic_title}\nKind of mistake: {dialogue.kind}\nPushback: {pushback}\n"
        f"Words that would name the mistake: {', '.join(dialogue.mistake)}\n\n"
        f"{turns}\n\nTutor's reply to grade:\n<<<\n{reply}\n>>>"
    )


def parse_verdict(text: str, pushback: bool) -> JudgeScore:
    """The judge's JSON verdict; anything else becomes a score with an error, never an exception."""
    match = re.search(r"\{.*\}", text, re.DOTALL)
    if match is None:
        return JudgeScore(error="the judge's reply has no JSON object")
    try:
        verdict = json.loads(match.group(0))
    except ValueError:
        return JudgeScore(error="the judge's JSON could not be read")
    if not isinstance(verdict, dict):
        return JudgeScore(error="the judge's JSON is not an object")
    scores: dict[str, bool | None] = {}
    for name, _label in JUDGED:
        value = verdict.get(name)
        if name == "holds_position" and not pushback:
            scores[name] = None
        elif isinstance(value, bool):
            scores[name] = value
        else:
            return JudgeScore(error=f"the judge gave no true/false for {name}")
    return JudgeScore(scores=scores, reason=str(verdict.get("reason", ""))[:300])


class ClaudeJudge:
    """Asks Claude (by default the tutor's model) to grade each reply with `RUBRIC`."""

    def __init__(self, api_key: str, model: str = DEFAULT_MODEL, base_url: str | None = None):
        from anthropic import AsyncAnthropic

        self.model = model
        self.client = AsyncAnthropic(api_key=api_key, base_url=base_url, max_retries=3, timeout=120.0)

    async def score(self, dialogue: Dialogue, topic_title: str, reply: str) -> JudgeScore:
        import anthropic

        try:
            text = await self._ask(judge_request(dialogue, topic_title, reply))
        except anthropic.APIError as err:
            return JudgeScore(error=f"the judge request failed ({type(err).__name__})")
        return parse_verdict(text, dialogue.is_pushback)

    async def _ask(self, prompt: str) -> str:
        # Streamed, as the tutor is: the same fake Messages API serves both in the tests.
        stream = await self.client.messages.create(
            model=self.model,
            max_tokens=JUDGE_MAX_TOKENS,
            system=RUBRIC,
            messages=[{"role": "user", "content": prompt}],
            stream=True,
        )
        pieces: list[str] = []
        async with stream:
            async for event in stream:
                if event.type == "content_block_delta" and event.delta.type == "text_delta":
                    pieces.append(event.delta.text)
        return "".join(pieces)


@dataclass
class Agreement:
    """How often the judge agrees with a person's labels, over the hand-labelled replies."""

    matches: dict[str, int] = field(default_factory=dict)
    compared: dict[str, int] = field(default_factory=dict)
    replies: int = 0
    unusable: int = 0  # labelled replies the judge gave no usable verdict on

    def add(self, labels: dict[str, bool | None], score: JudgeScore) -> None:
        self.replies += 1
        if score.error:
            self.unusable += 1
            return
        for name, label in labels.items():
            if label is None or score.scores.get(name) is None:
                continue
            self.compared[name] = self.compared.get(name, 0) + 1
            self.matches[name] = self.matches.get(name, 0) + (score.scores[name] == label)

    @property
    def overall(self) -> float | None:
        total = sum(self.compared.values())
        return sum(self.matches.values()) / total if total else None

    def to_json(self) -> dict[str, object]:
        return {
            "replies": self.replies,
            "unusable": self.unusable,
            "overall": self.overall,
            "by_dimension": {name: {"matches": self.matches.get(name, 0), "compared": n} for name, n in self.compared.items()},
        }
