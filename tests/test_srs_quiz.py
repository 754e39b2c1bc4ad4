"""Quiz mode: one topic, whatever is due; each answer is exactly one ordinary fsrs review."""

from datetime import datetime, timedelta, timezone

import pytest
from dltui.srs import Quiz, QuizError, ReviewQueue, StudyClock, record_answer, sync_cards
from dltui.srs.answers import AnswerError
from dltui.srs.scheduler import card_from_row
from dltui.store.models import Assessment, CardState, ReviewLog
from fsrs import Rating, Scheduler
from sqlmodel import select
from srs_support import FakeNow, open_context

SCHEDULER = Scheduler(enable_fuzzing=False)
START = datetime(2026, 6, 1, 8, tzinfo=timezone.utc)


@pytest.fixture
def context(tmp_path):
    ctx = open_context(tmp_path, new_cards_per_day=20)
    sync_cards(ctx)
    yield ctx
    ctx.close()


def rows(context, topic_id):
    with context.store.session() as session:
        return {r.card_key: r for r in session.exec(select(CardState).where(CardState.topic_id == topic_id)).all()}


def test_quiz_ignores_due_dates_and_moves_the_schedule_like_one_review(context):
    for row in rows(context, "gamma").values():
        record_answer(context, row.id, Rating.Easy, now=START, scheduler=SCHEDULER)
    now = FakeNow(START + timedelta(days=2))
    clock = StudyClock(4, timezone.utc, now)
    assert ReviewQueue(context, clock, SCHEDULER).next_card().topic_id != "gamma"  # nothing of gamma is due
    before = rows(context, "gamma")
    quiz = Quiz(context, "B1", clock=clock, scheduler=SCHEDULER)  # by code
    assert quiz.topic.id == "gamma" and quiz.size == 3
    seen = []
    while (card := quiz.next_card()) is not None:
        seen.append(card.card_key)
        rating = Rating.Again if card.card_key == "gamma/r2" else Rating.Good
        quiz.answer(card.card_id, rating, duration_ms=2000)
        expected, _ = SCHEDULER.review_card(card_from_row(before[card.card_key], now.value), rating, now.value, 2000)
        got = card_from_row(rows(context, "gamma")[card.card_key], now.value)
        assert got.to_dict() == expected.to_dict()  # exactly one review, nothing more
        now.advance(seconds=30)
    assert sorted(seen) == ["gamma/r1", "gamma/r2", "gamma/r3"] and len(seen) == 3
    with context.store.session() as session:
        modes = session.exec(select(ReviewLog.mode).where(ReviewLog.mode == "quiz")).all()
    assert len(modes) == 3
    result = quiz.finish()
    assert (result.answered, result.recalled, result.level.value) == (3, 2, "partial")
    with context.store.session() as session:
        [assessment] = session.exec(select(Assessment)).all()
    assert (assessment.topic_id, assessment.assessor, assessment.evidence) == ("gamma", "quiz", "quiz: 2/3 cards recalled")
    assert quiz.finish() is result  # recorded once
    with pytest.raises(AnswerError):
        quiz.answer(before["gamma/r1"].id, Rating.Good)


def test_quiz_answers_do_not_use_up_the_daily_limits_and_undo_puts_the_card_back(context):
    now = FakeNow(START)
    clock = StudyClock(4, timezone.utc, now)
    queue = ReviewQueue(context, clock, SCHEDULER)
    quiz = Quiz(context, "alpha", clock=clock, scheduler=SCHEDULER)
    assert [quiz.next_card().card_key] == ["alpha/r1"]  # new cards in file order
    first = quiz.answer(quiz.next_card().card_id, Rating.Good)
    second_card = quiz.next_card()
    assert second_card.card_key == "alpha/m1" and quiz.position == 1
    assert queue.counts().new_done == 0
    quiz.undo(first.log_id)
    assert quiz.position == 0 and quiz.next_card().card_key == "alpha/r1"
    with pytest.raises(AnswerError):
        quiz.answer(99999, Rating.Good)


def test_quiz_that_cannot_start_says_why(context):
    with pytest.raises(QuizError, match="no topic called"):
        Quiz(context, "delta")
    with context.store.session() as session:
        for row in session.exec(select(CardState).where(CardState.topic_id == "beta")).all():
            row.suspended = True
    with pytest.raises(QuizError, match="no cards to quiz"):
        Quiz(context, "beta")
