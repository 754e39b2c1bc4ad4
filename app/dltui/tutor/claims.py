"""The offline tutor checks a claim the learner volunteers about the topic.

"X is (32, 10) and W is (10, 5), so X @ W is (10, 10)" is neither a study request nor the answer
to a question the tutor asked. The tutor finds the curriculum check question the claim is about
(the most content words shared with its prompt and key points), compares the claim with that
question's key points, records what it showed as an assessment of the topic, and hands the
learner that question's hint to work the claim out with: it does not say the answer.

Credit (see `srs.mastery`): a volunteered claim is weak evidence. One that covers the question's
key points is "partial" (it may still hide the mistake), one that misses them "needs work",
never "strong"; confidence 0.4.
"""

from __future__ import annotations

import re

from dltui.curriculum import QuestionKind, Topic
from dltui.tutor.matching import content_words, covered_points, looks_like_question
from dltui.tutor.turn import Turn

MIN_WORDS = 4  # fewer content words is a remark, not a claim to check
MIN_SHARED = 2  # content words a claim must share with a question to be about it
CLAIM_CONFIDENCE = 0.4
# "..., right?" asks to have a claim confirmed: it is checked like a claim, not answered.
# What a request to study sounds like at its start ("teach me", "let's study", "next"): not a claim.
REQUEST_START = re.compile(
    r"^\W*(?:please\s+)?(?:can you|could you|would you|let'?s|i want to|i'd like to|i would like to|"
    r"teach|study|learn|explain|start|begin|next|practi[cs]e|quiz|topic|help)\b",
    re.IGNORECASE,
)
CONFIRMATION = re.compile(r"\b(?:right|correct|true|isn'?t it|no|yes|ok)\s*\?\s*$", re.IGNORECASE)


def claim_about(topic: Topic, text: str) -> int | None:
    """The index of the question a claim is about: the check question it shares most words with,
    else the topic's opener (what do you know about it?); None when the text is no claim."""
    if REQUEST_START.match(text) or (looks_like_question(text) and not CONFIRMATION.search(text)):
        return None
    said = content_words(text)
    if len(said) < MIN_WORDS:
        return None
    shared = [
        (len(said & content_words(f"{q.prompt} {' '.join(q.key_points)}")), index)
        for index, q in enumerate(topic.questions)
        if q.kind is QuestionKind.CHECK
    ]
    best, index = max(shared, default=(0, None))
    if best >= MIN_SHARED:
        return index
    return next((i for i, q in enumerate(topic.questions) if q.kind is QuestionKind.OPENER), None)


def check_claim(turn: Turn, topic: Topic, text: str, index: int) -> None:
    """Record what the claim shows, then hand the learner the question's hint to check it with.

    The question itself is not shown: a check question often states the right result and asks
    why ("why is the derivative of sin(x²) 2x·cos(x²)?"), which would give the answer away.
    """
    question = topic.questions[index]
    covered = covered_points(text, question.key_points)
    known = sum(covered)
    level = "partial" if known else "needs_work"
    checks = [i for i, q in enumerate(topic.questions) if q.kind is QuestionKind.CHECK]
    position = checks.index(index) if index in checks else 0
    turn.state = {"stage": "check", "topic": topic.id, "checks": checks, "position": position, "answers": {}}
    turn.new_question()
    turn.typed("claim")
    turn.tool(
        "record_assessment",
        topic_id=topic.id,
        level=level,
        confidence=CLAIM_CONFIDENCE,
        evidence=f"Claimed: “{_quote(text)}” (checked against: {_quote(question.prompt, 100)}; "
        f"key points covered: {known} of {len(covered)})",
    )
    opening = "Let's check that claim step by step."
    if known:
        opening += " Part of it holds, but not all of it."
    turn.say(opening)
    turn.say(f"Hint: {question.hint}")
    turn.say("Work it through that way: what do you get, and where does it differ from what you said?")


def _quote(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
