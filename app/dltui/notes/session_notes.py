"""Session notes, written for the learner whenever a process leaves a study session.

``data/sessions/YYYY-MM-DD/session-notes.md`` holds one section per session begun that (local)
day, between ``<!-- session N -->`` markers, so writing a session again replaces its own section
and leaves the others. Everything is read back from the database by session id (every event is
filed under its session when written), so two processes in one session, or a restart, never
make an answer count twice, and nothing depends on the UI having kept state.

The learner's chat turns are typed when stored (``meta["turn"]``: question, answer, command,
hint_request; Claude chats: question or message; ``meta["check"]`` the index of the question
answered, ``meta["topic"]`` its topic). For older rows without a type, a message ending in "?"
is a question, and an answer is recognised from the offline tutor's state before it.
"""

from __future__ import annotations

import fcntl
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from fsrs import Rating
from sqlmodel import col, select

from dltui.curriculum.model import Topic
from dltui.labs.prediction import guess_text
from dltui.srs.cards import card_content
from dltui.srs.days import StudyClock
from dltui.srs.recommend import study_next
from dltui.store.models import (
    Assessment,
    CardState,
    Conversation,
    KnowledgeGap,
    LabRun,
    Message,
    Prediction,
    ReviewLog,
    StudySession,
)
from dltui.store.types import utcnow
from dltui.terminal_text import terminal_safe

if TYPE_CHECKING:
    from dltui.context import StudyContext
    from dltui.tutor.reply import TutorState

COMMANDS = {"hint", "skip", "explain", "quiz", "next", "help"}
TOPIC_COMMAND = re.compile(r"^/?topic\s+.+$", re.IGNORECASE)
FirstKnowledge = list[tuple[str, str, list[str]]]  # topic, the learner's opener answer, points covered


@dataclass
class CheckAnswer:
    topic_id: str
    question_index: int
    prompt: str
    answer: str  # the answer the verdict is about (the last one given)
    result: str  # first try | with hint | missed | skipped
    earlier: list[str] = field(default_factory=list)  # earlier attempts at the same question


@dataclass
class SessionRecord:
    """Everything filed under one study session, gathered from the database."""

    session: StudySession
    questions: list[Message]
    first_knowledge: FirstKnowledge
    checks: list[CheckAnswer]
    assessments: list[Assessment]
    reviews: list[tuple[ReviewLog, str, str]]  # log, topic id, card front
    gaps_found: list[KnowledgeGap]
    gaps_resolved: list[KnowledgeGap]
    runs: list[LabRun]
    topics: list[str]  # exactly the topics touched, in curriculum order
    predictions: list[Prediction] = field(default_factory=list)  # of runs launched in the session


def learner_turn(message: Message) -> str | None:
    """What a learner's message was: its stored type, or for older rows "question" if it asks one."""
    turn = (message.meta or {}).get("turn")
    if isinstance(turn, str):
        return turn
    return "question" if message.content.strip().endswith("?") else None


def gather(context: StudyContext, session: StudySession) -> SessionRecord:
    sid = session.id
    with context.store.read() as db:
        messages = list(db.exec(select(Message).where(Message.session_id == sid).order_by(col(Message.id))))
        assessments = list(db.exec(select(Assessment).where(Assessment.session_id == sid).order_by(col(Assessment.id))))
        logs = list(db.exec(select(ReviewLog, CardState).join(CardState).where(ReviewLog.session_id == sid).order_by(col(ReviewLog.id))))
        gaps_found = list(db.exec(select(KnowledgeGap).where(KnowledgeGap.session_id == sid).order_by(col(KnowledgeGap.id))))
        gaps_resolved = list(db.exec(select(KnowledgeGap).where(KnowledgeGap.resolved_session_id == sid).order_by(col(KnowledgeGap.id))))
        runs = list(db.exec(select(LabRun).where(LabRun.session_id == sid).order_by(col(LabRun.started_at))))
        predictions = list(db.exec(select(Prediction).where(Prediction.session_id == sid).order_by(col(Prediction.id))))
        conversations = {m.conversation_id for m in messages}
        claude_topics = [
            c.topic_id
            for c in db.exec(select(Conversation).where(col(Conversation.id).in_(conversations)))
            if c.tutor != "offline" and c.topic_id
        ]
    reviews = []
    for log, card in logs:
        content = card_content(card, context.curriculum)
        reviews.append((log, card.topic_id, content.front if content else card.card_key))
    first_knowledge, checks, chat_topics = _dialogue(context, messages)
    touched = (
        {a.topic_id for a in assessments}
        | {t for _, t, _ in reviews}
        | {g.topic_id for g in gaps_found + gaps_resolved}
        | chat_topics
        | set(claude_topics)
    )
    return SessionRecord(
        session=session,
        questions=[m for m in messages if m.role == "user" and learner_turn(m) == "question"],
        first_knowledge=first_knowledge,
        checks=checks,
        assessments=assessments,
        reviews=reviews,
        gaps_found=gaps_found,
        gaps_resolved=gaps_resolved,
        runs=runs,
        topics=[t for t in context.curriculum.topics if t in touched],
        predictions=predictions,
    )


