"""The daily queue: order, per-day limits, day roll-over in local time, held-back topics, bury."""

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from dltui.srs import ReviewQueue, StudyClock, record_answer, sync_cards
from dltui.srs.scheduler import retrievability
from dltui.store.models import Assessment, AssessmentLevel, CardState
from fsrs import Rating, Scheduler, State
from sqlmodel import select
from srs_support import FakeNow, open_context

NEW_YORK = ZoneInfo("America/New_York")
SCHEDULER = Scheduler(enable_fuzzing=False)


def make_context(tmp_path, **settings):
    context = open_context(tmp_path, **settings)
    sync_cards(context)
    return context


def card_id(context, key: str) -> int:
    with context.store.session() as session:
        return session.exec(select(CardState.id).where(CardState.card_key == key)).one()


def answer(context, key: str, rating: Rating, when: datetime) -> None:
    record_answer(context, card_id(context, key), rating, now=when.astimezone(timezone.utc), scheduler=SCHEDULER)


def queue_at(context, now: FakeNow, zone=timezone.utc, hour: int = 4) -> ReviewQueue:
    return ReviewQueue(context, StudyClock(hour, zone, now), SCHEDULER)


def drain(queue: ReviewQueue, rating: Rating = Rating.Good, limit: int = 50) -> list[str]:
    keys = []
    while (card := queue.next_card()) is not None and len(keys) < limit:
        keys.append(card.card_key)
        queue.answer(card.card_id, rating)
    return keys


def test_new_cards_come_topic_by_topic_in_prerequisite_order(tmp_path):
    context = make_context(tmp_path, new_cards_per_day=20)
    queue = queue_at(context, FakeNow(datetime(2026, 1, 5, 12, tzinfo=timezone.utc)))
    # Easy sends each new card straight to review, so only the introduction order shows.
    assert drain(queue, Rating.Easy) == ["alpha/r1", "alpha/m1", "alpha/n1", "beta/r1", "beta/r2", "gamma/r1", "gamma/r2", "gamma/r3"]
    context.close()


def test_topic_with_weak_prerequisite_is_held_back_with_reason(tmp_path):
    # No reviews allowed today: forgotten alpha cards cannot be refreshed, so beta must wait.
    context = make_context(tmp_path, new_cards_per_day=20, reviews_per_day=0)
    now = FakeNow(datetime(2026, 1, 5, 12, tzinfo=timezone.utc))
    queue = queue_at(context, now)
    [held] = queue.held_back()
    assert (held.topic_id, held.new_cards) == ("beta", 2)
    assert "Alpha first (3 cards not introduced)" in held.reason
    for key in ("alpha/r1", "alpha/m1", "alpha/n1"):
        answer(context, key, Rating.Easy, now.value)
    assert queue.held_back() == []
    # A hundred days without review: alpha is mostly forgotten, so beta waits again.
    now.advance(days=100)
    [held] = queue.held_back()
    assert held.topic_id == "beta" and "Alpha recalled better (recall" in held.reason
    assert drain(queue, Rating.Easy) == ["gamma/r1", "gamma/r2", "gamma/r3"]
    # Relearned (answered outside the limit, as in a quiz): beta comes next.
    for key in ("alpha/r1", "alpha/m1", "alpha/n1"):
        answer(context, key, Rating.Good, now.value)
    assert queue.held_back() == []
    assert queue.next_card().card_key == "beta/r1"
    with context.store.session() as session:
        session.add(Assessment(topic_id="alpha", level=AssessmentLevel.NEEDS_WORK, created_at=now.value))
    [held] = queue.held_back()
    assert "Alpha reworked" in held.reason
    assert queue.next_card() is None
    context.close()


def test_due_reviews_come_lowest_retrievability_first(tmp_path):
    context = make_context(tmp_path, new_cards_per_day=20, reviews_per_day=100)
    start = datetime(2026, 1, 5, 12, tzinfo=timezone.utc)
    keys = ["alpha/r1", "alpha/m1", "alpha/n1", "beta/r1", "beta/r2", "gamma/r1", "gamma/r2", "gamma/r3"]
    for index, key in enumerate(keys):
        when = start + timedelta(days=index, hours=index)
        if index % 2:
            answer(context, key, Rating.Easy, when)
        else:  # two steps in learning, then review with a smaller stability
            answer(context, key, Rating.Good, when)
            answer(context, key, Rating.Good, when + timedelta(minutes=10))
    now = FakeNow(start + timedelta(days=40))
    with context.store.session() as session:
        rows = session.exec(select(CardState)).all()
    assert {row.state for row in rows} == {int(State.Review)}
    expected = [row.card_key for row in sorted(rows, key=lambda r: retrievability(SCHEDULER, r, now.value))]
    assert len({round(retrievability(SCHEDULER, r, now.value), 9) for r in rows}) == len(rows)  # no ties
    assert drain(queue_at(context, now), Rating.Easy) == expected
    context.close()


