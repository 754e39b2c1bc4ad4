"""The study tracker: ``data/progress/dl-study-tracker.md``, regenerated from the database.

It is the single summary of where the learner stands; it is rewritten whole each time, so it can
never drift from the records.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from dltui.notes.progress import Progress, learner_progress
from dltui.text_charts import text_bar as bar

if TYPE_CHECKING:
    from dltui.context import StudyContext

HEATMAP_WEEKS = 12
SHADES = " ░▒▓█"


def render_tracker(context: StudyContext, progress: Progress) -> str:
    title = {t.id: t.title for t in context.curriculum.topics.values()}
    lines = [
        "# Deep-learning study tracker",
        "",
        f"Overall progress (weighted by domain): **{progress.overall:.0%}**  `{bar(progress.overall, 30)}`",
        "",
        f"Streak: {progress.streak_days} day(s) · reviews today: {progress.reviews_today} · due today: "
        f"{progress.due_today} · retention (30 days): {progress.retention_text}",
        "",
        "## Domains",
        "",
        "| domain | weight | progress | mastered |",
        "|---|---|---|---|",
    ]
    for d in progress.domains:
        lines.append(f"| {d.id} {d.title} | {d.weight:.0%} | `{bar(d.progress, 12)}` {d.progress:.0%} | {d.mastered}/{d.topics} |")
    lines += ["", "## Mastered topics", ""]
    lines += [
        f"- {m.title} — {m.mastered_on.isoformat()}" + (f" (confidence {m.confidence:.0%})" if m.confidence is not None else "")
        for m in progress.mastered
    ] or ["- none yet"]
    lines += ["", "## Open knowledge gaps", ""]
    lines += [
        f"- **{g.severity}** {title.get(g.topic_id, g.topic_id)}: {g.description} (since {g.found_on})" for g in progress.open_gaps
    ] or ["- none"]
    lines += ["", "## Resolved gaps", ""]
    lines += [f"- {title.get(g.topic_id, g.topic_id)}: {g.description} (resolved {g.resolved_on})" for g in progress.resolved_gaps] or [
        "- none yet"
    ]
    lines += ["", "## Review days (last 12 weeks)", "", "```", *heatmap_lines(progress.heatmap), "```", ""]
    lines += ["## Recent lab runs", ""]
    lines += [
        f"- {r.started:%Y-%m-%d} {r.lab_name} `{r.id}`: {r.status}"
        + (" — passed" if r.passed else "")
        + "".join(f", {k} {v:.4g}" for k, v in list(r.metrics.items())[:3] if isinstance(v, (int, float)))
        for r in progress.recent_runs
    ] or ["- none yet"]
    lines += ["", "## Study next", ""]
    lines += [f"- **{s['title']}** — {s['why']}" for s in progress.study_next] or ["- everything ready is mastered"]
    return "\n".join(lines) + "\n"


def heatmap_lines(per_day: dict[str, int], today: date | None = None, weeks: int = HEATMAP_WEEKS) -> list[str]:
    """A calendar of review days: one row per weekday, one column per week, shaded by answers."""
    today = today or date.today()
    start = today - timedelta(days=today.weekday() + 7 * (weeks - 1))
    most = max(per_day.values(), default=0) or 1
    rows = []
    for weekday, name in enumerate(["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]):
        cells = []
        for week in range(weeks):
            day = start + timedelta(days=7 * week + weekday)
            count = per_day.get(day.isoformat(), 0)
            cells.append(" " if day > today else SHADES[0 if not count else 1 + min(3, (count * 4 - 1) // most)])
        rows.append(f"{name} {''.join(cells)}")
    return rows


def write_tracker(context: StudyContext, progress: Progress | None = None) -> Path:
    path = context.settings.progress_dir / "dl-study-tracker.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_tracker(context, progress or learner_progress(context)), encoding="utf-8")
    return path