def _dialogue(context: StudyContext, messages: list[Message]) -> tuple[FirstKnowledge, list[CheckAnswer], set[str]]:
    """Opener answers, each check question with its own answer, and the topics the chat taught."""
    topics = context.curriculum.topics
    first_knowledge: FirstKnowledge = []
    checks: dict[tuple[str, int], CheckAnswer] = {}
    attempts: dict[tuple[str, int], list[str]] = {}
    taught: set[str] = set()
    threads: dict[int, list[Message]] = {}
    for message in messages:
        threads.setdefault(message.conversation_id, []).append(message)
    for thread in threads.values():
        state: TutorState = {}  # the offline tutor's state as of the message being read
        for message in thread:
            if message.role == "assistant":
                state = (message.meta or {}).get("offline") or state
                _read_state(topics, state, first_knowledge, checks, taught)
            elif message.role == "user":
                key = _answered_check(message, state)
                if key is not None:
                    attempts.setdefault(key, []).append(message.content.strip())
                if isinstance((message.meta or {}).get("topic"), str) and message.meta["topic"] in topics:
                    taught.add(message.meta["topic"])
    for key, check in checks.items():
        check.earlier = [a for a in dict.fromkeys(attempts.get(key, [])) if a != check.answer]
    order = list(topics)
    ordered = sorted(checks.values(), key=lambda c: (order.index(c.topic_id) if c.topic_id in topics else len(order), c.question_index))
    return first_knowledge, ordered, taught


def _read_state(
    topics: dict[str, Topic],
    state: TutorState,
    first_knowledge: FirstKnowledge,
    checks: dict[tuple[str, int], CheckAnswer],
    taught: set[str],
) -> None:
    topic = topics.get(state.get("topic") or "")
    if topic is None:
        return
    if state.get("stage") != "choose":
        taught.add(topic.id)
    knew = state.get("knew_at_first")
    if knew and not any(k[0] == topic.id and k[1] == knew["answer"] for k in first_knowledge):
        first_knowledge.append((topic.id, knew["answer"], knew.get("covered", [])))
    index = {q.id: i for i, q in enumerate(topic.questions)}
    for question_id, entry in (state.get("answers") or {}).items():
        if question_id in index:
            checks[(topic.id, index[question_id])] = CheckAnswer(
                topic.id, index[question_id], entry["prompt"], entry["answer"].strip(), entry["result"].replace("_", " ")
            )


def _answered_check(message: Message, state: TutorState) -> tuple[str, int] | None:
    """Which check question this learner message answered, if it answered one."""
    meta = message.meta or {}
    if "turn" in meta:
        if meta["turn"] == "answer" and isinstance(meta.get("check"), int) and isinstance(meta.get("topic"), str):
            return meta["topic"], meta["check"]
        return None
    text = message.content.strip()
    if state.get("stage") != "check" or text.lower().strip(" .!") in COMMANDS or TOPIC_COMMAND.match(text):
        return None
    try:
        return state["topic"], state["checks"][state["position"]]
    except (KeyError, IndexError, TypeError):
        return None


