"""Topic map, progress, session notes and the tracker, on a real database."""

import json
import subprocess
import sys
from datetime import timedelta

from dltui.notes.progress import learner_progress
from dltui.notes.sessions import begin_session, close_session
from dltui.srs import record_answer, sync_cards
from dltui.srs.days import StudyClock
from dltui.srs.quiz import Quiz
from dltui.store.models import CardState
from dltui.store.types import utcnow
from dltui.tutor.chat import Chat
from dltui.tutor.tools import ToolBox
from dltui.ui.app import DltuiApp
from dltui.ui.areas import Areas
from dltui.ui.topics import TopicsPane
from fsrs import Rating
from sqlmodel import select
from textual.widgets import Tree


def cards_of(context, topic_id):
    with context.store.session() as session:
        return [c.id for c in session.exec(select(CardState).where(CardState.topic_id == topic_id))]


def learn(context, topic_id, level="strong"):
    """Answer every card of a topic Good and record an assessment, as a learner would."""
    for card_id in cards_of(context, topic_id):
        record_answer(context, card_id, Rating.Good)
    outcome = ToolBox(context, assessor="offline").run(
        "record_assessment", {"topic_id": topic_id, "level": level, "confidence": 0.8, "evidence": "explained it back"}
    )
    assert not outcome.is_error


def label_of(app, topic_id) -> str:
    tree = app.query_one("#topic-tree", Tree)
    for domain in tree.root.children:
        for leaf in domain.children:
            if leaf.data == topic_id:
                return str(leaf.label)
    raise AssertionError(f"{topic_id} not in the tree")


async def test_topic_map_reflects_a_review_and_an_assessment(context):
    sync_cards(context)
    app = DltuiApp(context, start_area="topics")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        before = label_of(app, "linear-algebra")
        assert before.startswith("○ A1") and before.endswith(" 0%")
        record_answer(context, cards_of(context, "linear-algebra")[0], Rating.Good)
        ToolBox(context).run("record_assessment", {"topic_id": "linear-algebra", "level": "partial", "confidence": 0.6, "evidence": "x"})
        await pilot.press("r")
        await pilot.pause()
        after = label_of(app, "linear-algebra")
        assert after.startswith("◐ A1") and not after.endswith(" 0%")
        app.query_one(TopicsPane).show_topic("linear-algebra")
        await pilot.pause()
        assert "**learning**" in app.query_one("#topic-text").source


async def test_study_next_changes_as_prerequisites_are_learned(context):
    sync_cards(context)
    app = DltuiApp(context, start_area="topics")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        first = str(app.query_one("#study-next").render())
        assert "Linear algebra" in first or "Probability" in first
        assert label_of(app, "calculus-chain-rule").startswith("·")  # locked behind linear algebra
        learn(context, "linear-algebra")
        learn(context, "probability")
        await pilot.press("r")
        await pilot.pause()
        assert label_of(app, "calculus-chain-rule").startswith("○")  # unlocked
        second = str(app.query_one("#study-next").render())
        assert second != first
        pane = app.query_one(TopicsPane)
        suggested = context.curriculum.topics[pane.next_topic]
        assert set(suggested.prerequisites) <= {"linear-algebra", "probability"} and suggested.prerequisites


async def test_enter_on_a_topic_then_quiz_it(context):
    sync_cards(context)
    app = DltuiApp(context, start_area="topics")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert isinstance(app.focused, Tree)
        await pilot.press("down", "down", "enter")  # A, then its first topic
        await pilot.pause()
        assert "Linear algebra and matrix shapes" in app.query_one("#topic-text").source
        await pilot.press("q")
        await pilot.pause()
        assert app.query_one("#areas", Areas).active == "review"
        review = app.query_one("ReviewPane")
        assert isinstance(review.deck, Quiz) and review.deck.topic.id == "linear-algebra"


