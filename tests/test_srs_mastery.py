"""Topic mastery: from memory, assessments and labs; three states; never above 100%."""

from datetime import datetime, timedelta, timezone

import pytest
from dltui.srs import MasteryState, record_answer, sync_cards, topic_mastery
from dltui.store.models import Assessment, AssessmentLevel, CardState, LabRun
from fsrs import Rating, Scheduler
from sqlmodel import select
from srs_support import open_context

SCHEDULER = Scheduler(enable_fuzzing=False)
START = datetime(2026, 1, 10, 12, tzinfo=timezone.utc)


@pytest.fixture
def context(tmp_path):
    ctx = open_context(tmp_path)
    sync_cards(ctx)
    yield ctx
    ctx.close()


def study(context, topic_id: str, days: int) -> datetime:
    """Review every card of a topic with Good, each time it falls due, for ``days`` days."""
    with context.store.session() as session:
        ids = session.exec(select(CardState.id).where(CardState.topic_id == topic_id)).all()
    last = START
    for card_id in ids:
        when = START
        while when < START + timedelta(days=days):
            answer = record_answer(context, card_id, Rating.Good, now=when, scheduler=SCHEDULER)
            last = max(last, when)
            when = answer.due
    return last


def mastery(context, topic: str, now: datetime):
    return topic_mastery(context, now=now, scheduler=SCHEDULER)[topic]


def test_nothing_studied_is_not_started(context):
    result = topic_mastery(context, now=START)
    assert set(result) == {"alpha", "beta", "gamma"}
    for item in result.values():
        assert (item.state, item.fraction, item.recall) == (MasteryState.NOT_STARTED, 0.0, None)
    assert result["alpha"].cards_new == 3 and result["alpha"].lab_passed is False
    assert result["gamma"].lab_passed is None  # gamma has no lab


def test_reviews_grow_mastery_and_forgetting_shrinks_it(context):
    record_answer(context, 1, Rating.Good, now=START, scheduler=SCHEDULER)
    early = mastery(context, "alpha", START + timedelta(minutes=5))
    assert early.state is MasteryState.LEARNING and 0 < early.fraction < 0.1
    last = study(context, "gamma", days=200)
    settled = mastery(context, "gamma", last)
    assert settled.state is MasteryState.MASTERED and settled.fraction >= 0.8
    assert settled.fraction <= 1.0 and settled.memory <= 1.0
    later = mastery(context, "gamma", last + timedelta(days=400))
    assert later.fraction < settled.fraction and later.recall < settled.recall


def test_assessments_and_labs_count_and_the_latest_assessment_wins(context):
    last = study(context, "alpha", days=30)
    cards_only = mastery(context, "alpha", last)
    with context.store.session() as session:
        session.add(Assessment(topic_id="alpha", level=AssessmentLevel.NEEDS_WORK, created_at=last - timedelta(days=2)))
        session.add(Assessment(topic_id="alpha", level=AssessmentLevel.STRONG, created_at=last - timedelta(days=1)))
    strong = mastery(context, "alpha", last)
    assert strong.assessment is AssessmentLevel.STRONG and strong.fraction > cards_only.fraction
    with context.store.session() as session:
        session.add(Assessment(topic_id="alpha", level=AssessmentLevel.NEEDS_WORK, created_at=last))
    weak = mastery(context, "alpha", last)
    assert weak.assessment is AssessmentLevel.NEEDS_WORK and weak.fraction < strong.fraction
    with context.store.session() as session:
        session.add(LabRun(id="run-1", lab_id="lab-a", passed=True))
    with_lab = mastery(context, "alpha", last)
    assert with_lab.lab_passed is True and with_lab.fraction > weak.fraction
    # An assessment alone starts a topic.
    with context.store.session() as session:
        session.add(Assessment(topic_id="beta", level=AssessmentLevel.PARTIAL, created_at=last))
    assert mastery(context, "beta", last).state is MasteryState.LEARNING


