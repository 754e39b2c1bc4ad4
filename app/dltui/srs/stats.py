"""Review statistics: today, the streak, true retention, the due forecast, the heatmap, mastery.

Every day here is a study day (it starts at ``day_starts_at_hour`` in the learner's time zone).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func
from sqlmodel import Session, col, select

from dltui.srs.days import StudyClock
from dltui.srs.mastery import topic_mastery
from dltui.srs.scheduler import NEW
from dltui.srs.today import retention_label, today_counts
from dltui.store.models import CardState, ReviewLog

if TYPE_CHECKING:
    from dltui.context import StudyContext

FORECAST_DAYS = 30
HEATMAP_DAYS = 26 * 7


@dataclass(frozen=True)
class ReviewStats:
    today: date
    reviews_today: int  # "done today" (srs.today)
    streak_days: int  # consecutive study days with a review, ending today (or yesterday)
    retention: float | None  # srs.today's retention (30 days)
    retention_reviews: int  # how many answers that share is based on
    forecast: list[int]  # cards already seen due per day: [0] is today's (srs.today), then the next days
    heatmap: dict[date, int]  # answers per study day, last 26 weeks (days without any left out)
    domain_mastery: dict[str, float]  # mean topic mastery per domain, 0..1
    cards_total: int
    cards_new: int
    cards_suspended: int
    due_today: int = 0  # srs.today's "due today" (new cards included)
    retention_text: str = ""  # srs.today.retention_label


def review_stats(context: StudyContext, clock: StudyClock | None = None) -> ReviewStats:
    clock = clock or StudyClock.for_settings(context.settings)
    now = clock.now()
    day = clock.day(now)
    with context.store.read() as session:
        heatmap = _answers_per_day(session, clock, day.date, HEATMAP_DAYS)
        streak = _streak(heatmap, day.date)
        window = HEATMAP_DAYS
        while streak >= window:  # a streak longer than the heatmap: look further back
            window *= 2
            streak = _streak(_answers_per_day(session, clock, day.date, window), day.date)
        forecast = [0] * FORECAST_DAYS
        horizon = clock.start_of(day.date + timedelta(days=FORECAST_DAYS))
        due_rows = session.exec(
            select(CardState.due).where(
                CardState.state != NEW,
                CardState.retired == False,  # noqa: E712
                CardState.suspended == False,  # noqa: E712
                col(CardState.due) < horizon,
            )
        ).all()
        for due in due_rows:
            if due is None:
                continue  # not scheduled (the query asks for due < horizon, so never)
            forecast[max(0, (clock.date_of(due) - day.date).days)] += 1
        counts = session.exec(
            select(
                func.count(col(CardState.id)),
                func.count(col(CardState.id)).filter(col(CardState.state) == NEW),
                func.count(col(CardState.id)).filter(col(CardState.suspended) == True),  # noqa: E712
            ).where(CardState.retired == False)  # noqa: E712
        ).one()
    numbers = today_counts(context, clock)  # done/due today and retention: one definition (srs.today)
    forecast[0] = numbers.learning + numbers.reviews
    mastery = topic_mastery(context, now=now)
    domain_mastery = {}
    for domain_id in context.curriculum.domains:
        fractions = [mastery[t.id].fraction for t in context.curriculum.topics_in(domain_id)]
        domain_mastery[domain_id] = sum(fractions) / len(fractions) if fractions else 0.0
    return ReviewStats(
        today=day.date,
        reviews_today=numbers.done,
        streak_days=streak,
        retention=numbers.retention,
        retention_reviews=numbers.retention_answers,
        forecast=forecast,
        heatmap=heatmap,
        domain_mastery=domain_mastery,
        cards_total=counts[0] or 0,
        cards_new=counts[1] or 0,
        cards_suspended=counts[2] or 0,
        due_today=numbers.due,
        retention_text=retention_label(numbers),
    )


def _answers_per_day(session: Session, clock: StudyClock, today: date, days: int) -> dict[date, int]:
    since = clock.start_of(today - timedelta(days=days - 1))
    moments = session.exec(select(ReviewLog.reviewed_at).where(ReviewLog.reviewed_at >= since)).all()
    return dict(Counter(clock.date_of(moment) for moment in moments))


def _streak(per_day: dict[date, int], today: date) -> int:
    """Days in a row with answers; a streak is not broken until today ends without one."""
    cursor = today if per_day.get(today) else today - timedelta(days=1)
    streak = 0
    while per_day.get(cursor):
        streak += 1
        cursor -= timedelta(days=1)
    return streak


def heatmap_grid(heatmap: dict[date, int], today: date, weeks: int = 26) -> list[list[int | None]]:
    """Seven rows (Monday first) by ``weeks`` columns of levels 0-4 (None: after today).

    Levels are quartiles of the busiest day, so the picture reads the same for light and heavy
    learners.
    """
    first = today - timedelta(days=today.weekday() + 7 * (weeks - 1))
    busiest = max(heatmap.values(), default=0)
    grid: list[list[int | None]] = [[None] * weeks for _ in range(7)]
    for column in range(weeks):
        for row in range(7):
            day = first + timedelta(days=7 * column + row)
            if day > today:
                continue
            count = heatmap.get(day, 0)
            grid[row][column] = 0 if not count else min(4, 1 + (4 * count - 1) // busiest) if busiest else 0
    return grid