def test_learning_steps_due_come_before_reviews_and_new_cards(tmp_path):
    context = make_context(tmp_path, new_cards_per_day=20)
    now = FakeNow(datetime(2026, 1, 5, 12, tzinfo=timezone.utc))
    answer(context, "gamma/r1", Rating.Easy, now.value)  # review, due in days
    answer(context, "alpha/r1", Rating.Again, now.value)  # learning, due in a minute
    now.advance(days=30)
    assert queue_at(context, now).next_card().card_key == "alpha/r1"
    context.close()


def test_new_card_limit_and_day_roll_over_in_local_time(tmp_path):
    context = make_context(tmp_path, new_cards_per_day=2, day_starts_at_hour=4)
    # 23:00 on Saturday 7 March 2026 in New York (EST); the clocks go forward that night.
    now = FakeNow(datetime(2026, 3, 7, 23, 0, tzinfo=NEW_YORK))
    queue = queue_at(context, now, NEW_YORK, 4)
    assert drain(queue, Rating.Easy) == ["alpha/r1", "alpha/m1"]
    counts = queue.counts()
    assert (counts.new, counts.new_done) == (0, 2)
    now.value = datetime(2026, 3, 8, 3, 59, tzinfo=NEW_YORK).astimezone(timezone.utc)  # EDT now, same study day
    assert queue.next_card() is None
    now.value = datetime(2026, 3, 8, 4, 0, tzinfo=NEW_YORK).astimezone(timezone.utc)
    assert queue.counts().new_done == 0
    assert drain(queue, Rating.Easy) == ["alpha/n1", "beta/r1"]
    day = queue.clock.day()
    assert (day.start, day.end - day.start) == (datetime(2026, 3, 8, 8, tzinfo=timezone.utc), timedelta(hours=24))
    previous = queue.clock.day(day.start - timedelta(seconds=1))
    assert previous.date.isoformat() == "2026-03-07" and previous.end - previous.start == timedelta(hours=23)
    context.close()


def test_review_limit_holds_until_the_next_day(tmp_path):
    context = make_context(tmp_path, new_cards_per_day=20, reviews_per_day=2)
    start = datetime(2026, 1, 5, 12, tzinfo=timezone.utc)
    for key in ("gamma/r1", "gamma/r2", "gamma/r3", "alpha/r1"):
        answer(context, key, Rating.Easy, start)
    now = FakeNow(start + timedelta(days=30))  # all four are due; new cards are all that is left besides
    queue = queue_at(context, now)
    with context.store.session() as session:  # keep the new cards out of the way
        for row in session.exec(select(CardState).where(CardState.state == 0)).all():
            row.suspended = True
    assert len(drain(queue, Rating.Good)) == 2
    counts = queue.counts()
    assert (counts.reviews, counts.reviews_done) == (0, 2)
    now.advance(hours=20)  # 08:00 the next day: past the 04:00 roll-over
    assert len(drain(queue, Rating.Good)) == 2
    context.close()


def test_bury_until_tomorrow_suspend_and_retired_cards_stay_out(tmp_path):
    context = make_context(tmp_path, new_cards_per_day=20)
    now = FakeNow(datetime(2026, 1, 5, 12, tzinfo=timezone.utc))
    queue = queue_at(context, now)
    first = queue.next_card()
    assert first.card_key == "alpha/r1"
    previous = queue.bury(first.card_id)
    assert previous is None
    assert queue.next_card().card_key == "alpha/m1"
    queue.suspend(queue.next_card().card_id)
    with context.store.session() as session:
        session.get(CardState, card_id(context, "alpha/n1")).retired = True
    assert queue.next_card().card_key == "gamma/r1"  # beta waits for alpha, which is buried
    now.advance(hours=16)  # 04:00 tomorrow
    assert queue.next_card().card_key == "alpha/r1"
    queue.unbury(first.card_id, previous)
    context.close()


@pytest.mark.parametrize("hour", [0, 4, 23])
def test_study_day_contains_its_moments(hour):
    clock = StudyClock(hour, NEW_YORK, lambda: datetime(2026, 11, 1, 5, 30, tzinfo=timezone.utc))
    for offset in range(0, 72):
        moment = datetime(2026, 10, 31, tzinfo=timezone.utc) + timedelta(hours=offset, minutes=17)
        day = clock.day(moment)
        assert day.start <= moment < day.end
        assert day.start.astimezone(NEW_YORK).hour == hour


# -- the due list kept in memory follows other connections (another dltui, the tutor, a quiz) --

SQL_ORDER = """
    SELECT card_key FROM cardstate
    WHERE state = 2 AND due <= :now AND NOT retired AND NOT suspended
      AND (buried_until IS NULL OR buried_until <= :now)
    ORDER BY CAST(:julian - julianday(last_review) AS INTEGER) * 1.0 / stability DESC, due, id
"""


