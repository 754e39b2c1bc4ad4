"""How well each topic is known: the one measure of mastery the whole app uses.

Three kinds of evidence, blended:
- memory (weight 0.60): per active card, fsrs's current retrievability times how settled the
  memory is (stability / 21 days, capped at 1: Anki calls a card "mature" at 21 days); a card
  never reviewed scores 0. Forgetting lowers it day by day, as it should.
- the latest assessment of the topic (0.25) by the tutor or a quiz: strong 1, partial 0.5,
  needs work 0.1. Left out of the blend until there is one, so reviews alone can reach mastery.
- a passed lab (0.15), only for topics that have labs.

The result is a fraction in [0, 1] by construction (a weighted mean of values in [0, 1]).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from fsrs import Card, Scheduler, State
from sqlmodel import select

from dltui.store import utcnow
from dltui.store.models import Assessment, AssessmentLevel, CardState, LabRun

MATURE_STABILITY_DAYS = 21.0
MASTERED_AT = 0.80
WEIGHTS = {"memory": 0.60, "assessment": 0.25, "lab": 0.15}
ASSESSMENT_VALUE = {AssessmentLevel.STRONG: 1.0, AssessmentLevel.PARTIAL: 0.5, AssessmentLevel.NEEDS_WORK: 0.1}


class MasteryState(str, enum.Enum):
    NOT_STARTED = "not_started"
    LEARNING = "learning"
    MASTERED = "mastered"


@dataclass(frozen=True)
class Mastery:
    topic_id: str
    fraction: float  # 0..1, never more
    state: MasteryState
    cards_total: int  # active cards: not retired, not suspended
    cards_new: int  # active cards never reviewed
    recall: float | None  # mean retrievability now of the reviewed active cards
    memory: float  # the card evidence alone, 0..1
    assessment: AssessmentLevel | None  # the latest one
    lab_passed: bool | None  # None when the topic has no lab

    @property
    def percent(self) -> int:
        return round(self.fraction * 100)

    @property
    def label(self) -> str:
        return {"not_started": "not started", "learning": "learning", "mastered": "mastered"}[self.state.value]


def topic_mastery(
    context, now: datetime | None = None, topics: Iterable[str] | None = None, scheduler: Scheduler | None = None
) -> dict[str, Mastery]:
    """Mastery of every curriculum topic (or only ``topics``), as of ``now``."""
    now = now or utcnow()
    if scheduler is None:
        from dltui.srs.scheduler import scheduler_for

        scheduler = scheduler_for(context, fuzzing=False)
    wanted = list(context.curriculum.topics) if topics is None else [t for t in topics if t in context.curriculum.topics]
    cards: dict[str, list[tuple[int, float | None, datetime | None]]] = {t: [] for t in wanted}
    latest: dict[str, AssessmentLevel] = {}
    with context.store.session() as session:
        card_query = select(CardState.topic_id, CardState.state, CardState.stability, CardState.last_review).where(
            CardState.retired == False, CardState.suspended == False  # noqa: E712 (SQL comparison)
        )
        if topics is not None:
            card_query = card_query.where(CardState.topic_id.in_(wanted))
        for topic_id, state, stability, last_review in session.exec(card_query):
            if topic_id in cards:
                cards[topic_id].append((state, stability, last_review))
        assessment_query = select(Assessment.topic_id, Assessment.level).order_by(Assessment.created_at, Assessment.id)
        if topics is not None:
            assessment_query = assessment_query.where(Assessment.topic_id.in_(wanted))
        for topic_id, level in session.exec(assessment_query):
            latest[topic_id] = AssessmentLevel(level)
        passed_labs = set(session.exec(select(LabRun.lab_id).where(LabRun.passed == True)).all())  # noqa: E712
    result = {}
    for topic_id in wanted:
        topic = context.curriculum.topics[topic_id]
        lab_passed = any(lab in passed_labs for lab in topic.labs) if topic.labs else None
        result[topic_id] = _blend(topic_id, cards[topic_id], latest.get(topic_id), lab_passed, scheduler, now)
    return result


def _blend(topic_id, cards, assessment, lab_passed, scheduler: Scheduler, now: datetime) -> Mastery:
    scores, recalls = [], []
    for state, stability, last_review in cards:
        if state == 0 or stability is None or last_review is None:
            scores.append(0.0)
            continue
        probe = Card(card_id=0, state=State.Review, stability=stability, last_review=last_review, due=last_review)
        recall = scheduler.get_card_retrievability(probe, now)
        recalls.append(recall)
        scores.append(recall * min(1.0, stability / MATURE_STABILITY_DAYS))
    memory = sum(scores) / len(scores) if scores else 0.0
    evidence: list[tuple[float, float]] = []
    if cards:
        evidence.append((WEIGHTS["memory"], memory))
    if assessment is not None:
        evidence.append((WEIGHTS["assessment"], ASSESSMENT_VALUE[assessment]))
    if lab_passed is not None:
        evidence.append((WEIGHTS["lab"], 1.0 if lab_passed else 0.0))
    total = sum(weight for weight, _ in evidence)
    fraction = sum(weight * value for weight, value in evidence) / total if total else 0.0
    fraction = min(1.0, max(0.0, fraction))  # guards float noise; the blend is already in range
    started = bool(recalls) or assessment is not None or bool(lab_passed)
    if not started:
        state = MasteryState.NOT_STARTED
    elif fraction >= MASTERED_AT:
        state = MasteryState.MASTERED
    else:
        state = MasteryState.LEARNING
    return Mastery(
        topic_id=topic_id,
        fraction=fraction,
        state=state,
        cards_total=len(cards),
        cards_new=sum(1 for state, *_ in cards if state == 0),
        recall=sum(recalls) / len(recalls) if recalls else None,
        memory=memory,
        assessment=assessment,
        lab_passed=lab_passed,
    )
