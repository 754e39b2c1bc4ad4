"""Prerequisites and new cards: topics in prerequisite order, and new cards held back by weak ones.

The daily queue introduces new cards topic by topic so that every prerequisite comes first, and
holds back the new cards of a topic while one of its prerequisites is weak: cards of it still not
introduced, recalled less often than ``WEAK_RECALL``, or a last assessment that said needs work.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from fsrs import Scheduler

from dltui.srs.mastery import Mastery, topic_mastery
from dltui.store.models import AssessmentLevel

if TYPE_CHECKING:
    from dltui.context import StudyContext
    from dltui.curriculum import Curriculum

WEAK_RECALL = 0.70  # a prerequisite recalled less often than this holds its dependents back


@dataclass(frozen=True)
class HeldBack:
    topic_id: str
    title: str
    new_cards: int
    reason: str


def held_back(context: StudyContext, waiting: dict[str, int], now: datetime, scheduler: Scheduler, rank: dict[str, int]) -> list[HeldBack]:
    """Of the topics with new cards ``waiting`` (count each), those a weak prerequisite holds back."""
    topics = context.curriculum.topics
    prerequisites = {p for t in waiting if t in topics for p in topics[t].prerequisites if p in topics}
    # A prerequisite with cards still to introduce is weak for that reason alone; only the
    # others need their mastery worked out (which reads every card of the topic).
    introduced = prerequisites - set(waiting)
    mastery = topic_mastery(context, now=now, topics=introduced, scheduler=scheduler) if introduced else {}
    held = []
    for topic_id in in_order(waiting, rank):
        if topic_id not in topics:
            continue
        reasons = []
        for prerequisite in topics[topic_id].prerequisites:
            title = topics[prerequisite].title if prerequisite in topics else prerequisite
            if prerequisite in waiting:
                count = waiting[prerequisite]
                reasons.append(f"{title} first ({count} card{'s' if count != 1 else ''} not introduced)")
            elif prerequisite in mastery:
                reasons.extend(weakness_reasons(title, mastery[prerequisite]))
        if reasons:
            held.append(HeldBack(topic_id, topics[topic_id].title, waiting[topic_id], "needs " + "; ".join(reasons)))
    return held


def weakness_reasons(title: str, mastery: Mastery) -> list[str]:
    """Why a prerequisite is too weak to build on (empty when it is in place)."""
    reasons = []
    if mastery.cards_new:  # buried for today, so not counted as waiting
        reasons.append(f"{title} first ({mastery.cards_new} card{'s' if mastery.cards_new != 1 else ''} not introduced)")
    if mastery.recall is not None and mastery.recall < WEAK_RECALL:
        reasons.append(f"{title} recalled better (recall {mastery.recall:.0%})")
    if mastery.assessment is AssessmentLevel.NEEDS_WORK:
        reasons.append(f"{title} reworked (the last assessment said needs work)")
    return reasons


def prerequisite_order(curriculum: Curriculum) -> dict[str, int]:
    """Rank topics so every prerequisite comes before its dependents (ties: curriculum order)."""
    topics = curriculum.topics
    position = {topic_id: index for index, topic_id in enumerate(topics)}
    rank: dict[str, int] = {}
    visiting: set[str] = set()

    def visit(topic_id: str) -> None:
        if topic_id in rank or topic_id in visiting:
            return  # a cycle is reported by `dltui curriculum check`; here it is just broken
        visiting.add(topic_id)
        for prerequisite in sorted(topics[topic_id].prerequisites, key=lambda p: position.get(p, 0)):
            if prerequisite in topics:
                visit(prerequisite)
        visiting.discard(topic_id)
        rank[topic_id] = len(rank)

    for topic_id in topics:
        visit(topic_id)
    return rank


def in_order(topic_ids: Iterable[str], rank: dict[str, int]) -> list[str]:
    """``topic_ids`` in prerequisite order (``rank`` from prerequisite_order)."""
    return sorted(topic_ids, key=lambda t: (rank.get(t, len(rank)), t))
