"""Session notes, written for the learner at the end of every study session.

``data/sessions/YYYY-MM-DD/session-notes.md`` holds one section per session of that (local)
day, between ``<!-- session N -->`` markers, so writing a session again replaces its own section
and leaves the others. Everything is read back from the database for the session's time window:
nothing depends on the UI having kept state.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from fsrs import Rating
from sqlmodel import col, select

from dltui.srs.cards import card_content
from dltui.srs.recommend import study_next
from dltui.store.models import Assessment, CardState, KnowledgeGap, LabRun, Message, ReviewLog, StudySession
from dltui.store.types import utcnow


@dataclass
class SessionRecord:
    """What happened between two moments, gathered from the database."""

    session: StudySession
    questions: list[Message]
    first_knowledge: list[tuple[str, str, list[str]]]  # topic, the learner's opener answer, points covered
    checks: list[tuple[str, str, str]]  # question, the learner's answer, result
    assessments: list[Assessment]
    reviews: list[tuple[ReviewLog, str, str]]  # log, topic id, card front
    gaps_found: list[KnowledgeGap]
    gaps_resolved: list[KnowledgeGap]
    runs: list[LabRun]
    topics: list[str]


def gather(context, session: StudySession) -> SessionRecord:
    start, end = session.started_at, session.ended_at or utcnow()

    def within(column):
        return (column >= start) & (column <= end)

    with context.store.session() as db:
        messages = list(db.exec(select(Message).where(within(Message.created_at)).order_by(col(Message.id))))
        assessments = list(db.exec(select(Assessment).where(within(Assessment.created_at)).order_by(col(Assessment.id))))
        logs = list(db.exec(select(ReviewLog, CardState).join(CardState).where(within(ReviewLog.reviewed_at)).order_by(col(ReviewLog.id))))
        gaps_found = list(db.exec(select(KnowledgeGap).where(within(KnowledgeGap.created_at))))
        gaps_resolved = list(db.exec(select(KnowledgeGap).where(KnowledgeGap.resolved_at != None, within(KnowledgeGap.resolved_at))))  # noqa: E711
        runs = list(db.exec(select(LabRun).where(within(LabRun.started_at)).order_by(col(LabRun.started_at))))
    reviews = []
    for log, card in logs:
        content = card_content(card, context.curriculum)
        reviews.append((log, card.topic_id, content.front if content else card.card_key))
    first_knowledge, checks = _dialogue(context, messages)
    topics: list[str] = []
    for topic_id in [a.topic_id for a in assessments] + [t for _, t, _ in reviews] + [g.topic_id for g in gaps_found] + [
        t for t, _, _ in first_knowledge
    ]:
        if topic_id not in topics:
            topics.append(topic_id)
    for run in runs:
        for topic in context.curriculum.topics.values():
            if run.lab_id in topic.labs and topic.id not in topics:
                topics.append(topic.id)
    return SessionRecord(
        session, [m for m in messages if m.role == "user"], first_knowledge, checks, assessments, reviews,
        gaps_found, gaps_resolved, runs, topics,
    )


def _dialogue(context, messages: list[Message]):
    """The opener answers and check questions with the learner's answers, from the chat."""
    first_knowledge, checks = [], []
    by_conversation: dict[int, list[Message]] = {}
    for message in messages:
        by_conversation.setdefault(message.conversation_id, []).append(message)
    for thread in by_conversation.values():
        for index, message in enumerate(thread):
            if message.role != "assistant":
                continue
            state = message.meta.get("offline") or {}
            knew = state.get("knew_at_first")
            if knew and not any(k[1] == knew["answer"] for k in first_knowledge):
                first_knowledge.append((state.get("topic", ""), knew["answer"], knew.get("covered", [])))
            question = _last_question(message.content)
            answer = next((m.content for m in thread[index + 1 :] if m.role == "user"), None)
            if question and answer and state.get("stage") != "opener":  # openers are shown above
                checks.append((question, answer, ""))
        for message in thread:
            for entry in (message.meta.get("offline") or {}).get("answers", {}).values():
                for position, (question, answer, _) in enumerate(checks):
                    if answer == entry["answer"]:
                        checks[position] = (question, answer, entry["result"].replace("_", " "))
    return first_knowledge, checks