async def test_a_driven_session_lands_in_notes_tracker_and_json(context, tmp_path):
    sync_cards(context)
    begin_session(context, "tui")
    chat = Chat(context, tutor_kind="offline")
    for text in ["topic linear algebra", "the inner dimensions must match", "W is 300 by 10, b is 10 broadcast, output is 64 by 10"]:
        await chat.send(text, lambda piece: None, lambda outcome: None)
    reviewed = cards_of(context, "probability")[:2]
    record_answer(context, reviewed[0], Rating.Good, duration_ms=4000)
    record_answer(context, reviewed[1], Rating.Again, duration_ms=9000)
    ToolBox(context).run("log_gap", {"topic_id": "probability", "description": "confuses variance and std", "severity": "high"})
    notes = close_session(context)

    text = notes.read_text()
    assert "topic linear algebra" not in text  # a command, not a question (issue 12)
    assert "“the inner dimensions must match”" in text  # what they knew at first
    assert "What shapes must W and b have" in text and "(first try)" in text
    assert "Good ·" in text and "Again ·" in text  # cards reviewed with ratings
    assert "[high] probability: confuses variance and std" in text
    assert "Study next" in text
    tracker = (context.settings.progress_dir / "dl-study-tracker.md").read_text()
    assert "**high** Probability and statistics for ML: confuses variance and std" in tracker

    done = subprocess.run(
        [sys.executable, "-m", "dltui", "--db", str(context.settings.db_path), "progress", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    reported = json.loads(done.stdout)
    expected = learner_progress(context).to_dict()
    assert reported["topics"] == expected["topics"]
    assert reported["open_gaps"] == expected["open_gaps"] and reported["open_gaps"][0]["severity"] == "high"
    assert reported["reviews_today"] == 2
    assert abs(reported["overall"] - expected["overall"]) < 1e-9 and 0 < reported["overall"] <= 1


def _study_day_at(context, hours_after_start: float):
    """A moment inside today's study day, fixed, so no test depends on the time it runs at."""
    clock = StudyClock.for_settings(context.settings)
    return clock.day().start + timedelta(hours=hours_after_start)


async def test_a_second_session_the_same_day_is_appended(context):
    sync_cards(context)
    noon = _study_day_at(context, 8)
    begin_session(context, now=noon)
    record_answer(context, cards_of(context, "probability")[0], Rating.Good, now=noon + timedelta(minutes=1))
    first = close_session(context, now=noon + timedelta(minutes=2))
    after_a_break = noon + timedelta(minutes=2 + context.settings.session_idle_minutes + 1)
    begin_session(context, now=after_a_break)  # a restart within the idle gap would join the first
    record_answer(context, cards_of(context, "probability")[1], Rating.Hard, now=after_a_break + timedelta(minutes=1))
    second = close_session(context, now=after_a_break + timedelta(minutes=2))
    assert first == second
    text = second.read_text()
    assert text.count("<!-- session ") == 2 and "Hard ·" in text and "Good ·" in text


async def test_a_session_after_midnight_is_filed_with_the_evening_before(context):
    """The study day runs to 4 a.m. local: notes go where that day's reviews are counted."""
    sync_cards(context)
    clock = StudyClock.for_settings(context.settings)
    evening = _study_day_at(context, 23 - context.settings.day_starts_at_hour)  # 23:00 local
    begin_session(context, now=evening)
    record_answer(context, cards_of(context, "probability")[0], Rating.Good, now=evening + timedelta(minutes=5))
    first = close_session(context, now=evening + timedelta(minutes=10))
    after_midnight = evening + timedelta(hours=1, minutes=5)  # 00:05, after the idle gap
    begin_session(context, now=after_midnight)
    record_answer(context, cards_of(context, "probability")[1], Rating.Hard, now=after_midnight + timedelta(minutes=1))
    second = close_session(context, now=after_midnight + timedelta(minutes=2))
    assert first == second and first.parent.name == clock.date_of(evening).isoformat()
    assert second.read_text().count("<!-- session ") == 2


async def test_a_session_left_open_is_closed_at_the_next_start(context):
    sync_cards(context)
    stale = begin_session(context)
    record_answer(context, cards_of(context, "probability")[0], Rating.Good)
    context.session_id = None  # the process died without closing
    begin_session(context, now=utcnow() + timedelta(minutes=context.settings.session_idle_minutes + 1))
    notes = list(context.settings.sessions_dir.glob("*/session-notes.md"))
    assert notes and f"<!-- session {stale.id} -->" in notes[0].read_text()


async def test_talk_about_a_topic_from_the_map(context, monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    app = DltuiApp(context, start_area="topics")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("down", "down", "c")  # onto A1, then "talk about it"
        for _ in range(100):
            await pilot.pause(0.05)
            if not app.query_one("ChatPane").replying and app.query("TutorMessage"):
                break
        assert app.query_one("#areas", Areas).active == "chat"
        assert "Linear algebra and matrix shapes" in app.query("TutorMessage")[-1].source
        assert app.query_one("ChatPane").chat.topic_id == "linear-algebra"