def all_reviews_due(tmp_path):
    """Every card a review, due at NOW, learned on different days (so recall differs)."""
    context = make_context(tmp_path, new_cards_per_day=20, reviews_per_day=100)
    keys = ["alpha/r1", "alpha/m1", "alpha/n1", "beta/r1", "beta/r2", "gamma/r1", "gamma/r2", "gamma/r3"]
    for days, key in enumerate(keys):
        answer(context, key, Rating.Good, NOW - timedelta(days=60 + 7 * days))
        answer(context, key, Rating.Good, NOW - timedelta(days=40 + 3 * days))
    return context, keys


def other_connection(context):
    """A second StudyContext on the same file, as another process or the tutor's tools hold."""
    return open_context(context.settings.db_path.parent.parent)


NOW = datetime(2026, 6, 15, 12, tzinfo=timezone.utc)


def sql_order(context) -> list[str]:
    import sqlite3

    with sqlite3.connect(context.settings.db_path) as connection:
        stamp = NOW.strftime("%Y-%m-%d %H:%M:%S.%f")
        rows = connection.execute(SQL_ORDER, {"now": stamp, "julian": NOW.timestamp() / 86400.0 + 2440587.5})
        return [key for (key,) in rows]


def test_due_reviews_come_in_the_sql_order(tmp_path):
    context, keys = all_reviews_due(tmp_path)
    expected = sql_order(context)
    assert sorted(expected) == sorted(keys)
    assert drain(queue_at(context, FakeNow(NOW)), Rating.Easy) == expected
    context.close()


def test_a_card_answered_or_suspended_elsewhere_leaves_the_queue(tmp_path):
    context, _ = all_reviews_due(tmp_path)
    first, second, third = sql_order(context)[:3]
    queue = queue_at(context, FakeNow(NOW))
    assert queue.next_card().card_key == first
    other = other_connection(context)
    answer(other, first, Rating.Easy, NOW)  # another dltui answers it
    assert queue.next_card().card_key == second
    with other.store.session() as session:  # the browser of another process suspends the next
        session.get(CardState, card_id(other, second)).suspended = True
    assert queue.next_card().card_key == third
    other.close()
    context.close()


def test_a_card_made_due_elsewhere_joins_the_queue_in_its_place(tmp_path):
    context, _ = all_reviews_due(tmp_path)
    first = sql_order(context)[0]
    with context.store.session() as session:  # not due until tomorrow
        session.get(CardState, card_id(context, first)).due = NOW + timedelta(days=1)
    queue = queue_at(context, FakeNow(NOW))
    assert queue.next_card().card_key != first
    other = other_connection(context)
    with other.store.session() as session:  # another process takes its answer back: due again
        session.get(CardState, card_id(other, first)).due = NOW - timedelta(days=1)
    assert queue.next_card().card_key == first == sql_order(context)[0]
    other.close()
    context.close()


def test_a_card_added_elsewhere_shows_up(tmp_path):
    context = make_context(tmp_path, new_cards_per_day=20)
    queue = queue_at(context, FakeNow(NOW))
    assert drain(queue, Rating.Easy)  # every card answered: nothing left today
    assert queue.next_card() is None
    other = other_connection(context)
    from dltui.srs import add_card

    add_card(other, "gamma", "A card from the tutor?", "Yes", source="chat", origin="tutor")
    assert queue.next_card().content.front == "A card from the tutor?"
    other.close()
    context.close()


def test_a_card_that_comes_due_while_the_queue_is_open_joins_it(tmp_path):
    context, _ = all_reviews_due(tmp_path)
    first = sql_order(context)[0]
    with context.store.session() as session:
        session.get(CardState, card_id(context, first)).due = NOW + timedelta(minutes=5)
    now = FakeNow(NOW)
    queue = queue_at(context, now)
    assert queue.next_card().card_key != first
    now.value += timedelta(minutes=10)
    assert queue.next_card().card_key == first
    context.close()


def test_todays_counts_through_the_open_queue_agree_with_a_fresh_read(tmp_path):
    from dltui.srs.today import today_counts

    context = make_context(tmp_path, new_cards_per_day=5, reviews_per_day=3)
    now = FakeNow(datetime(2026, 1, 5, 12, tzinfo=timezone.utc))
    queue = queue_at(context, now)

    def agree() -> None:
        assert queue.counts() == queue_at(context, now).counts()
        assert today_counts(context, queue.clock, queue) == today_counts(context, queue.clock)

    agree()
    for rating in (Rating.Easy, Rating.Again, Rating.Good):  # a new card introduced, a step, ...
        card = queue.next_card()
        agree()
        queue.answer(card.card_id, rating)
        agree()
    queue.bury(queue.next_card().card_id)
    agree()
    answer(context, "gamma/r1", Rating.Easy, now.value)  # answered elsewhere (a quiz, another dltui)
    agree()
    now.advance(days=1)  # a new study day: nothing done yet
    agree()
    assert today_counts(context, queue.clock, queue).done == 0
    context.close()
