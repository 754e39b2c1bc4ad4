"""The offline tutor talks about one of the learner's lab runs.

"Let's look at my run ID" (what `t` in Labs sends) reads the run as the runner recorded it
(`labs.run_record`), says what the curve shows with the numbers read from it, and asks the
learner what that means before explaining anything. The answer is graded against the
diagnosis' key points and recorded as an assessment of the diagnosis' topic (diverging ->
gradient descent, overfitting -> regularization, ...): evidence from the learner's own run.

The state travels in the reply's meta like the rest of the offline dialogue (stage "run").
A live run is read again on every turn, so the numbers quoted are the newest.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from dltui.tutor.matching import covered_points, looks_like_question
from dltui.tutor.turn import Turn

if TYPE_CHECKING:
    from dltui.labs.run_record import RunRecord

# What Labs' `t` sends, and what a learner may type: "run ID" or "let's look at my run ID".
LOOK_AT_RUN = re.compile(r"^(?:let'?s look at (?:my )?)?run\s+([A-Za-z0-9_.-]*[A-Za-z0-9_-])[.!]?$", re.IGNORECASE)
MISSES_BEFORE_EXPLAINING = 2  # a hint after the first miss, the explanation after the second


def look_at_run(turn: Turn, run_id: str) -> None:
    """Open the discussion of one run: what the curve shows, then a question about it."""
    from dltui.labs.run_record import read_run_record

    turn.typed("command")
    record = read_run_record(turn.context, run_id)
    if record is None:
        return turn.say(f"I cannot find a run called “{run_id}”. Pick it in the Labs area (F4) and press **t**.")
    diagnosis = record.diagnosis
    turn.state = {
        "stage": "run",
        "run": record.run_id,
        "topic": diagnosis.topic_id,
        "shape": diagnosis.shape.value,
        "question": diagnosis.question,
        "hint": diagnosis.hint,
        "key_points": list(diagnosis.key_points),
        "explanation": diagnosis.explanation,
        "misses": 0,
    }
    turn.say(f"Let's look at run **{record.run_id}** ({record.lab_title}; {_params(record.params)}; {_progress(record)}).")
    turn.say(f"What I read in its events: {diagnosis.evidence}.")
    surprise = _wrong_prediction(turn, record.run_id)
    if surprise:  # predicted, run, and it came out otherwise: that is the moment to ask why
        turn.say(f"Before it ran, you predicted otherwise: {surprise}")
    turn.say(diagnosis.question)


def answer_about_run(turn: Turn, text: str, command: str) -> None:
    """Grade the learner's reading of the run; hint, then explain; record what it showed."""
    state = turn.state
    run_id = state["run"]
    if command in ("hint", "explain", "skip"):
        turn.typed("hint_request" if command == "hint" else "command")
        if command == "hint":
            return turn.say(f"Hint: {state['hint']} {_newest(turn, run_id)}".strip())
        return _explain(turn, "Here is what I see in it:")
    key_points = state["key_points"]
    covered = covered_points(text, key_points)
    passed = bool(key_points) and sum(covered) * 2 >= len(covered)
    if looks_like_question(text) and not passed:
        turn.answer_question(text, turn.context.curriculum.topics.get(state["topic"]))
        return turn.say(f"Back to your run: {state['question']}")
    turn.typed("answer")
    turn.kind["run"] = run_id
    if passed:
        level = "strong" if state["misses"] == 0 else "partial"
        turn.say("Yes, that is what the curve says." if level == "strong" else "Yes, now you have it.")
        _record(turn, level, f"Read their run {run_id} ({state['shape']}): “{_quote(text)}”")
        return _explain(turn, "To put it together:")
    state["misses"] += 1
    if state["misses"] < MISSES_BEFORE_EXPLAINING:
        return turn.say(f"Not quite. Hint: {state['hint']} {_newest(turn, run_id)}".strip())
    _record(turn, "needs_work", f"Could not yet read their run {run_id} ({state['shape']}): “{_quote(text)}”")
    _explain(turn, "Let me show you what I see:")


def _wrong_prediction(turn: Turn, run_id: str) -> str | None:
    """The scored outcome of the learner's prediction for this run, when it was wrong."""
    from dltui.labs.prediction import prediction_for

    prediction = prediction_for(turn.context, run_id)
    if prediction is None or prediction.scored_at is None:
        return None
    wrong = prediction.shape_right is False or prediction.value_right is False
    return prediction.outcome if wrong else None


def _explain(turn: Turn, lead: str) -> None:
    turn.say(lead)
    turn.say(turn.state["explanation"])
    turn.state["stage"] = "done"
    turn.say(
        "Change what you think matters and run it again (F4, **r**), then press **t** on the new run. "
        "Or type **next** for what to study next."
    )


def _record(turn: Turn, level: str, evidence: str) -> None:
    confidence = {"strong": 0.7, "partial": 0.6, "needs_work": 0.6}[level]
    turn.tool("record_assessment", topic_id=turn.state["topic"], level=level, confidence=confidence, evidence=evidence)


def _newest(turn: Turn, run_id: str) -> str:
    """For a run still going: its newest numbers, read again now."""
    from dltui.labs.run_record import read_run_record

    record = read_run_record(turn.context, run_id)
    if record is None or record.status != "running":
        return ""
    return f"(It is still running: {_progress(record)}; now {record.diagnosis.evidence}.)"


def _progress(record: RunRecord) -> str:
    return record.progress or record.status


def _params(params: dict[str, object]) -> str:
    shown = [f"{k}={v}" for k, v in sorted(params.items())][:6]
    return ", ".join(shown) if shown else "default settings"


def _quote(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