def render(context: StudyContext, record: SessionRecord) -> str:
    session = record.session
    local_start = session.started_at.astimezone()
    end = (session.ended_at or session.last_seen_at or utcnow()).astimezone()
    title = {t.id: t.title for t in context.curriculum.topics.values()}
    lines = [
        f"<!-- session {session.id} -->",
        f"## Session {session.id}: {local_start:%H:%M}–{end:%H:%M} ({session.entry})",
        "",
        "**Topics studied:** " + (", ".join(title[t] for t in record.topics) or "none"),
        "",
    ]

    def section(heading: str, rows: list[str]) -> None:
        if rows:
            lines.extend([f"### {heading}", "", *rows, ""])

    section("Your questions", [f"> {m.content.strip()}" for m in record.questions])
    section(
        "What you knew at first",
        [f"- {title.get(t, t)}: “{a}”" + (f" (covered: {'; '.join(c)})" if c else "") for t, a, c in record.first_knowledge],
    )
    section("Check questions", [_check_line(c) for c in record.checks])
    section("Assessments", [_assessment_line(a, title) for a in record.assessments])
    section("Cards reviewed", [f"- {Rating(log.rating).name} · {front} ({topic})" for log, topic, front in record.reviews])
    section("Gaps found", [f"- [{g.severity.value}] {g.topic_id}: {g.description}" for g in record.gaps_found])
    section("Gaps resolved", [f"- {g.topic_id}: {g.description} — {g.resolution}" for g in record.gaps_resolved])
    section(
        "Labs run", [f"- {r.lab_name} ({r.id}): {r.status.value}" + (" — passed" if r.passed else "") + _metrics(r) for r in record.runs]
    )
    section("Predictions", [_prediction_line(p) for p in record.predictions])
    section("Study next", [f"- {s.topic.title}: {s.reason}" for s in study_next(context, limit=3)])
    lines.append(f"<!-- /session {session.id} -->")
    return "\n".join(lines) + "\n"


def _check_line(check: CheckAnswer) -> str:
    earlier = f"; first you said “{check.earlier[0]}”" if check.earlier else ""
    return f"- **{check.prompt}** — you said: “{check.answer}” ({check.result}{earlier})"


def _assessment_line(assessment: Assessment, title: dict[str, str]) -> str:
    name = title.get(assessment.topic_id, assessment.topic_id)
    if assessment.assessor == "lab":  # exercise credit, not a judgement of the learner (see srs.mastery)
        return f"- {name}: exercise check passed — {assessment.evidence}"
    return (
        f"- {name}: {assessment.level.value.replace('_', ' ')} "
        f"(confidence {assessment.confidence:.0%}, {assessment.assessor}) — {assessment.evidence}"
    )


def _prediction_line(prediction: Prediction) -> str:
    outcome = prediction.outcome or "waiting for the run to end"
    return f"- {prediction.lab_id} ({prediction.run_id}): predicted {guess_text(prediction)} — {outcome}"


def _metrics(run: LabRun) -> str:
    shown = [f"{k} {v:.4g}" for k, v in run.final_metrics.items() if isinstance(v, (int, float)) and not isinstance(v, bool)][:4]
    return f" ({', '.join(shown)})" if shown else ""


def notes_path(context: StudyContext, session: StudySession) -> Path:
    """Notes are filed under the study day the session began on (a session from 23:30 to 00:30
    belongs to one day, as its reviews do)."""
    day = StudyClock.for_settings(context.settings).date_of(session.started_at)
    return context.settings.sessions_dir / day.isoformat() / "session-notes.md"


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Two processes of one session may write the day's file at once: they take turns. The lock
    file stays (removing it would race the other writer); hidden, the folder shows the notes alone."""
    with open(path.with_name(f".{path.name}.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def write_session_notes(context: StudyContext, session: StudySession) -> Path:
    """Write (or rewrite) this session's section of the day's notes file."""
    path = notes_path(context, session)
    path.parent.mkdir(parents=True, exist_ok=True)
    section = terminal_safe(render(context, gather(context, session)))  # quotes the model and labs
    pattern = re.compile(rf"<!-- session {session.id} -->.*?<!-- /session {session.id} -->\n", re.DOTALL)
    with _locked(path):
        existing = path.read_text(encoding="utf-8") if path.exists() else f"# Study notes — {path.parent.name}\n\n"
        text = pattern.sub(lambda _: section, existing) if pattern.search(existing) else existing + section + "\n"
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(path)  # a reader never sees half a file
    return path


def sessions_between(context: StudyContext, start: datetime | None = None) -> list[StudySession]:
    with context.store.read() as db:
        query = select(StudySession).order_by(col(StudySession.started_at))
        if start is not None:
            query = query.where(StudySession.started_at >= start)
        return list(db.exec(query))
