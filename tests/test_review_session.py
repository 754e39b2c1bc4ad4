"""The review session without a terminal: question, answer, rating, undo, bury, suspend, quiz."""

from datetime import datetime, timezone

import pytest
from dltui.srs import AnswerError, QuizError, StudyClock, sync_cards
from dltui.srs.session import ReviewSession, Stage, UndoKind
from dltui.store.models import CardState, ReviewLog
from fsrs import Rating, Scheduler
from sqlmodel import select
from srs_support import FakeNow, open_context

START = datetime(2026, 9, 14, 18, 0, tzinfo=timezone.utc)


@pytest.fixture
def session(tmp_path):
    context = open_context(tmp_path, new_cards_per_day=20)
    sync_cards(context)
    review = ReviewSession(context, StudyClock(4, timezone.utc, FakeNow(START)), Scheduler(enable_fuzzing=False))
    review.start_reviews()
    yield review
    context.close()


def row(session: ReviewSession, key: str) -> CardState:
    with session.context.store.session() as db:
        return db.exec(select(CardState).where(CardState.card_key == key)).one()


def log_count(session: ReviewSession) -> int:
    with session.context.store.session() as db:
        return len(db.exec(select(ReviewLog)).all())


def test_a_card_is_asked_revealed_and_rated(session):
    assert (session.stage, session.card.card_key) == (Stage.QUESTION, "alpha/r1")
    assert set(session.intervals) == set(Rating)
    with pytest.raises(AnswerError):
        session.rate(Rating.Good)  # not before the answer is shown
    assert session.reveal() and session.stage is Stage.ANSWER
    assert (session.correct, session.proposed) == (None, None)  # a recall card: the learner grades it
    assert not session.reveal()  # once
    answer = session.rate(Rating.Good)
    assert session.answered == [answer.log_id] and session.history[-1].kind is UndoKind.ANSWER
    assert (session.stage, session.card.card_key) == (Stage.QUESTION, "alpha/m1")


def test_a_wrong_choice_proposes_again_and_undo_brings_the_card_back(session):
    session.reveal()
    session.rate(Rating.Good)
    assert session.reveal("a")
    assert (session.correct, session.proposed) == (False, Rating.Again)
    session.rate(session.proposed)
    assert log_count(session) == 2
    step = session.undo()
    assert step.kind is UndoKind.ANSWER and log_count(session) == 1 and len(session.answered) == 1
    assert (session.stage, session.card.card_key, session.response) == (Stage.QUESTION, "alpha/m1", None)
    assert row(session, "alpha/m1").state == 0
    assert session.reveal("c") and (session.correct, session.proposed) == (True, Rating.Good)


def test_bury_and_suspend_are_undone_newest_first(session):
    session.bury()
    assert row(session, "alpha/r1").buried_until is not None and session.card.card_key == "alpha/m1"
    session.suspend()
    assert row(session, "alpha/m1").suspended
    assert session.undo().kind is UndoKind.SUSPEND and not row(session, "alpha/m1").suspended
    assert session.card.card_key == "alpha/m1"
    assert session.undo().kind is UndoKind.BURY and row(session, "alpha/r1").buried_until is None
    assert session.card.card_key == "alpha/r1" and session.history == []


def test_a_quiz_ends_with_its_score_and_the_queue_comes_back(session):
    with pytest.raises(QuizError):
        session.start_quiz("no such topic")
    quiz = session.start_quiz("gamma")
    assert session.quiz is quiz and session.card.topic_id == "gamma"
    for _ in range(quiz.size):
        session.reveal()
        session.rate(Rating.Good)
    assert session.stage is Stage.NO_CARD
    message = session.closing_message()
    assert message.title == "Quiz on Gamma done: 3/3 recalled · assessed strong."
    assert message.lines[0].startswith("This quiz: 3 answered") and session.history == []
    session.back_to_reviews()
    assert session.quiz is None and session.card.card_key == "alpha/r1"


def test_an_empty_queue_says_what_comes_next(session):
    while session.card is not None:
        session.reveal()
        session.rate(Rating.Easy)
    message = session.closing_message()
    assert message.title == "Nothing due right now. Well done."
    assert message.lines[0] == "This session: 8 answered · Again 0 · Hard 0 · Good 0 · Easy 8"


def test_with_no_card_asked_bury_suspend_and_undo_say_so(tmp_path):
    context = open_context(tmp_path)
    review = ReviewSession(context, StudyClock(4, timezone.utc, FakeNow(START)), Scheduler(enable_fuzzing=False))
    for change in (review.bury, review.suspend, review.undo):  # no deck chosen yet, nothing done
        with pytest.raises(AnswerError):
            change()
    assert review.show_next() is None and review.stage is Stage.NO_CARD
    assert review.closing_message().title == "Nothing due right now. Well done."
    context.close()
