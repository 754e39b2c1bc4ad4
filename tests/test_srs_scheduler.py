"""The queue drives fsrs exactly: every card ends where fsrs alone would put it."""

from datetime import datetime, timedelta, timezone

import pytest
from dltui.srs import ReviewQueue, StudyClock, sync_cards
from dltui.srs.scheduler import card_from_row, interval_label, preview_intervals, restore_row, review, snapshot_row
from dltui.store.models import CardState, ReviewLog
from fsrs import Card, Rating, Scheduler, State
from sqlmodel import select
from srs_support import FakeNow, open_context

START = datetime(2026, 2, 2, 14, 0, tzinfo=timezone.utc)


@pytest.fixture
def context(tmp_path):
    ctx = open_context(tmp_path, new_cards_per_day=3, reviews_per_day=50)
    sync_cards(ctx)
    yield ctx
    ctx.close()


def _rating_for(card_key: str, day: int, step: int) -> Rating:
    # A fixed, varied script: every rating occurs, lapses included, no randomness.
    return Rating(1 + (sum(map(ord, card_key)) + 3 * day + step) % 4)


def test_scripted_reviews_through_the_queue_match_fsrs_exactly(context):
    now = FakeNow(START)
    scheduler = Scheduler(enable_fuzzing=False)
    queue = ReviewQueue(context, StudyClock(4, timezone.utc, now), scheduler)
    direct: dict[int, Card] = {}  # what plain fsrs says, card by card
    direct_logs = []
    answers = 0
    for day in range(45):
        now.value = START + timedelta(days=day)
        for step in range(40):
            card = queue.next_card()
            if card is None:
                break
            rating = _rating_for(card.card_key, day, step)
            duration = 1000 + step
            queue.answer(card.card_id, rating, duration_ms=duration)
            mirror = direct.get(card.card_id) or Card(card_id=card.card_id)
            direct[card.card_id], log = scheduler.review_card(mirror, rating, now.value, duration)
            direct_logs.append(log)
            answers += 1
            now.advance(minutes=3)
    assert answers >= 50 and len(direct) == 8, "the script should review every card several times"
    with context.store.session() as session:
        rows = {row.id: row for row in session.exec(select(CardState)).all()}
        logs = session.exec(select(ReviewLog).order_by(ReviewLog.id)).all()
    for card_id, expected in direct.items():
        got = card_from_row(rows[card_id], now.value)
        assert (got.state, got.step, got.stability, got.difficulty, got.due, got.last_review) == (
            expected.state,
            expected.step,
            expected.stability,
            expected.difficulty,
            expected.due,
            expected.last_review,
        ), rows[card_id].card_key
    assert [(log.card_id, log.rating, log.reviewed_at, log.duration_ms) for log in logs] == [
        (log.card_id, int(log.rating), log.review_datetime, log.review_duration) for log in direct_logs
    ]
    lapses = {row.id: row.lapses for row in rows.values()}
    assert any(lapses.values()), "the script includes forgotten review cards"


def test_snapshot_round_trip_is_exact(context):
    now = START
    scheduler = Scheduler(enable_fuzzing=False)
    with context.store.session() as session:
        row = session.exec(select(CardState)).first()
        card, _ = scheduler.review_card(card_from_row(row, now), Rating.Easy, now)
        card, _ = scheduler.review_card(card, Rating.Hard, now + timedelta(days=9, seconds=1.234567))
        from dltui.srs.scheduler import apply_card

        apply_card(row, card)
        row.lapses, row.reps = 3, 2
        snapshot = snapshot_row(row)
    with context.store.session() as session:
        loaded = session.get(CardState, row.id)
        assert snapshot_row(loaded) == snapshot  # survives the database
        restored = CardState(card_key="x", topic_id="alpha")
        restore_row(restored, snapshot)
        assert snapshot_row(restored) == snapshot
        assert card_from_row(restored, now).due == card.due and card_from_row(restored, now).stability == card.stability


def test_new_row_is_fsrs_fresh_card(context):
    with context.store.session() as session:
        row = session.exec(select(CardState)).first()
    card = card_from_row(row, START)
    assert (card.card_id, card.state, card.step, card.stability, card.difficulty, card.last_review) == (
        row.id,
        State.Learning,
        0,
        None,
        None,
        None,
    )


def test_preview_shows_what_each_rating_gives_without_changing_the_card():
    scheduler = Scheduler(enable_fuzzing=True)
    card = Card(card_id=7, state=State.Review, stability=30.0, difficulty=5.0, due=START, last_review=START - timedelta(days=30))
    before = card.to_dict()
    intervals = preview_intervals(scheduler, card, START)
    steady = Scheduler(enable_fuzzing=False)
    for rating in Rating:
        # Fuzz included, and the same fuzz the answer will get: shown is given.
        assert intervals[rating] == review(scheduler, card, rating, START).due - START
        unfuzzed = steady.review_card(card, rating, START)[0].due - START
        assert abs(intervals[rating] - unfuzzed) <= max(timedelta(days=1), unfuzzed * 0.1)
    assert card.to_dict() == before
    assert intervals[Rating.Again] < intervals[Rating.Hard] < intervals[Rating.Good] < intervals[Rating.Easy]


@pytest.mark.parametrize(
    "interval, label",
    [
        (timedelta(seconds=20), "1m"),
        (timedelta(minutes=10), "10m"),
        (timedelta(hours=5), "5h"),
        (timedelta(days=3), "3d"),
        (timedelta(days=75), "2.5mo"),
        (timedelta(days=800), "2.2y"),
    ],
)
def test_interval_labels(interval, label):
    assert interval_label(interval) == label
