"""The tutor's system prompt: CLAUDE.md and the curriculum index (stable, cached), then the
learner's context (current topic with each question's hint and key points, what the learner is
doing now in another area, mastery, gaps, today's numbers and what to study next as every
screen shows them, last notes, last lab run)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import col, select

from dltui.context import StudyContext
from dltui.curriculum import QuestionKind, Topic
from dltui.install import content_source
from dltui.store.models import KnowledgeGap, LabRun
from dltui.tutor.activity import LearnerActivity

FALLBACK_RULES = "You are a Socratic deep-learning tutor. Ask first, explain briefly, check understanding, cite sources."
NOTES_EXCERPT = 1500  # characters of the last session's notes given to the tutor


def tutor_rules() -> str:
    """CLAUDE.md: the checkout's own, or the copy the installed package carries (`dltui doctor` says which)."""
    path = content_source().rules_file
    return path.read_text(encoding="utf-8") if path.is_file() else FALLBACK_RULES


def curriculum_index(context: StudyContext) -> str:
    lines = ['# Curriculum (topic ids for the tools; "after:" lists a topic\'s prerequisites)']
    for domain in context.curriculum.domains.values():
        lines.append(f"{domain.id} {domain.title} ({domain.weight:.0%}):")
        lines += [
            f"  - {t.id}: {t.title}" + (f" (after: {', '.join(t.prerequisites)})" if t.prerequisites else "")
            for t in context.curriculum.topics_in(domain.id)
        ]
    return "\n".join(lines)


def system_blocks(context: StudyContext, topic_id: str | None, now: datetime | None = None) -> list[dict[str, Any]]:
    """System prompt blocks; the first is identical across turns and marked for prompt caching."""
    stable = f"{tutor_rules()}\n\n{curriculum_index(context)}"
    return [
        {"type": "text", "text": stable, "cache_control": {"type": "ephemeral"}},
        {"type": "text", "text": learner_context(context, topic_id, now)},
    ]


def learner_context(context: StudyContext, topic_id: str | None, now: datetime | None = None) -> str:
    from dltui.srs.mastery import topic_mastery
    from dltui.srs.recommend import study_next
    from dltui.srs.today import retention_label, today_counts

    parts = [f"# The learner today ({(now or datetime.now()).strftime('%Y-%m-%d')})"]
    topic = context.curriculum.topics.get(topic_id or "")
    if topic:
        parts.append(current_topic_part(context, topic))
    else:
        parts.append("## Current topic: none chosen yet (ask what the learner wants to study, or suggest one)")
    if context.activity is not None:
        parts.append(activity_part(context, context.activity))
    mastery = topic_mastery(context)
    started = [m for m in mastery.values() if m.state.value != "not_started"]
    if started:
        rows = [f"- {m.topic_id}: {m.percent}% ({m.label})" for m in sorted(started, key=lambda m: -m.fraction)]
        parts.append("## Mastery (started topics)\n" + "\n".join(rows))
    else:
        parts.append("## Mastery\nNothing studied yet: a new learner.")
    with context.store.read() as session:
        gaps = session.exec(select(KnowledgeGap).where(KnowledgeGap.resolved_at == None)).all()  # noqa: E711
        last_run = session.exec(select(LabRun).order_by(col(LabRun.started_at).desc()).limit(1)).first()
    if gaps:
        parts.append(
            "## Open knowledge gaps\n" + "\n".join(f"- gap {g.id} [{g.severity.value}] {g.topic_id}: {g.description}" for g in gaps)
        )
    today = today_counts(context)
    parts.append(
        f"## Review queue\n{today.due} cards due today; {today.done} answers today; retention (30 days): {retention_label(today)}."
    )
    suggestions = study_next(context, limit=3, mastery=mastery)
    if suggestions:
        parts.append(
            "## Study next (the app's suggestion, with its reason)\n"
            + "\n".join(f"- {s.topic.id}: {s.topic.title} — {s.reason}" for s in suggestions)
        )
    notes = last_session_notes(context)
    if notes:
        parts.append(f"## Notes from the last session (excerpt)\n{notes}")
    if last_run:
        parts.append(f"## Latest lab run\n{lab_run_summary(context, last_run)}")
    return "\n\n".join(parts)


