"""How well each topic is known: the one measure of mastery the whole app uses.

Credit rules (the one place they are written down): what each kind of evidence counts for.

- **A review** (an answer to a card, in the review queue or in a quiz) updates that card's
  memory through fsrs. Memory (weight 0.60) is, per active card, the current retrievability times
  how settled the memory is (stability / 21 days, capped at 1: Anki calls a card "mature" at 21
  days); a card never reviewed scores 0, and forgetting lowers it day by day, as it should.
- **A quiz** (`srs.quiz`): its answers are reviews, and its score (from 3 answers) is an
  assessment of the topic by "quiz": 80% recalled strong, 50% partial, else needs work.
- **A tutor assessment** (Claude or the offline tutor, through the record_assessment tool) is an
  assessment of the topic. A claim the learner volunteers to the offline tutor (`tutor.claims`)
  is weak evidence: partial at best, confidence 0.4. The latest assessment by a tutor, a quiz or a prediction is the
  topic's assessment (weight 0.25: strong 1, partial 0.5, needs work 0.1), left out of the blend
  until there is one, so reviews alone can reach mastery. A newer one replaces it; nothing else does.
- **An exercise pass** (`labs.exercise`) is lab evidence (weight 0.15) for exactly the topics its
  passed grader checks declare in the lab's ``[exercise.checks]`` (a lab that declares none: its
  ``topics``). It is kept as an assessment row by "lab" for the record, but it is never the
  topic's assessment, so it cannot override a tutor's or a quiz's verdict, older or newer.
- **A prediction** (`labs.prediction`: the curve's shape and/or the final target metric, given
  before a run starts) is scored once the run has ended, and is an assessment by "prediction" of
  exactly ONE topic: the topic of the outcome's diagnosis (a diverging run: gradient-descent, see
  ``labs.diagnosis.LESSONS``), not the lab's topics. Every part predicted right: strong; some:
  partial; none: needs work; confidence 0.5 (a guess is weaker evidence than an explanation). It
  counts as that topic's latest assessment like a tutor's or a quiz's. An outcome that cannot be
  scored (a curve too short for a shape and no target metric) records nothing.
- **A lab run that reaches its target** is lab evidence for the topics whose curriculum entry
  lists that lab; a topic with labs and no passed run counts the lab share as 0.
- **Knowledge gaps** are not evidence: no review, quiz, pass or prediction resolves one (only the
  tutor's resolve_gap tool does). Open gaps raise a topic in "study next" (`srs.recommend`).

The result is a fraction in [0, 1] by construction (a weighted mean of values in [0, 1]); a topic
is mastered at 80%.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from fsrs import Scheduler
from sqlmodel import select

from dltui.store import utcnow
from dltui.store.models import Assessment, AssessmentLevel, CardState, LabRun

MATURE_STABILITY_DAYS = 21.0
MASTERED_AT = 0.80
WEIGHTS = {"memory": 0.60, "assessment": 0.25, "lab": 0.15}
EXERCISE_ASSESSOR = "lab"  # the assessor of exercise-pass rows (labs.exercise)
PREDICTION_ASSESSOR = "prediction"  # scored predictions of lab runs (labs.prediction): a topic's assessment
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
    with context.store.read() as session:
        card_query = select(CardState.topic_id, CardState.state, CardState.stability, CardState.last_review).where(
            CardState.retired == False, CardState.suspended == False  # noqa: E712 (SQL comparison)
        )
        if topics is not None:
            card_query = card_query.where(CardState.topic_id.in_(wanted))
        for topic_id, state, stability, last_review in session.exec(card_query):
            if topic_id in cards:
                cards[topic_id].append((state, stability, last_review))
        assessment_query = select(Assessment.topic_id, Assessment.level, Assessment.assessor).order_by(
            Assessment.created_at, Assessment.id
        )
        if topics is not None:
            assessment_query = assessment_query.where(Assessment.topic_id.in_(wanted))
        exercise_credit: set[str] = set()
        for topic_id, level, assessor in session.exec(assessment_query):
            if assessor == EXERCISE_ASSESSOR:
                exercise_credit.add(topic_id)  # lab evidence, never the topic's assessment
            else:
                latest[topic_id] = AssessmentLevel(level)
        passed_labs = set(session.exec(select(LabRun.lab_id).where(LabRun.passed == True)).all())  # noqa: E712
    result = {}
    for topic_id in wanted:
        topic = context.curriculum.topics[topic_id]
        lab_passed = any(lab in passed_labs for lab in topic.labs) if topic.labs else None
        if topic_id in exercise_credit:
            lab_passed = True
        result[topic_id] = _blend(topic_id, cards[topic_id], latest.get(topic_id), lab_passed, scheduler, now)
    return result


def forgetting_curve(scheduler: Scheduler) -> tuple[float, float]:
    """(decay, factor) of the scheduler's forgetting curve R = (1 + factor * days / S) ** decay,
    from its public parameters, as fsrs derives them (retrievability 0.9 after S days)."""
    decay = -scheduler.parameters[20]
    return decay, 0.9 ** (1 / decay) - 1


def retrievability(curve: tuple[float, float], stability: float, last_review: datetime, now: datetime) -> float:
    """fsrs's Scheduler.get_card_retrievability without building a Card for each of up to 100k
    cards on every Topics refresh (a test holds the two equal): whole days elapsed, as fsrs counts."""
    decay, factor = curve
    return (1 + factor * max(0, (now - last_review).days) / stability) ** decay


def _blend(topic_id, cards, assessment, lab_passed, scheduler: Scheduler, now: datetime) -> Mastery:
    scores, recalls = [], []
    curve = forgetting_curve(scheduler)
    for state, stability, last_review in cards:
        if state == 0 or stability is None or last_review is None:
            scores.append(0.0)
            continue
        recall = retrievability(curve, stability, last_review, now)
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
