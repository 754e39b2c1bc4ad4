"""What to study next: `study_next`, the one suggestion Topics, Chat, Progress and the tutor show.

**Ready** (the rule behind both "Waiting on" in Topics and "its prerequisites are learned" here):
a topic is ready when each prerequisite is learned, i.e. it is started, all its cards are
introduced, its recall is at least 70% and its last assessment is not "needs work"
(`srs.prerequisites.weakness_reasons`, the review queue's test), *and* that prerequisite is ready itself. So a topic never reads as ready
while a topic it builds on is still waiting.

Score of a ready topic that is not mastered yet:
  domain weight x what is left to learn (1 - mastery)
  + open knowledge gaps (high 0.30, medium 0.15, low 0.05 each, up to 0.5)
  + weak memory of a started topic: (1 - recall) x 0.3
  + 1.0 for the topic the learner is in the middle of (of the started, unmastered topics that
    still have cards to introduce or no assessment yet, the one with the latest activity: an
    answer to one of its cards, an assessment, a gap, a chat about it), or
    0.8 for a ready prerequisite it still waits on: finishing what was started comes first.
The reason says why this topic, now, in the learner's words, e.g. "its prerequisites are learned
(Calculus 85%), it is the heaviest open topic in B, and 6 of its cards are new".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import func
from sqlmodel import col, select

from dltui.curriculum import Curriculum, Topic
from dltui.srs.mastery import Mastery, MasteryState, topic_mastery
from dltui.srs.prerequisites import weakness_reasons
from dltui.store.models import Assessment, CardState, Conversation, GapSeverity, KnowledgeGap, ReviewLog

if TYPE_CHECKING:
    from dltui.context import StudyContext

GAP_WEIGHT = {GapSeverity.HIGH: 0.30, GapSeverity.MEDIUM: 0.15, GapSeverity.LOW: 0.05}
IN_THE_MIDDLE = 1.0
NEEDED_BY_CURRENT = 0.8


def short_title(topic: Topic) -> str:
    """ "Calculus, gradients and the chain rule" -> "Calculus": enough to name it in a sentence."""
    return topic.title.split(" (")[0].split(", ")[0]


def waiting_on(curriculum: Curriculum, mastery: dict[str, Mastery]) -> dict[str, list[str]]:
    """For every topic, why it is not ready yet (an empty list: ready). See the module docstring."""
    topics = curriculum.topics
    reasons: dict[str, list[str]] = {}

    def visit(topic_id: str, path: frozenset[str]) -> list[str]:
        if topic_id in reasons:
            return reasons[topic_id]
        found: list[str] = []
        for prerequisite in topics[topic_id].prerequisites:
            if prerequisite not in topics or prerequisite not in mastery or prerequisite in path:
                continue  # unknown ids and cycles are reported by `dltui curriculum check`
            title = topics[prerequisite].title
            own = weakness_reasons(title, mastery[prerequisite])
            if not own and mastery[prerequisite].state is MasteryState.NOT_STARTED:
                own = [f"{title} first (not started yet)"]
            if own:
                found.extend(own)
            elif visit(prerequisite, path | {topic_id}):
                found.append(f"{title} first (it is still waiting on its own prerequisites)")
        reasons[topic_id] = found
        return found

    for topic_id in topics:
        visit(topic_id, frozenset())
    return reasons


def prerequisite_weaknesses(curriculum: Curriculum, topic: Topic, mastery: dict[str, Mastery]) -> list[str]:
    """Why the topic's prerequisites are not yet in place (empty when they are)."""
    return waiting_on(curriculum, mastery).get(topic.id, [])


def in_the_middle_of(context: StudyContext, mastery: dict[str, Mastery]) -> str | None:
    """The unfinished topic the learner touched last (answers, assessments, gaps, chat), if any."""
    latest: dict[str, datetime] = {}
    with context.store.read() as session:
        queries = [
            select(CardState.topic_id, func.max(ReviewLog.reviewed_at))
            .select_from(ReviewLog)
            .join(CardState, col(ReviewLog.card_id) == col(CardState.id))
            .group_by(CardState.topic_id),
            select(Assessment.topic_id, func.max(Assessment.created_at)).group_by(Assessment.topic_id),
            select(KnowledgeGap.topic_id, func.max(KnowledgeGap.created_at)).group_by(KnowledgeGap.topic_id),
            select(Conversation.topic_id, func.max(Conversation.updated_at))
            .where(Conversation.topic_id != None)  # noqa: E711
            .group_by(Conversation.topic_id),
        ]
        for query in queries:
            for topic_id, moment in session.exec(query):
                if topic_id is not None and moment is not None and (topic_id not in latest or moment > latest[topic_id]):
                    latest[topic_id] = moment
    unfinished = [t for t in latest if t in mastery and _unfinished(mastery[t])]
    return max(unfinished, key=lambda t: latest[t]) if unfinished else None


