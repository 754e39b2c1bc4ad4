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
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from fsrs import Scheduler
from sqlalchemy import text
from sqlmodel import Session, col, select

from dltui.store import utcnow
from dltui.store.models import Assessment, AssessmentLevel, LabRun, RunKind

if TYPE_CHECKING:
    from dltui.context import StudyContext

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
    context: StudyContext, now: datetime | None = None, topics: Iterable[str] | None = None, scheduler: Scheduler | None = None
) -> dict[str, Mastery]:
    """Mastery of every curriculum topic (or only ``topics``), as of ``now``."""
    now = now or utcnow()
    if scheduler is None:
        from dltui.srs.scheduler import scheduler_for

        scheduler = scheduler_for(context, fuzzing=False)
    wanted = list(context.curriculum.topics) if topics is None else [t for t in topics if t in context.curriculum.topics]
    latest: dict[str, AssessmentLevel] = {}
    with context.store.read() as session:
        memories = _memory_by_topic(session, forgetting_curve(scheduler), now, None if topics is None else wanted)
        assessment_query = select(Assessment.topic_id, Assessment.level, Assessment.assessor).order_by(
            col(Assessment.created_at), col(Assessment.id)
        )
        if topics is not None:
            assessment_query = assessment_query.where(col(Assessment.topic_id).in_(wanted))
        exercise_credit: set[str] = set()
        for topic_id, level, assessor in session.exec(assessment_query):
            if assessor == EXERCISE_ASSESSOR:
                exercise_credit.add(topic_id)  # lab evidence, never the topic's assessment
            else:
                latest[topic_id] = AssessmentLevel(level)
        # A passed exercise credits only the topics of its checks (exercise_credit), not the lab's.
        passed_labs = set(session.exec(select(LabRun.lab_id).where(LabRun.passed == True, LabRun.kind == RunKind.RUN)).all())  # noqa: E712
    result = {}
    for topic_id in wanted:
        topic = context.curriculum.topics[topic_id]
        lab_passed = any(lab in passed_labs for lab in topic.labs) if topic.labs else None
        if topic_id in exercise_credit:
            lab_passed = True
        result[topic_id] = _blend(topic_id, memories.get(topic_id, CardMemory()), latest.get(topic_id), lab_passed)
    return result


def forgetting_curve(scheduler: Scheduler) -> tuple[float, float]:
    """(decay, factor) of the scheduler's forgetting curve R = (1 + factor * days / S) ** decay,
    from its public parameters, as fsrs derives them (retrievability 0.9 after S days)."""
    decay = -scheduler.parameters[20]
    return decay, 0.9 ** (1 / decay) - 1


@dataclass(frozen=True)
class CardMemory:
    """One topic's active cards, summed: what the memory share of mastery is made of."""

    total: int = 0
    new: int = 0
    reviewed: int = 0  # cards with a review, a stability and a last review
    recall_sum: float = 0.0  # retrievability now, summed over the reviewed cards
    score_sum: float = 0.0  # retrievability times how settled (stability / 21 days, at most 1)


# One pass over the active cards in SQLite, grouped by topic: the Topics area reads every topic's
# memory of up to 100k cards on each switch, too many to bring into Python one row at a time.
# Whole days elapsed as fsrs counts them ((now - last_review).days, never below 0), from the stored
# text to the microsecond ("YYYY-MM-DD HH:MM:SS.ffffff", as SQLAlchemy writes naive UTC).
_MEMORY_SQL = """
WITH card AS (
  SELECT topic_id, state, stability,
    CASE WHEN state != 0 AND stability IS NOT NULL AND last_review IS NOT NULL THEN
      pow(1 + :factor * (MAX(0, :now_us - (CAST(strftime('%s', last_review) AS INTEGER) * 1000000
                                           + CAST(substr(last_review, 21, 6) AS INTEGER))) / 86400000000) / stability,
          :decay)
    END AS recall
  FROM cardstate
  WHERE retired = 0 AND suspended = 0 {only_topics}
)
SELECT topic_id, COUNT(*), SUM(state = 0), COUNT(recall), TOTAL(recall),
       TOTAL(recall * MIN(1.0, stability / :mature))
FROM card GROUP BY +topic_id  -- "+": sum in one pass over the table, not row by row through the topic index
"""
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _memory_by_topic(session: Session, curve: tuple[float, float], now: datetime, topics: list[str] | None) -> dict[str, CardMemory]:
    decay, factor = curve
    params: dict[str, object] = {
        "decay": decay,
        "factor": factor,
        "mature": MATURE_STABILITY_DAYS,
        "now_us": (now - _EPOCH) // timedelta(microseconds=1),
    }
    only_topics = ""
    if topics is not None:
        params |= {f"topic{index}": topic for index, topic in enumerate(topics)}
        only_topics = "AND topic_id IN ({})".format(", ".join(f":topic{index}" for index in range(len(topics))) or "NULL")
    rows = session.connection().execute(text(_MEMORY_SQL.format(only_topics=only_topics)), params)
    return {topic: CardMemory(total, new, reviewed, recall_sum, score_sum) for topic, total, new, reviewed, recall_sum, score_sum in rows}


def _blend(topic_id: str, cards: CardMemory, assessment: AssessmentLevel | None, lab_passed: bool | None) -> Mastery:
    memory = cards.score_sum / cards.total if cards.total else 0.0
    evidence: list[tuple[float, float]] = []
    if cards.total:
        evidence.append((WEIGHTS["memory"], memory))
    if assessment is not None:
        evidence.append((WEIGHTS["assessment"], ASSESSMENT_VALUE[assessment]))
    if lab_passed is not None:
        evidence.append((WEIGHTS["lab"], 1.0 if lab_passed else 0.0))
    total = sum(weight for weight, _ in evidence)
    fraction = sum(weight * value for weight, value in evidence) / total if total else 0.0
    fraction = min(1.0, max(0.0, fraction))  # guards float noise; the blend is already in range
    started = bool(cards.reviewed) or assessment is not None or bool(lab_passed)
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
        cards_total=cards.total,
        cards_new=cards.new,
        recall=cards.recall_sum / cards.reviewed if cards.reviewed else None,
        memory=memory,
        assessment=assessment,
        lab_passed=lab_passed,
    )