def _last_question(text: str) -> str | None:
    sentences = re.findall(r"[^.!?\n]*\?", text)
    return sentences[-1].strip(" *") if sentences else None


def render(context, record: SessionRecord) -> str:
    session = record.session
    local_start = session.started_at.astimezone()
    end = (session.ended_at or utcnow()).astimezone()
    title = context.curriculum.topics
    lines = [
        f"<!-- session {session.id} -->",
        f"## Session {session.id}: {local_start:%H:%M}–{end:%H:%M} ({session.entry})",
        "",
        "**Topics studied:** " + (", ".join(title[t].title for t in record.topics if t in title) or "none"),
        "",
    ]

    def section(heading: str, rows: list[str]) -> None:
        if rows:
            lines.extend([f"### {heading}", "", *rows, ""])

    answers = {a for _, a, _ in record.first_knowledge} | {a for _, a, _ in record.checks}
    section("Your questions", [f"> {m.content}" for m in record.questions if m.content not in answers])
    section(
        "What you knew at first",
        [f"- {title[t].title if t in title else t}: “{a}”" + (f" (covered: {'; '.join(c)})" if c else "") for t, a, c in record.first_knowledge],
    )
    section("Check questions", [f"- **{q}** — you said: “{a}”" + (f" ({r})" if r else "") for q, a, r in record.checks])
    section(
        "Assessments",
        [f"- {title[a.topic_id].title if a.topic_id in title else a.topic_id}: {a.level.value.replace('_', ' ')} "
         f"(confidence {a.confidence:.0%}, {a.assessor}) — {a.evidence}" for a in record.assessments],
    )
    section("Cards reviewed", [f"- {Rating(log.rating).name} · {front} ({topic})" for log, topic, front in record.reviews])
    section("Gaps found", [f"- [{g.severity.value}] {g.topic_id}: {g.description}" for g in record.gaps_found])
    section("Gaps resolved", [f"- {g.topic_id}: {g.description} — {g.resolution}" for g in record.gaps_resolved])
    section("Labs run", [f"- {r.lab_id} ({r.id}): {r.status.value}" + (" — passed" if r.passed else "") + _metrics(r) for r in record.runs])
    section("Study next", [f"- {s.topic.title}: {s.reason}" for s in study_next(context, limit=3)])
    lines.append(f"<!-- /session {session.id} -->")
    return "\n".join(lines) + "\n"


def _metrics(run: LabRun) -> str:
    shown = [f"{k} {v:.4g}" for k, v in run.final_metrics.items() if isinstance(v, (int, float))][:4]
    return f" ({', '.join(shown)})" if shown else ""


def notes_path(context, session: StudySession) -> Path:
    day = session.started_at.astimezone().strftime("%Y-%m-%d")
    return context.settings.sessions_dir / day / "session-notes.md"


def write_session_notes(context, session: StudySession) -> Path:
    """Write (or rewrite) this session's section of the day's notes file."""
    path = notes_path(context, session)
    path.parent.mkdir(parents=True, exist_ok=True)
    section = render(context, gather(context, session))
    existing = path.read_text(encoding="utf-8") if path.exists() else f"# Study notes — {path.parent.name}\n\n"
    pattern = re.compile(rf"<!-- session {session.id} -->.*?<!-- /session {session.id} -->\n", re.DOTALL)
    text = pattern.sub(lambda _: section, existing) if pattern.search(existing) else existing + section + "\n"
    path.write_text(text, encoding="utf-8")
    return path


def sessions_between(context, start: datetime | None = None) -> list[StudySession]:
    with context.store.session() as db:
        query = select(StudySession).order_by(col(StudySession.started_at))
        if start is not None:
            query = query.where(StudySession.started_at >= start)
        return list(db.exec(query))
