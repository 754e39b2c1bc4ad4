"""What to study next: a topic whose prerequisites are in place, weighted by what matters most.

Score of a ready, not yet mastered topic:
  domain weight x what is left to learn (1 - mastery)
  + open knowledge gaps (high 0.30, medium 0.15, low 0.05 each, up to 0.5)
  + weak memory of a started topic (1 - recall) x 0.3
  + a small nudge to finish what was started (0.05).
A topic is ready when none of its prerequisites is weak (the same test the review queue uses to
hold new cards back), so the suggestion moves on as prerequisites are learned.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import select

from dltui.curriculum import Topic
from dltui.srs.mastery import Mastery, MasteryState, topic_mastery
from dltui.srs.queue import weakness_reasons
from dltui.store.models import GapSeverity, KnowledgeGap

GAP_WEIGHT = {GapSeverity.HIGH: 0.30, GapSeverity.MEDIUM: 0.15, GapSeverity.LOW: 0.05}


def prerequisite_weaknesses(curriculum, topic: Topic, mastery: dict[str, Mastery]) -> list[str]:
    """Why the topic's prerequisites are not yet in place (empty when they are)."""
    topics = curriculum.topics
    return [r for p in topic.prerequisites if p in mastery for r in weakness_reasons(topics[p].title, mastery[p])]


@dataclass(frozen=True)
class Suggestion:
    topic: Topic
    score: float
    reason: str


def study_next(
    context, limit: int = 3, mastery: dict[str, Mastery] | None = None, now: datetime | None = None
) -> list[Suggestion]:
    """The best topics to study next, best first, each with a reason in the learner's words."""
    curriculum = context.curriculum
    mastery = mastery or topic_mastery(context, now=now)
    gaps: dict[str, float] = {}
    with context.store.session() as session:
        for topic_id, severity in session.exec(
            select(KnowledgeGap.topic_id, KnowledgeGap.severity).where(KnowledgeGap.resolved_at == None)  # noqa: E711
        ):
            gaps[topic_id] = min(0.5, gaps.get(topic_id, 0.0) + GAP_WEIGHT[GapSeverity(severity)])
    suggestions = []
    for topic in curriculum.topics.values():
        known = mastery.get(topic.id)
        if known is None or known.state is MasteryState.MASTERED:
            continue
        if prerequisite_weaknesses(curriculum, topic, mastery):
            continue
        domain = curriculum.domains.get(topic.domain)
        score = (domain.weight if domain else 0.1) * (1 - known.fraction)
        reasons = []
        if topic.id in gaps:
            score += gaps[topic.id]
            reasons.append("you have open gaps here")
        if known.state is MasteryState.LEARNING:
            score += 0.05
            if known.recall is not None and known.recall < 0.9:
                score += (1 - known.recall) * 0.3
                reasons.append(f"recall is down to {known.recall:.0%}")
            else:
                reasons.append(f"you are {known.percent}% of the way")
        elif topic.prerequisites:
            names = ", ".join(curriculum.topics[p].title for p in topic.prerequisites if p in curriculum.topics)
            reasons.append(f"its prerequisites are in place ({names})")
        else:
            reasons.append("a starting point with no prerequisites")
        if domain:
            reasons.append(f"{domain.title} is {domain.weight:.0%} of the curriculum")
        suggestions.append(Suggestion(topic, round(score, 4), "; ".join(reasons)))
    suggestions.sort(key=lambda s: (-s.score, s.topic.domain, s.topic.order))
    return suggestions[:limit]
