"""The tutor's tools: the only things a tutor (Claude or offline) can do to the learner's records.

Every tool validates its arguments and touches nothing but assessments, gaps, review cards,
progress reads and reading the learner's lab runs. None of them runs commands or writes files. Bad arguments and unknown tools come
back as an error result for the model to correct, never as an exception.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from sqlmodel import Session, select

from dltui.context import StudyContext
from dltui.curriculum import Topic
from dltui.store.models import Assessment, AssessmentLevel, GapSeverity, KnowledgeGap, TopicProgress
from dltui.store.types import row_id, utcnow
from dltui.terminal_text import terminal_safe

if TYPE_CHECKING:  # the SDK's own type for a tool definition; importing it at run time costs the UI's start
    from anthropic.types import ToolParam

MAX_TEXT = 2000  # longest free text a tool accepts (evidence, card text)
MAX_RUN_TEXT = 6000  # a run record for the model: curves and output, bounded (about 1.5k tokens)

_TOPIC = {"type": "string", "description": "curriculum topic id, e.g. 'backpropagation'"}

TOOL_DEFINITIONS: list[ToolParam] = [
    {
        "name": "record_assessment",
        "description": "Record how well the learner understands a topic, from what they just showed.",
        "input_schema": {
            "type": "object",
            "properties": {
                "topic_id": _TOPIC,
                "level": {"type": "string", "enum": ["strong", "partial", "needs_work"]},
                "confidence": {"type": "number", "minimum": 0, "maximum": 1},
                "evidence": {"type": "string", "description": "one sentence: what the learner said or did"},
            },
            "required": ["topic_id", "level", "confidence", "evidence"],
        },
    },
    {
        "name": "log_gap",
        "description": "Log a specific misconception or missing piece of knowledge.",
        "input_schema": {
            "type": "object",
            "properties": {
                "topic_id": _TOPIC,
                "description": {"type": "string"},
                "severity": {"type": "string", "enum": ["high", "medium", "low"]},
            },
            "required": ["topic_id", "description", "severity"],
        },
    },
    {
        "name": "resolve_gap",
        "description": "Mark a knowledge gap as resolved once the learner has shown they fixed it.",
        "input_schema": {
            "type": "object",
            "properties": {"gap_id": {"type": "integer"}, "resolution": {"type": "string"}},
            "required": ["gap_id", "resolution"],
        },
    },
    {
        "name": "add_review_card",
        "description": "Add a flashcard to the learner's spaced-repetition queue.",
        "input_schema": {
            "type": "object",
            "properties": {
                "topic_id": _TOPIC,
                "front": {"type": "string"},
                "back": {"type": "string"},
                "source": {"type": "string", "description": "book chapter, paper, lecture or doc"},
            },
            "required": ["topic_id", "front", "back", "source"],
        },
    },
    {
        "name": "read_progress",
        "description": "Read the learner's mastery per topic, open gaps and cards due.",
        "input_schema": {"type": "object", "properties": {"topic_id": _TOPIC}},
    },
    {
        "name": "suggest_next_topic",
        "description": "Suggest what the learner should study next, with reasons.",
        "input_schema": {"type": "object", "properties": {}},
    },
    {
        "name": "read_lab_run",
        "description": (
            "Read one of the learner's lab runs as the runner recorded it: lab, parameters, status, "
            "the loss and accuracy curves (at most 50 points each, with step and epoch), checkpoints, "
            "the last lines of its output, the lab's topics and a rule-based diagnosis of the curve. "
            "Read-only. Quote numbers only from this record."
        ),
        "input_schema": {
            "type": "object",
            "properties": {"run_id": {"type": "string", "description": "the exact run id"}},
            "required": ["run_id"],
        },
    },
    {
        "name": "compare_runs",
        "description": "Compare several lab runs (a sweep): the parameters that differ, final loss and curve shape. Read-only.",
        "input_schema": {
            "type": "object",
            "properties": {"run_ids": {"type": "array", "items": {"type": "string"}, "minItems": 2, "maxItems": 8}},
            "required": ["run_ids"],
        },
    },
    {
        "name": "start_quiz",
        "description": "Open a short quiz on one topic in the Review area.",
        "input_schema": {"type": "object", "properties": {"topic_id": _TOPIC}, "required": ["topic_id"]},
    },
]


@dataclass(frozen=True)
class ToolOutcome:
    content: str  # what the model reads
    is_error: bool
    line: str  # the short line the learner sees in the chat
    made: dict[str, int] = field(default_factory=dict)  # records it wrote ({"assessment": id}, ...), so a retry can undo them


class ToolInputError(ValueError):
    pass


class ToolBox:
    """Runs tool calls for one conversation. ``on_quiz`` lets the UI open a quiz when asked."""

    def __init__(
        self,
        context: StudyContext,
        conversation_id: int | None = None,
        assessor: str = "claude",
        on_quiz: Callable[[str], None] | None = None,
    ):
        self.context = context
        self.conversation_id = conversation_id
        self.assessor = assessor
        self.on_quiz = on_quiz
        self.last_topic: str | None = None  # the topic the tutor last assessed or found a gap in

    def run(self, name: str, arguments: object, bad_input: str | None = None) -> ToolOutcome:
        """Run one tool call; never raises: whatever goes wrong comes back as an error result.

        ``bad_input`` says why the call's input could not be parsed at all (the model sees it).
        The learner's line is made terminal-safe: it quotes the model's words.
        """
        outcome = self._run(name, arguments, bad_input)
        return replace(outcome, line=terminal_safe(outcome.line))

    def _run(self, name: str, arguments: object, bad_input: str | None) -> ToolOutcome:
        handler: Callable[..., ToolOutcome] | None = getattr(self, f"_tool_{name}", None)
        if handler is None or name not in {t["name"] for t in TOOL_DEFINITIONS}:
            return ToolOutcome(f"unknown tool {name!r}", True, f"⚠ unknown tool {name}")
        if bad_input is not None:
            return ToolOutcome(f"error: {bad_input}", True, f"⚠ {name}: bad arguments")
        if not isinstance(arguments, dict):
            return ToolOutcome("arguments must be a JSON object", True, f"⚠ {name}: bad arguments")
        try:
            return handler(**_known(arguments, name))
        except ToolInputError as err:
            return ToolOutcome(f"error: {err}", True, f"⚠ {name}: {err}")
        except TypeError as err:  # missing required argument
            return ToolOutcome(f"error: {err}", True, f"⚠ {name}: {err}")
        except Exception as err:  # noqa: BLE001 - a hostile argument must not end the learner's turn
            return ToolOutcome(f"error: the tool failed ({type(err).__name__}: {str(err)[:200]})", True, f"⚠ {name} failed")

    # --- tools -------------------------------------------------------------------------------

    def _tool_record_assessment(self, topic_id: object, level: object, confidence: object, evidence: object) -> ToolOutcome:
        topic = self._topic(topic_id)
        try:
            known_level = AssessmentLevel(level)
        except ValueError:
            raise ToolInputError("level must be strong, partial or needs_work") from None
        fraction = _fraction(confidence, "confidence")
        with self.context.store.session() as session:
            assessment = Assessment(
                topic_id=topic.id,
                level=known_level,
                confidence=fraction,
                evidence=_text(evidence, "evidence"),
                assessor=self.assessor,
                conversation_id=self.conversation_id,
                session_id=self.context.session_id,
            )
            session.add(assessment)
            _touch_progress(session, topic.id)
            session.flush()
            made = {"assessment": row_id(assessment)}
        self.last_topic = topic.id
        label = known_level.value.replace("_", " ")
        return ToolOutcome(f"recorded: {topic.id} {known_level.value}", False, f"✎ assessed {topic.title}: {label}", made)

    def _tool_log_gap(self, topic_id: object, description: object, severity: object) -> ToolOutcome:
        topic = self._topic(topic_id)
        try:
            known_severity = GapSeverity(str(severity).lower())
        except ValueError:
            raise ToolInputError("severity must be high, medium or low") from None
        with self.context.store.session() as session:
            gap = KnowledgeGap(
                topic_id=topic.id,
                description=_text(description, "description"),
                severity=known_severity,
                session_id=self.context.session_id,
            )
            session.add(gap)
            session.flush()
            gap_id = row_id(gap)
        self.last_topic = topic.id
        line = f"⚑ gap in {topic.title} ({known_severity.value}): {gap.description}"
        return ToolOutcome(f"gap {gap_id} logged", False, line, {"gap": gap_id})

    def _tool_resolve_gap(self, gap_id: object, resolution: object) -> ToolOutcome:
        if isinstance(gap_id, bool) or not isinstance(gap_id, int):
            raise ToolInputError("gap_id must be an integer")
        if not 0 < gap_id < 2**63:  # beyond SQLite's integers: no such row, and no OverflowError
            raise ToolInputError(f"no gap with id {gap_id}")
        with self.context.store.session() as session:
            gap = session.get(KnowledgeGap, gap_id)
            if gap is None:
                raise ToolInputError(f"no gap with id {gap_id}")
            if gap.resolved_at is not None:
                return ToolOutcome(f"gap {gap_id} was already resolved", False, f"✓ gap {gap_id} already resolved")
            gap.resolved_at = utcnow()
            gap.resolution = _text(resolution, "resolution")
            gap.resolved_session_id = self.context.session_id
            session.add(gap)
        return ToolOutcome(f"gap {gap_id} resolved", False, f"✓ gap resolved: {gap.description}", {"resolved_gap": gap_id})

    def _tool_add_review_card(self, topic_id: object, front: object, back: object, source: object) -> ToolOutcome:
        from dltui.srs.cards import CardError, add_card

        topic = self._topic(topic_id)
        try:
            card_id = add_card(self.context, topic.id, _text(front, "front"), _text(back, "back"), _text(source, "source"))
        except CardError as err:
            raise ToolInputError(str(err)) from None
        return ToolOutcome(f"card {card_id} added to the review queue", False, f"+ review card for {topic.title}: {front}")

    def _tool_read_progress(self, topic_id: object = None) -> ToolOutcome:
        from dltui.srs.mastery import topic_mastery

        chosen = self._topic(topic_id).id if topic_id else None
        topics = [chosen] if chosen else None
        mastery = topic_mastery(self.context, topics=topics)
        with self.context.store.read() as session:
            query = select(KnowledgeGap).where(KnowledgeGap.resolved_at == None)  # noqa: E711
            if chosen:
                query = query.where(KnowledgeGap.topic_id == chosen)
            gaps = [
                {"id": g.id, "topic_id": g.topic_id, "severity": g.severity.value, "description": g.description}
                for g in session.exec(query)
            ]
        started = {k: v for k, v in mastery.items() if chosen or v.state.value != "not_started"}
        report = {
            "mastery": {k: {"percent": v.percent, "state": v.state.value} for k, v in started.items()},
            "not_started": sum(v.state.value == "not_started" for v in mastery.values()) if not chosen else None,
            "open_gaps": gaps,
            "cards_due_today": _due_today(self.context),
        }
        return ToolOutcome(json.dumps(report), False, "· read progress")

    def _tool_suggest_next_topic(self) -> ToolOutcome:
        from dltui.srs.recommend import study_next

        suggestions = study_next(self.context, limit=3)
        report = [{"topic_id": s.topic.id, "title": s.topic.title, "why": s.reason} for s in suggestions]
        first = suggestions[0].topic.title if suggestions else "nothing left"
        return ToolOutcome(json.dumps(report), False, f"· suggested next: {first}")

    def _tool_read_lab_run(self, run_id: object) -> ToolOutcome:
        from dltui.labs.run_record import read_run_record

        record = read_run_record(self.context, _run_id(run_id))
        if record is None:
            raise ToolInputError(f"no run with id {run_id!r}; ask the learner which run, or read_progress")
        return ToolOutcome(record.to_text(MAX_RUN_TEXT), False, f"· read run {record.run_id} ({record.lab_id})")

    def _tool_compare_runs(self, run_ids: object) -> ToolOutcome:
        from dltui.labs.records import get_run
        from dltui.labs.run_record import compare_runs_text

        if not isinstance(run_ids, list) or not 2 <= len(run_ids) <= 8:
            raise ToolInputError("run_ids must be a list of 2 to 8 run ids")
        ids = [_run_id(run_id) for run_id in run_ids]
        missing = [run_id for run_id in ids if get_run(self.context.store, run_id) is None]
        if missing:
            raise ToolInputError(f"no run with id {', '.join(map(repr, missing))}")
        return ToolOutcome(compare_runs_text(self.context, ids, MAX_RUN_TEXT), False, f"· compared {len(ids)} runs")

    def _tool_start_quiz(self, topic_id: object) -> ToolOutcome:
        topic = self._topic(topic_id)
        if self.on_quiz is None:
            return ToolOutcome("quizzes cannot be opened here; ask the learner to run `dltui quiz`", True, "⚠ no quiz here")
        self.on_quiz(topic.id)
        return ToolOutcome(f"quiz on {topic.id} opened in the Review area", False, f"? quiz opened: {topic.title}")

    # --- argument checks ---------------------------------------------------------------------

    def _topic(self, topic_id: object) -> Topic:
        if not isinstance(topic_id, str):
            raise ToolInputError("topic_id must be a string")
        topic = self.context.curriculum.topic_by_id_or_code(topic_id)
        if topic is None:
            close = ", ".join(f"{t.id} ({t.code} {t.title})" for t in _close_topics(self.context, topic_id))
            hint = f"did you mean: {close}" if close else "use a topic id from the curriculum index"
            raise ToolInputError(f"unknown topic_id {topic_id!r}; {hint}")
        return topic


def _close_topics(context: StudyContext, text: str, limit: int = 3) -> list[Topic]:
    """Topics the model may have meant: similar ids, then titles sharing a word (at most ``limit``)."""
    import difflib

    topics = context.curriculum.topics
    needle = text.strip().lower()
    ids = [t.id for t in context.curriculum.topics_in(needle.upper())]  # "e": the model may mean domain E
    ids += difflib.get_close_matches(needle.replace(" ", "-"), list(topics), n=limit, cutoff=0.6)
    said = set(needle.replace("-", " ").split())
    ids += [
        t.id
        for t in topics.values()
        if len(needle) > 2 and (needle in t.id or said & set(t.title.lower().split()) - {"and", "of", "the", "a"})
    ]
    return [topics[i] for i in dict.fromkeys(ids)][:limit]


def _run_id(value: object) -> str:
    """A run id as the runner makes them (letters, digits, - and _): exact, never a pattern."""
    if not isinstance(value, str) or not value or len(value) > 100 or not all(c.isalnum() or c in "-_." for c in value):
        raise ToolInputError("run_id must be an exact run id, e.g. as read_progress or the chat context names it")
    return value


def _known(arguments: dict[str, object], name: str) -> dict[str, object]:
    definition = next(t for t in TOOL_DEFINITIONS if t["name"] == name)
    allowed = definition["input_schema"].get("properties")
    if not isinstance(allowed, dict):  # the SDK's type allows a schema without properties; ours all have them
        allowed = {}
    unknown = set(arguments) - set(allowed)
    if unknown:
        raise TypeError(f"unexpected argument(s): {', '.join(sorted(unknown))}")
    return arguments


def _text(value: object, field: str) -> str:
    """Free text from the model, as it will be stored and later printed (escape sequences removed)."""
    if not isinstance(value, str) or not value.strip():
        raise ToolInputError(f"{field} must be non-empty text")
    if len(value) > MAX_TEXT:
        raise ToolInputError(f"{field} is longer than {MAX_TEXT} characters")
    value = terminal_safe(value).strip()
    if not value:
        raise ToolInputError(f"{field} must be non-empty text")
    return value


def _fraction(value: object, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise ToolInputError(f"{field} must be a number from 0 to 1")
    return float(value)


def _touch_progress(session: Session, topic_id: str) -> None:
    now = utcnow()
    progress = session.get(TopicProgress, topic_id) or TopicProgress(topic_id=topic_id, started_at=now)
    progress.last_studied_at = now
    session.add(progress)


def _due_today(context: StudyContext) -> int:
    from dltui.srs.today import today_counts  # the "due today" every screen shows

    return today_counts(context).due