def test_mastery_never_exceeds_one(context):
    last = study(context, "alpha", days=2000)
    with context.store.session() as session:
        for day in range(5):
            session.add(Assessment(topic_id="alpha", level=AssessmentLevel.STRONG, created_at=last + timedelta(days=day)))
        session.add(LabRun(id="run-1", lab_id="lab-a", passed=True))
        session.add(LabRun(id="run-2", lab_id="lab-a", passed=True))
    for offset in (0, 1, 30):
        result = mastery(context, "alpha", last + timedelta(days=offset))
        assert 0.0 <= result.fraction <= 1.0 and result.percent <= 100
    top = mastery(context, "alpha", last)
    assert top.state is MasteryState.MASTERED and top.fraction > 0.9


def test_suspended_and_retired_cards_are_left_out(context):
    with context.store.session() as session:
        for row in session.exec(select(CardState).where(CardState.topic_id == "alpha")).all():
            row.suspended = row.card_key == "alpha/m1"
            row.retired = row.card_key == "alpha/n1"
    assert mastery(context, "alpha", START).cards_total == 1


@pytest.mark.parametrize("scheduler", [SCHEDULER, Scheduler(parameters=[p * 1.1 for p in Scheduler().parameters])])
def test_memory_and_recall_agree_with_fsrs_card_by_card(context, scheduler):
    """Mastery reads memory from the store in aggregate: it must equal the mean, card by card, of
    fsrs's own retrievability times how settled each card is, across whole-day edges (a gap one
    microsecond short of 3 days is 2 days), reviews after now, suspended, retired and new cards."""
    import random

    from dltui.srs.mastery import MATURE_STABILITY_DAYS
    from fsrs import Card, State

    now = datetime(2026, 6, 15, 12, 0, tzinfo=timezone.utc)
    chance = random.Random(11)
    gaps = [
        timedelta(0),
        timedelta(days=3),
        timedelta(days=3) - timedelta(microseconds=1),
        timedelta(days=40, microseconds=999_999),
        -timedelta(hours=5),
        timedelta(seconds=1234.5),
    ]
    expected: dict[str, list[tuple[float, float]]] = {"alpha": [], "beta": [], "gamma": []}
    with context.store.session() as session:
        for index in range(300):
            topic = ("alpha", "beta", "gamma")[index % 3]
            row = CardState(card_key=f"tutor/m/{index}", topic_id=topic, origin="tutor")
            kind = chance.random()
            if kind >= 0.1:  # else a new card
                row.state, row.stability = 2, chance.choice([0.3, 21.0, 400.0, chance.uniform(0.05, 900)])
                row.last_review = now - chance.choice([*gaps, timedelta(seconds=chance.uniform(0, 3e7))])
                row.due = row.last_review
            row.suspended, row.retired = 0.9 < kind < 0.95, kind >= 0.95
            session.add(row)
            if row.suspended or row.retired or row.state == 0:
                continue
            card = Card(card_id=1, state=State.Review, stability=row.stability, last_review=row.last_review, due=row.due)
            recall = scheduler.get_card_retrievability(card, now)
            expected[topic].append((recall, recall * min(1.0, row.stability / MATURE_STABILITY_DAYS)))
    result = topic_mastery(context, now=now, scheduler=scheduler)
    for topic, pairs in expected.items():
        with context.store.read() as session:
            active = session.exec(
                select(CardState).where(
                    CardState.topic_id == topic,
                    CardState.retired == False,  # noqa: E712
                    CardState.suspended == False,  # noqa: E712
                )
            ).all()
        total = len(active)  # the curriculum's own cards too: new, so they score 0 but count
        assert result[topic].cards_total == total
        assert result[topic].cards_new == sum(1 for row in active if row.state == 0)
        assert result[topic].recall == pytest.approx(sum(r for r, _ in pairs) / len(pairs), rel=1e-12)
        assert result[topic].memory == pytest.approx(sum(s for _, s in pairs) / total, rel=1e-12)