def _unfinished(known: Mastery) -> bool:
    """Started, and something is left to do in it now: cards to introduce, or no verdict yet."""
    return known.state is MasteryState.LEARNING and (known.cards_new > 0 or known.assessment is None)


@dataclass(frozen=True)
class Suggestion:
    topic: Topic
    score: float
    reason: str


def study_next(
    context: StudyContext, limit: int = 3, mastery: dict[str, Mastery] | None = None, now: datetime | None = None
) -> list[Suggestion]:
    """The best topics to study next, best first, each with a reason in the learner's words."""
    curriculum = context.curriculum
    topics = curriculum.topics
    mastery = mastery or topic_mastery(context, now=now)
    gaps: dict[str, tuple[float, int]] = {}
    with context.store.read() as session:
        for topic_id, severity in session.exec(
            select(KnowledgeGap.topic_id, KnowledgeGap.severity).where(KnowledgeGap.resolved_at == None)  # noqa: E711
        ):
            weight, count = gaps.get(topic_id, (0.0, 0))
            gaps[topic_id] = (min(0.5, weight + GAP_WEIGHT[GapSeverity(severity)]), count + 1)
    waiting = waiting_on(curriculum, mastery)
    current = in_the_middle_of(context, mastery)
    needed_by_current = _prerequisites_of(curriculum, current) if current and waiting.get(current) else set()
    ready = [t for t in topics.values() if t.id in mastery and mastery[t.id].state is not MasteryState.MASTERED and not waiting.get(t.id)]
    base = {t.id: _domain_weight(curriculum, t) * (1 - mastery[t.id].fraction) for t in ready}
    heaviest: dict[str, str] = {}  # domain -> topic id
    for topic in ready:  # per domain, the ready topic with the most weight left to learn
        if topic.domain not in heaviest or base[topic.id] > base[heaviest[topic.domain]]:
            heaviest[topic.domain] = topic.id
    suggestions = []
    for topic in ready:
        known = mastery[topic.id]
        score = base[topic.id]
        reasons = []
        if topic.id == current:
            score += IN_THE_MIDDLE
            reasons.append(f"you are in the middle of it ({known.percent}% so far)")
        elif current is not None and topic.id in needed_by_current and weakness_reasons(topic.title, known):
            score += NEEDED_BY_CURRENT
            reasons.append(f"{short_title(topics[current])}, which you are in the middle of, builds on it")
        if topic.id in gaps:
            score += gaps[topic.id][0]
            count = gaps[topic.id][1]
            reasons.append(f"you have {count} open gap{'s' if count != 1 else ''} here")
        if known.state is MasteryState.LEARNING and known.recall is not None and known.recall < 0.9:
            score += (1 - known.recall) * 0.3
            reasons.append(f"recall is down to {known.recall:.0%}")
        if topic.id != current:
            reasons.append(_prerequisite_reason(topic, topics, mastery))
        if heaviest.get(topic.domain) == topic.id:
            reasons.append(f"it is the heaviest open topic in {topic.domain}")
        if known.cards_new:
            reasons.append(f"{known.cards_new} of its cards {'are' if known.cards_new != 1 else 'is'} new")
        suggestions.append(Suggestion(topic, round(score, 4), _sentence(reasons)))
    suggestions.sort(key=lambda s: (-s.score, s.topic.domain, s.topic.order))
    return suggestions[:limit]


def _prerequisite_reason(topic: Topic, topics: dict[str, Topic], mastery: dict[str, Mastery]) -> str:
    known = [p for p in topic.prerequisites if p in topics and p in mastery]
    if not known:
        return "it needs no prerequisites"
    return "its prerequisites are learned (" + ", ".join(f"{short_title(topics[p])} {mastery[p].percent}%" for p in known) + ")"


def _prerequisites_of(curriculum: Curriculum, topic_id: str) -> set[str]:
    found: set[str] = set()
    stack = list(curriculum.topics[topic_id].prerequisites)
    while stack:
        prerequisite = stack.pop()
        if prerequisite in curriculum.topics and prerequisite not in found:
            found.add(prerequisite)
            stack.extend(curriculum.topics[prerequisite].prerequisites)
    return found


def _domain_weight(curriculum: Curriculum, topic: Topic) -> float:
    domain = curriculum.domains.get(topic.domain)
    return domain.weight if domain else 0.1


def _sentence(parts: list[str]) -> str:
    """["a", "b", "c"] -> "a, b, and c" (the reasons read as one sentence)."""
    if len(parts) <= 2:
        return " and ".join(parts)
    return ", ".join(parts[:-1]) + ", and " + parts[-1]
