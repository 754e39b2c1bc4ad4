"""Review statistics as plain text, for `dltui review stats` and the stats view."""

from __future__ import annotations

from datetime import timedelta

from dltui.srs.stats import ReviewStats, heatmap_grid
from dltui.text_charts import sparkline as spark_line
from dltui.text_charts import text_bar as bar

HEAT = "·░▒▓█"
WEEKDAYS = ("Mon", "", "Wed", "", "Fri", "", "Sun")


def sparkline(values: list[int]) -> str:
    """Counts of cards due: zero is the floor, so a quiet day looks quiet."""
    return spark_line(values, low=0)


def summary_line(stats: ReviewStats) -> str:
    """Done today, due today and retention as srs.today defines them, and the streak."""
    days = "day" if stats.streak_days == 1 else "days"
    return (
        f"Today: {stats.reviews_today} answers · due today {stats.due_today} · streak {stats.streak_days} {days} · "
        f"retention (30 d): {stats.retention_text}"
    )


def forecast_lines(stats: ReviewStats) -> list[str]:
    week = sum(stats.forecast[:7])
    return [
        f"Due, next {len(stats.forecast)} days: {sparkline(stats.forecast)}",
        f"  cards seen before, due: today {stats.forecast[0]} · tomorrow {stats.forecast[1] if len(stats.forecast) > 1 else 0}"
        f" · 7 days {week} · {len(stats.forecast)} days {sum(stats.forecast)}",
    ]


def heatmap_lines(stats: ReviewStats, weeks: int = 26) -> list[str]:
    grid = heatmap_grid(stats.heatmap, stats.today, weeks)
    first = stats.today - timedelta(days=stats.today.weekday() + 7 * (weeks - 1))
    lines = [f"Review days since {first:%d %b %Y}:"]
    for label, row in zip(WEEKDAYS, grid):
        lines.append(f"  {label:<3} " + "".join(" " if level is None else HEAT[level] for level in row))
    return lines


def mastery_lines(stats: ReviewStats, domain_titles: dict[str, str], width: int = 20) -> list[str]:
    lines = ["Mastery by domain:"]
    for domain_id, fraction in stats.domain_mastery.items():
        title = domain_titles.get(domain_id, domain_id)[:30]
        lines.append(f"  {domain_id} {title:<30} {bar(fraction, width)} {fraction:4.0%}")
    return lines


def stats_report(stats: ReviewStats, domain_titles: dict[str, str]) -> str:
    cards = f"Cards: {stats.cards_total} ({stats.cards_new} new, {stats.cards_suspended} suspended)"
    parts = [summary_line(stats), cards, "", *forecast_lines(stats), "", *heatmap_lines(stats), "", *mastery_lines(stats, domain_titles)]
    return "\n".join(parts)
