"""Stats count study days in the learner's time zone."""

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from dltui.srs import StudyClock, review_stats, sync_cards
from dltui.srs.report import sparkline, stats_report
from dltui.srs.stats import heatmap_grid
from dltui.store.models import CardState, ReviewLog
from sqlmodel import select
from srs_support import open_context

TOKYO = ZoneInfo("Asia/Tokyo")


def local(*args) -> datetime:
    return datetime(*args, tzinfo=TOKYO).astimezone(timezone.utc)


def add_logs(context, entries):
    """entries: (local moment, rating, state before, mode)."""
    with context.store.session() as session:
        card_id = session.exec(select(CardState.id)).first()
        for moment, rating, state, mode in entries:
            session.add(ReviewLog(card_id=card_id, rating=rating, reviewed_at=moment, mode=mode, state_before={"state": state}))


def test_today_streak_retention_heatmap_in_local_days(tmp_path):
    context = open_context(tmp_path, day_starts_at_hour=4)
    sync_cards(context)
    add_logs(
        context,
        [
            (local(2026, 3, 1, 12), 3, 2, "review"),  # an older day, then a gap on 2 March
            (local(2026, 3, 3, 10), 3, 2, "review"),
            (local(2026, 3, 4, 2, 30), 1, 2, "review"),  # 02:30 still belongs to 3 March
            (local(2026, 3, 4, 21), 3, 0, "review"),  # a new card: not part of retention
            (local(2026, 3, 5, 8), 4, 2, "quiz"),  # a quiz answer: a study day, not retention
            (local(2026, 3, 6, 9), 2, 2, "review"),
            (local(2026, 3, 6, 9, 5), 3, 1, "review"),
        ],
    )
    now = local(2026, 3, 6, 23, 0)
    stats = review_stats(context, StudyClock(4, TOKYO, lambda: now))
    assert stats.today == date(2026, 3, 6)
    assert stats.reviews_today == 2
    assert stats.streak_days == 4  # 3, 4, 5 and 6 March
    assert stats.heatmap == {date(2026, 3, 1): 1, date(2026, 3, 3): 2, date(2026, 3, 4): 1, date(2026, 3, 5): 1, date(2026, 3, 6): 2}
    assert (stats.retention, stats.retention_reviews) == (3 / 4, 4)
    # The next morning before any review the streak still stands; a day later it is broken.
    tomorrow = review_stats(context, StudyClock(4, TOKYO, lambda: local(2026, 3, 7, 12)))
    assert (tomorrow.reviews_today, tomorrow.streak_days) == (0, 4)
    assert review_stats(context, StudyClock(4, TOKYO, lambda: local(2026, 3, 8, 12))).streak_days == 0
    context.close()


def test_forecast_counts_due_cards_per_day(tmp_path):
    context = open_context(tmp_path, day_starts_at_hour=4)
    sync_cards(context)
    now = local(2026, 3, 6, 12)
    dues = [
        now - timedelta(days=3),
        now + timedelta(hours=1),
        local(2026, 3, 7, 3),
        local(2026, 3, 7, 5),
        now + timedelta(days=10),
        now + timedelta(days=45),
    ]
    with context.store.session() as session:
        rows = session.exec(select(CardState).order_by(CardState.id)).all()
        for row, due in zip(rows, dues):
            row.state, row.due, row.stability, row.last_review = 2, due, 5.0, now - timedelta(days=5)
        rows[len(dues)].state, rows[len(dues)].due, rows[len(dues)].suspended = 2, now, True  # left out
    stats = review_stats(context, StudyClock(4, TOKYO, lambda: now))
    assert len(stats.forecast) == 30
    assert stats.forecast[0] == 3  # overdue + later today + 03:00 tomorrow (before the roll-over)
    assert stats.forecast[1] == 1 and stats.forecast[10] == 1 and sum(stats.forecast) == 5
    assert stats.cards_total == 8 and stats.cards_new == 1 and stats.cards_suspended == 1
    assert set(stats.domain_mastery) == {"A", "B"} and all(0 <= v <= 1 for v in stats.domain_mastery.values())
    report = stats_report(stats, {"A": "Letters", "B": "Greek"})
    assert "streak 0 days" in report and "today 3 · tomorrow 1" in report and "Letters" in report
    context.close()


def test_heatmap_grid_and_sparkline():
    today = date(2026, 3, 4)  # a Wednesday
    grid = heatmap_grid({today: 8, date(2026, 3, 2): 2, date(2026, 2, 25): 5}, today, weeks=2)
    assert len(grid) == 7 and all(len(row) == 2 for row in grid)
    assert [row[1] for row in grid] == [1, 0, 4, None, None, None, None]  # Mon 2, Tue 3, Wed 4 March
    assert grid[2][0] == 3  # Wed 25 February: 5 of 8
    assert sparkline([0, 1, 2, 4]) == "▁▃▅█"  # zero is the floor; 4 is the top
    assert sparkline([0, 0]) == "▁▁"
