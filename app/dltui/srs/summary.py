"""The end of a review session or a quiz: what was answered, how it went, what tomorrow holds.

"Answers today" is today.py's "done today" (every answer of the study day, any mode). "Retention
today" is the share of those answers not rated Again: how today went, learning steps included,
unlike the 30-day retention of the stats, which counts only cards already learned.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from fsrs import Rating
from sqlmodel import col, select

from dltui.srs.days import StudyClock
from dltui.srs.scheduler import NEW
from dltui.srs.today import today_counts
from dltui.store.models import CardState, ReviewLog

if TYPE_CHECKING:
    from dltui.context import StudyContext


@dataclass(frozen=True)
class SessionSummary:
    answered: int
    ratings: dict[Rating, int]  # every rating, 0 when not given
    answers_today: int  # all answers of the study day, reviews and quizzes
    retention_today: float | None  # share of today's answers not rated Again; None before any
    due_tomorrow: int  # cards the learner will find due by the end of tomorrow

    def lines(self, title: str = "This session") -> list[str]:
        counts = " · ".join(f"{rating.name} {self.ratings[rating]}" for rating in Rating)
        retention = f"{self.retention_today:.0%} of {self.answers_today}" if self.retention_today is not None else "-"
        return [
            f"{title}: {self.answered} answered · {counts}",
            f"Retention today {retention} · Due tomorrow {self.due_tomorrow}",
        ]


def session_summary(context: StudyContext, log_ids: list[int], clock: StudyClock | None = None) -> SessionSummary:
    """Sum up the answers ``log_ids`` (those still recorded; undone ones are gone)."""
    clock = clock or StudyClock.for_settings(context.settings)
    day = clock.day()
    tomorrow_ends = day.end + timedelta(days=1)
    with context.store.read() as session:
        given = session.exec(select(ReviewLog.rating).where(col(ReviewLog.id).in_(log_ids))).all() if log_ids else []
        today = session.exec(select(ReviewLog.rating).where(ReviewLog.reviewed_at >= day.start, ReviewLog.reviewed_at < day.end)).all()
        due = session.exec(
            select(CardState.id).where(
                CardState.state != NEW,
                CardState.retired == False,  # noqa: E712
                CardState.suspended == False,  # noqa: E712
                col(CardState.due) < tomorrow_ends,
            )
        ).all()
    ratings = {rating: sum(1 for r in given if r == int(rating)) for rating in Rating}
    recalled = sum(1 for r in today if r != int(Rating.Again))
    done = today_counts(context, clock).done
    return SessionSummary(
        answered=len(given),
        ratings=ratings,
        answers_today=done,
        retention_today=recalled / done if done else None,
        due_tomorrow=len(due),
    )
