"""Today's numbers, defined once: "done today", "due today" and "retention".

Every screen and command that shows them reads them from here (the Review header, the stats view
and `dltui review stats`, Progress and the tracker, `dltui progress --json`, the tutor's prompt),
so no two can disagree. "Today" is the study day: it starts at ``day_starts_at_hour`` local time.

- **done today**: answers given since the study day began, in any mode (review or quiz), each
  answer once. Learning steps count; an answer taken back with undo does not.
- **due today**: what the review queue still holds for the rest of the study day: learning and
  relearning steps due before the day ends, review cards due before the day ends (at most what
  ``reviews_per_day`` still allows), and the new cards ``new_cards_per_day`` still allows whose
  topics are not held back by weak prerequisites (the queue's own rule). Suspended, retired and
  buried cards are left out.
- **retention (30 days)**: of the answers in review mode during the last 30 study days to cards
  that had already graduated (fsrs review state before the answer), the share not rated Again.
  New cards, learning steps and quiz answers are left out: they measure learning, not
  remembering. Until there is such an answer it is None, and `retention_label` says so with the
  number of answers given, never "no reviews yet" after a day of answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from fsrs import Rating, State
from sqlalchemy import case, func, or_
from sqlmodel import col, select

from dltui.srs.days import StudyClock
from dltui.store.models import CardState, ReviewLog

if TYPE_CHECKING:
    from dltui.context import StudyContext
    from dltui.srs.queue import ReviewQueue

RETENTION_DAYS = 30


@dataclass(frozen=True)
class DueToday:
    """What the Review header shows after every answer: cheap, no 30-day look back."""

    date: date  # the study day
    done: int  # answers given today
    learning: int  # learning/relearning steps due before the day ends
    reviews: int  # review cards due before the day ends, within today's review limit
    new: int  # new cards today's limit still allows (not held back)

    @property
    def due(self) -> int:
        return self.learning + self.reviews + self.new


@dataclass(frozen=True)
class Today(DueToday):
    retention: float | None  # see the module docstring
    retention_answers: int  # answers the retention is worked out from
    answers_30d: int  # every answer in the same 30 days (for the label)


def due_today(context: StudyContext, clock: StudyClock | None = None, queue: ReviewQueue | None = None) -> DueToday:
    """Done and due today for this database, as of the clock's now. ``queue``: the review screen's
    own (same clock), which already knows today's answers and the held-back topics for this moment."""
    from dltui.srs.queue import ReviewQueue  # the queue decides which new cards are allowed today

    clock = clock or StudyClock.for_settings(context.settings)
    now = clock.now()
    day = clock.day(now)
    reviews_done, new = (queue or ReviewQueue(context, clock)).reviews_done_and_new()
    with context.store.read() as session:
        done = session.exec(
            select(func.count(col(ReviewLog.id))).where(ReviewLog.reviewed_at >= day.start, ReviewLog.reviewed_at < day.end)
        ).one()
        due_by_state = dict(
            session.exec(
                select(CardState.state, func.count(col(CardState.id)))
                .where(
                    CardState.retired == False,  # noqa: E712
                    CardState.suspended == False,  # noqa: E712
                    col(CardState.due) < day.end,
                    or_(col(CardState.buried_until) == None, col(CardState.buried_until) <= now),  # noqa: E711
                )
                .group_by(col(CardState.state))
            ).all()
        )
    learning = due_by_state.get(int(State.Learning), 0) + due_by_state.get(int(State.Relearning), 0)
    allowance = max(0, context.settings.reviews_per_day - reviews_done)
    reviews = min(due_by_state.get(int(State.Review), 0), allowance)
    return DueToday(date=day.date, done=done, learning=learning, reviews=reviews, new=new)


def today_counts(context: StudyContext, clock: StudyClock | None = None, queue: ReviewQueue | None = None) -> Today:
    """``due_today`` and the 30-day retention (which reads a month of answers: not for every key)."""
    clock = clock or StudyClock.for_settings(context.settings)
    due = due_today(context, clock, queue)
    since = clock.start_of(due.date - timedelta(days=RETENTION_DAYS - 1))
    state_before = func.json_extract(ReviewLog.state_before, "$.state")
    recalled = func.sum(case((col(ReviewLog.rating) != int(Rating.Again), 1), else_=0))
    with context.store.read() as session:
        # Counted in SQL: fetching each of a month's ratings cost ~160 ms at 1M answers.
        answers, recalled_answers = session.exec(
            select(func.count(col(ReviewLog.id)), recalled).where(
                ReviewLog.reviewed_at >= since, ReviewLog.mode == "review", state_before == int(State.Review)
            )
        ).one()
        answers_30d = session.exec(select(func.count(col(ReviewLog.id))).where(ReviewLog.reviewed_at >= since)).one()
    return Today(
        **vars(due),
        retention=(recalled_answers or 0) / answers if answers else None,
        retention_answers=answers,
        answers_30d=answers_30d,
    )


def retention_label(today: Today) -> str:
    """Retention in words: "75% of 4", or why there is no figure yet."""
    if today.retention is not None:
        return f"{today.retention:.0%} of {today.retention_answers}"
    if not today.answers_30d:
        return "not measured yet (no answers yet)"
    plural = "s" if today.answers_30d != 1 else ""
    return f"not measured yet ({today.answers_30d} answer{plural}, none to a card already learned)"
