"""The stats view inside the Review area: today, streak, retention, forecast, heatmap, mastery."""

from __future__ import annotations

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from dltui.srs import ReviewStats
from dltui.srs.report import HEAT, forecast_lines, heatmap_lines, summary_line
from dltui.text_charts import text_bar

HEAT_STYLES = ("grey37", "green4", "green3", "green1", "bold bright_green")


class ReviewStatsView(VerticalScroll):
    DEFAULT_CSS = """
    ReviewStatsView { height: 1fr; padding: 0 1; }
    """

    def compose(self):
        yield Static(id="stats-text")

    def show(self, stats: ReviewStats, domain_titles: dict[str, str]) -> None:
        text = Text()
        text.append(summary_line(stats) + "\n", style="bold")
        text.append(f"Cards: {stats.cards_total} ({stats.cards_new} new, {stats.cards_suspended} suspended)\n\n")
        for line in forecast_lines(stats):
            text.append(line + "\n")
        text.append("\n")
        for line in heatmap_lines(stats):
            for character in line:
                level = HEAT.find(character)
                text.append(character, style=HEAT_STYLES[level] if level >= 0 and line.startswith("  ") else "")
            text.append("\n")
        text.append("\nMastery by domain\n", style="bold")
        # Whole titles ("Frameworks and implementation" is 29 wide); the bar gives way at 80 columns.
        width = max((len(domain_titles.get(d, d)) for d in stats.domain_mastery), default=0)
        for domain_id, fraction in stats.domain_mastery.items():
            title = domain_titles.get(domain_id, domain_id)
            text.append(f"  {domain_id} {title:<{width}} ")
            text.append(text_bar(fraction, 20), style="green")
            text.append(f" {fraction:4.0%}\n")
        text.append("\nv: back to the cards", style="italic")
        self.query_one("#stats-text", Static).update(text)
