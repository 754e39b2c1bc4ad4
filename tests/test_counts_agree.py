"""Every screen and command that shows "done today", "due today", "retention" or "study next"
shows the same thing for the same database: the Review header, the stats, Progress,
`dltui progress --json`, `dltui review stats`, the tutor prompt and the offline tutor's "next"."""

import json
import os
import subprocess
import sys
from datetime import timedelta

from dltui.notes.progress import learner_progress
from dltui.notes.tracker import render_tracker
from dltui.srs import record_answer, review_stats, sync_cards
from dltui.srs.report import stats_report
from dltui.srs.today import retention_label, today_counts
from dltui.store.models import CardState, ReviewLog
from dltui.store.types import utcnow
from dltui.tutor.chat import Chat
from dltui.tutor.prompt import learner_context
from dltui.ui.app import DltuiApp
from fsrs import Rating
from journeys.conftest import screen_text, wait_until
from sqlmodel import select


def cards_of(context, topic_id):
    with context.store.session() as session:
        return [c.id for c in session.exec(select(CardState).where(CardState.topic_id == topic_id).order_by(CardState.id))]


def a_day_of_study(context):
    """Reviews of learned cards, new cards with their learning steps, and one forgotten card."""
    sync_cards(context)
    now = utcnow()
    learned = cards_of(context, "probability")[:4]
    for card_id in learned:  # learned ten days ago, due again now
        record_answer(context, card_id, Rating.Easy, now=now - timedelta(days=10))
    for card_id, rating in zip(learned, [Rating.Good, Rating.Good, Rating.Again, Rating.Hard]):
        record_answer(context, card_id, rating)
    fresh = cards_of(context, "linear-algebra")[:6]
    for card_id in fresh:
        record_answer(context, card_id, Rating.Good)
    for card_id in fresh[:3]:  # their second learning step, answered early
        record_answer(context, card_id, Rating.Good)
    return 4 + 6 + 3  # answers given today


def run_cli(context, *args):
    done = subprocess.run(
        [sys.executable, "-m", "dltui", "--db", str(context.settings.db_path), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={k: v for k, v in os.environ.items() if k != "ANTHROPIC_API_KEY"},
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


async def test_every_screen_and_command_agrees_on_today_and_on_what_to_study_next(context, monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    answered = a_day_of_study(context)
    today = today_counts(context)
    assert today.done == answered
    with context.store.session() as session:
        assert today.done == len(session.exec(select(ReviewLog.id).where(ReviewLog.reviewed_at >= utcnow() - timedelta(hours=1))).all())
    assert today.retention == 3 / 4 and today.retention_answers == 4
    due, retention = today.due, retention_label(today)
    assert due == today.learning + today.reviews + today.new and due > 0

    # Review stats, in the app's stats view and from `dltui review stats`.
    stats = review_stats(context)
    assert (stats.reviews_today, stats.due_today, stats.retention) == (answered, due, 3 / 4)
    titles = {d.id: d.title for d in context.curriculum.domains.values()}
    for report in (stats_report(stats, titles), run_cli(context, "review", "stats")):
        assert f"Today: {answered} answers" in report and f"due today {due}" in report, report
        assert f"retention (30 d): {retention}" in report, report

    # Progress: the area, the tracker and `dltui progress --json`.
    progress = learner_progress(context)
    assert (progress.reviews_today, progress.due_today, progress.retention) == (answered, due, 3 / 4)
    tracker = render_tracker(context, progress)
    assert f"reviews today: {answered} · due today: {due} · retention (30 days): {retention}" in tracker
    reported = json.loads(run_cli(context, "progress", "--json"))
    assert (reported["reviews_today"], reported["due_today"], reported["retention"]) == (answered, due, 3 / 4)
    first = progress.study_next[0]
    assert reported["study_next"][0] == first

    # The tutor's prompt and the offline tutor's "next".
    prompt = learner_context(context, None)
    assert f"{due} cards due today" in prompt and f"{answered} answers today" in prompt and retention in prompt
    assert f"{first['title']} — {first['why']}" in prompt
    chat = Chat(context, tutor_kind="offline")
    reply = await chat.send("next", lambda piece: None, lambda outcome: None)
    assert f"1. **{first['title']}** — {first['why']}" in reply.text

    # The Review header and the Topics map, on screen.
    app = DltuiApp(context, start_area="review")
    async with app.run_test(size=(120, 40)) as pilot:
        assert await wait_until(pilot, lambda: "done today" in screen_text(app))
        header = next(line for line in screen_text(app).splitlines() if "done today" in line)
        assert f"due today {due}" in header and f"done today {answered}" in header, header
        await pilot.press("f2")
        assert await wait_until(pilot, lambda: "Study next:" in screen_text(app))
        shown = str(app.query_one("#study-next").render())
        assert f"{first['title']} — {first['why']}" in shown, shown


def test_retention_is_not_no_reviews_yet_after_answers(context):
    sync_cards(context)
    for card_id in cards_of(context, "linear-algebra")[:5]:
        record_answer(context, card_id, Rating.Good)
    today = today_counts(context)
    assert today.done == 5 and today.retention is None
    label = retention_label(today)
    assert "no reviews yet" not in label and "5 answers" in label
    assert label in stats_report(review_stats(context), {})
