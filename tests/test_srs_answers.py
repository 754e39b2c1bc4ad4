"""Answers are committed with their log; undo restores exactly; leeches; cards from the tutor."""

from datetime import datetime, timedelta, timezone

import pytest
from dltui.srs import AnswerError, CardError, add_card, record_answer, sync_cards, undo_answer
from dltui.srs.answers import LEECH_LAPSES, propose_rating
from dltui.store.models import CardState, ReviewLog
from fsrs import Rating, Scheduler, State
from sqlalchemy import func
from sqlmodel import select
from srs_support import open_context

SCHEDULER = Scheduler(enable_fuzzing=False)
START = datetime(2026, 4, 1, 9, 30, tzinfo=timezone.utc)


@pytest.fixture
def context(tmp_path):
    ctx = open_context(tmp_path)
    sync_cards(ctx)
    yield ctx
    ctx.close()


def row_of(context, key: str) -> CardState:
    with context.store.session() as session:
        return session.exec(select(CardState).where(CardState.card_key == key)).one()


def all_columns(row: CardState) -> dict:
    return row.model_dump()


def log_count(context) -> int:
    with context.store.session() as session:
        return session.exec(select(func.count(ReviewLog.id))).one()


def test_answer_is_committed_with_its_log_and_duration(context):
    card = row_of(context, "alpha/n1")
    answer = record_answer(
        context, card.id, Rating.Good, duration_ms=4321, answer_given="42", auto_graded=True, now=START, scheduler=SCHEDULER
    )
    with context.store.session() as session:
        log = session.get(ReviewLog, answer.log_id)
        row = session.get(CardState, card.id)
    assert (log.rating, log.duration_ms, log.answer_given, log.auto_graded, log.mode) == (3, 4321, "42", True, "review")
    assert log.reviewed_at == START and log.state_before["state"] == 0
    assert (row.state, row.step, row.reps, row.introduced_at, row.last_review) == (int(State.Learning), 1, 1, START, START)
    assert answer.interval == timedelta(minutes=10)


def test_undo_restores_the_row_and_deletes_the_log_exactly(context):
    key = "gamma/r2"
    moments = [START, START + timedelta(minutes=10), START + timedelta(days=3), START + timedelta(days=3, minutes=10)]
    ratings = [Rating.Good, Rating.Good, Rating.Again, Rating.Hard]
    for when, rating in zip(moments, ratings):
        before = all_columns(row_of(context, key))
        logs_before = log_count(context)
        answer = record_answer(context, row_of(context, key).id, rating, now=when, scheduler=SCHEDULER)
        after = all_columns(row_of(context, key))
        assert after != before
        assert undo_answer(context, answer.log_id) == before["id"]
        assert all_columns(row_of(context, key)) == before
        assert log_count(context) == logs_before
        # and again for real, so the next round undoes from a reviewed state
        record_answer(context, row_of(context, key).id, rating, now=when, scheduler=SCHEDULER)
    assert row_of(context, key).lapses == 1


def test_only_the_latest_answer_of_a_card_can_be_undone(context):
    card_id = row_of(context, "alpha/r1").id
    first = record_answer(context, card_id, Rating.Good, now=START, scheduler=SCHEDULER)
    record_answer(context, card_id, Rating.Good, now=START + timedelta(minutes=10), scheduler=SCHEDULER)
    with pytest.raises(AnswerError, match="answered again since"):
        undo_answer(context, first.log_id)
    with pytest.raises(AnswerError, match="already gone"):
        undo_answer(context, 99999)


def test_leech_is_tagged_and_suspended_at_the_eighth_lapse(context):
    card_id = row_of(context, "beta/r1").id
    when = START
    answer = record_answer(context, card_id, Rating.Easy, now=when, scheduler=SCHEDULER)  # straight to review
    for lapse in range(1, LEECH_LAPSES + 1):
        when = answer.due + timedelta(hours=1)
        answer = record_answer(context, card_id, Rating.Again, now=when, scheduler=SCHEDULER)
        row = row_of(context, "beta/r1")
        assert row.lapses == lapse
        if lapse < LEECH_LAPSES:
            assert not (row.leech or row.suspended or answer.became_leech)
            assert answer.notice is None
            when = answer.due
            answer = record_answer(context, card_id, Rating.Good, now=when, scheduler=SCHEDULER)  # relearned
            assert row_of(context, "beta/r1").state == int(State.Review)
    assert row.leech and row.suspended and answer.became_leech
    assert "Leech" in answer.notice and "suspended" in answer.notice
    # Undoing the eighth lapse takes the leech tag back too.
    undo_answer(context, answer.log_id)
    row = row_of(context, "beta/r1")
    assert (row.lapses, row.leech, row.suspended) == (LEECH_LAPSES - 1, False, False)


def test_auto_graded_answers_propose_a_rating():
    assert propose_rating(True) is Rating.Good
    assert propose_rating(False) is Rating.Again
    assert propose_rating(None) is None


def test_bad_answers_are_refused_with_a_message(context):
    with pytest.raises(AnswerError, match="no card"):
        record_answer(context, 12345, Rating.Good, now=START)
    with pytest.raises(AnswerError, match="mode"):
        record_answer(context, row_of(context, "alpha/r1").id, Rating.Good, now=START, mode="cram")
    with pytest.raises(ValueError):
        record_answer(context, row_of(context, "alpha/r1").id, 5, now=START)


def test_add_card_from_the_tutor(context):
    card_id = add_card(context, "beta", "  What comes after beta? ", "gamma", "chat, 1 April", "tutor")
    again = add_card(context, "beta", "what comes   after BETA?", "Gamma!", "", "tutor")
    assert again == card_id
    with context.store.session() as session:
        row = session.get(CardState, card_id)
    assert (row.topic_id, row.origin, row.front, row.back, row.source, row.state) == (
        "beta",
        "tutor",
        "What comes after beta?",
        "gamma",
        "chat, 1 April",
        0,
    )
    assert row.card_key.startswith("tutor/beta/")
    assert add_card(context, "beta", "Another one?", "Yes", origin="gap") != card_id
    for bad, message in [
        (("nope", "q", "a"), "unknown topic"),
        (("beta", " ", "a"), "front"),
        (("beta", "q", ""), "back"),
    ]:
        with pytest.raises(CardError, match=message):
            add_card(context, *bad)
    with pytest.raises(CardError, match="origin"):
        add_card(context, "beta", "q", "a", origin="curriculum")
    sync_cards(context)  # a curriculum sync leaves tutor cards alone
    with context.store.session() as session:
        assert session.get(CardState, card_id).retired is False