def current_topic_part(context: StudyContext, topic: Topic) -> str:
    """The topic's explanation, prerequisites, sources, and each question with its hint and key points."""
    curriculum = context.curriculum
    needs = ", ".join(f"{p} ({curriculum.topics[p].title})" for p in topic.prerequisites if p in curriculum.topics)
    sources = "\n".join(f"- {s.title}: {s.url}" for s in topic.sources)
    questions = "\n".join(
        f"- [{'opener: ask this first, before explaining' if q.kind is QuestionKind.OPENER else 'check'}] {q.prompt}\n"
        f"  hint: {q.hint}\n  key points: {'; '.join(q.key_points)}"
        for q in topic.questions
    )
    return (
        f"## Current topic: {topic.title} ({topic.id})\n" + (f"Prerequisites: {needs}\n" if needs else "") + f"{topic.explanation}\n\n"
        f"Sources (prefer these when you cite, named as they are here):\n{sources}\n\n"
        "Questions from the curriculum. The key points are there to grade the learner's answer against, "
        "not to recite: say which points their answer has, nudge toward a missing one with the hint, and "
        "let them get there.\n"
        f"{questions}"
    )


RUN_RECORD_CHARS = 3000  # the run on screen, in every request while it is: curves at ~50 points


def activity_part(context: StudyContext, activity: LearnerActivity) -> str:
    """What the learner is doing outside the chat: the topic open, the card just failed, the run on screen."""
    title = "## What the learner is doing now\n"
    topic = context.curriculum.topics.get(activity.topic_id or "")
    named = f"{topic.title} ({topic.id})" if topic else (activity.topic_id or "an unknown topic")
    if activity.area == "review":
        return title + _failed_card_lines(context, activity, named)
    if activity.area == "labs":
        from dltui.labs.run_record import read_run_record

        # Read again for every request: a live run's newest epoch is in the next turn's context.
        record = read_run_record(context, activity.run_id or "")
        if record is None:
            return title + f"Looking at run {activity.run_id} in the Labs area (no record of it)."
        from dltui.labs.prediction import guess_text, prediction_for

        lines = [
            "Looking at a lab run in the Labs area, as its runner recorded it (quote only these numbers):",
            record.to_text(RUN_RECORD_CHARS),
        ]
        prediction = prediction_for(context, record.run_id)
        if prediction is not None:
            lines.append(
                f"Before it ran they predicted: {guess_text(prediction)}. "
                + (f"Scored: {prediction.outcome}" if prediction.outcome else "Not scored yet (still running).")
            )
        if activity.asked_about_run:
            lines.append(
                "They pressed t to talk about this run: open by naming the run and asking one question "
                "about what its curve shows (for example what the validation loss turning up means), "
                "before you explain anything. `read_lab_run` reads it again; `compare_runs` compares a sweep."
            )
        return title + "\n".join(lines)
    return title + f"Reading {named} in the Topics area; a question without a topic is probably about it."


def _failed_card_lines(context: StudyContext, activity: LearnerActivity, named: str) -> str:
    from dltui.srs.cards import card_content
    from dltui.store.models import CardState

    with context.store.read() as session:
        row = session.exec(select(CardState).where(CardState.card_key == activity.card_key)).first()
        content = card_content(row, context.curriculum) if row else None
    lines = [f"In Review they just failed a card on {named}."]
    if content is None:
        return lines[0] + " (The card is no longer in the deck.)"
    lines.append(f"Front: {content.front}")
    if activity.answer_given:
        lines.append(f"Their answer: {activity.answer_given}")
    lines.append(f"The card's answer: {content.back}")
    if content.why:
        lines.append(f"Why: {content.why}")
    if content.source:
        lines.append(f"Source: {content.source}")
    lines.append("If they ask why, start from their answer: ask how they got it before explaining.")
    return "\n".join(lines)


def last_session_notes(context: StudyContext) -> str | None:
    folders = sorted(p for p in context.settings.sessions_dir.glob("*/session-notes.md"))
    if not folders:
        return None
    text = folders[-1].read_text(encoding="utf-8")
    return text[-NOTES_EXCERPT:]


def lab_run_summary(context: StudyContext, run: LabRun) -> str:
    """Lab, status, final metrics and what its curve shows (the diagnosis `read_lab_run` gives), in a few lines."""
    from dltui.labs.run_record import read_run_record

    metrics = ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in run.final_metrics.items())
    lines = [f"{run.lab_id} run {run.id}: {run.status.value}; params {run.params}", f"final metrics: {metrics or 'none yet'}"]
    record = read_run_record(context, run.id)
    if record is not None:
        lines.append(f"curve: {record.diagnosis.shape.value}: {record.diagnosis.evidence}")
    return "\n".join(lines)
