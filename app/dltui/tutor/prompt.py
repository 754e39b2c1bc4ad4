"""The tutor's system prompt: CLAUDE.md and the curriculum index (stable, cached), then the
learner's context (current topic, mastery, gaps, due cards, last notes, last lab run)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, select

from dltui.context import StudyContext
from dltui.settings import project_root
from dltui.store.models import KnowledgeGap, LabRun

FALLBACK_RULES = "You are a Socratic deep-learning tutor. Ask first, explain briefly, check understanding, cite sources."
NOTES_EXCERPT = 1500  # characters of the last session's notes given to the tutor


def tutor_rules() -> str:
    """CLAUDE.md from the project folder (the same file a coding assistant reads)."""
    root = project_root()
    path = root / "CLAUDE.md" if root else None
    return path.read_text(encoding="utf-8") if path and path.exists() else FALLBACK_RULES


def curriculum_index(context: StudyContext) -> str:
    lines = ["# Curriculum (topic ids for the tools)"]
    for domain in context.curriculum.domains.values():
        lines.append(f"{domain.id} {domain.title} ({domain.weight:.0%}):")
        lines += [f"  - {t.id}: {t.title}" for t in context.curriculum.topics_in(domain.id)]
    return "\n".join(lines)


def system_blocks(context: StudyContext, topic_id: str | None, now: datetime | None = None) -> list[dict]:
    """System prompt blocks; the first is identical across turns and marked for prompt caching."""
    stable = f"{tutor_rules()}\n\n{curriculum_index(context)}"
    return [
        {"type": "text", "text": stable, "cache_control": {"type": "ephemeral"}},
        {"type": "text", "text": learner_context(context, topic_id, now)},
    ]


def learner_context(context: StudyContext, topic_id: str | None, now: datetime | None = None) -> str:
    from dltui.srs.mastery import topic_mastery
    from dltui.srs.queue import ReviewQueue

    parts = [f"# The learner today ({(now or datetime.now()).strftime('%Y-%m-%d')})"]
    topic = context.curriculum.topics.get(topic_id or "")
    if topic:
        sources = "\n".join(f"- {s.title}: {s.url}" for s in topic.sources)
        checks = "\n".join(f"- {q.prompt} (key points: {'; '.join(q.key_points)})" for q in topic.questions)
        parts.append(
            f"## Current topic: {topic.title} ({topic.id})\n{topic.explanation}\n\nSources:\n{sources}\n\n"
            f"Questions from the curriculum:\n{checks}"
        )
    else:
        parts.append("## Current topic: none chosen yet (ask what the learner wants to study, or suggest one)")
    mastery = topic_mastery(context)
    started = [m for m in mastery.values() if m.state.value != "not_started"]
    if started:
        rows = [f"- {m.topic_id}: {m.percent}% ({m.label})" for m in sorted(started, key=lambda m: -m.fraction)]
        parts.append("## Mastery (started topics)\n" + "\n".join(rows))
    else:
        parts.append("## Mastery\nNothing studied yet: a new learner.")
    with context.store.session() as session:
        gaps = session.exec(select(KnowledgeGap).where(KnowledgeGap.resolved_at == None)).all()  # noqa: E711
        last_run = session.exec(select(LabRun).order_by(col(LabRun.started_at).desc()).limit(1)).first()
    if gaps:
        parts.append(
            "## Open knowledge gaps\n"
            + "\n".join(f"- gap {g.id} [{g.severity.value}] {g.topic_id}: {g.description}" for g in gaps)
        )
    parts.append(f"## Review queue\n{ReviewQueue(context).counts().total} cards due today.")
    notes = last_session_notes(context)
    if notes:
        parts.append(f"## Notes from the last session (excerpt)\n{notes}")
    if last_run:
        parts.append(f"## Latest lab run\n{lab_run_summary(context, last_run)}")
    return "\n\n".join(parts)


def last_session_notes(context: StudyContext) -> str | None:
    folders = sorted(p for p in context.settings.sessions_dir.glob("*/session-notes.md"))
    if not folders:
        return None
    text = folders[-1].read_text(encoding="utf-8")
    return text[-NOTES_EXCERPT:]


def lab_run_summary(context: StudyContext, run: LabRun) -> str:
    """Lab, status, final metrics and the shape of the loss curve, in a few lines."""
    metrics = ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in run.final_metrics.items())
    lines = [f"{run.lab_id} run {run.id}: {run.status.value}; params {run.params}", f"final metrics: {metrics or 'none yet'}"]
    shape = _loss_curve_shape(run)
    if shape:
        lines.append(f"training loss curve: {shape}")
    return "\n".join(lines)


def _loss_curve_shape(run: LabRun) -> str | None:
    from pathlib import Path

    from dltui.labs.events import read_all

    path = Path(run.run_dir) / "events.jsonl"
    if not path.exists():
        return None
    losses = [
        event["values"]["train/loss"]
        for event in read_all(path)[0]
        if event.get("type") == "metrics" and isinstance(event.get("values", {}).get("train/loss"), (int, float))
    ]
    if len(losses) < 2:
        return None
    first, last, lowest = losses[0], losses[-1], min(losses)
    if last > first * 1.5:
        trend = "diverging (ends higher than it started)"
    elif last > lowest * 1.3:
        trend = "went down, then rose again (possible instability or overfitting)"
    elif abs(last - first) < 0.05 * abs(first):
        trend = "flat (not learning)"
    else:
        trend = "decreasing"
    return f"{len(losses)} points, from {first:.4g} to {last:.4g} (lowest {lowest:.4g}): {trend}"
