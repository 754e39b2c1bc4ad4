"""The Review pane from the keyboard, at 80x24, with Textual's Pilot."""

from datetime import datetime, timedelta, timezone

import pytest
from dltui.srs import StudyClock, record_answer, sync_cards
from dltui.store.models import Assessment, CardState, ReviewLog
from dltui.ui.review.app import ReviewApp
from dltui.ui.review.pane import ReviewPane
from fsrs import Rating, Scheduler
from sqlmodel import select
from srs_support import FakeNow, open_context
from textual.app import App
from textual.widgets import Footer, Header, Input, TabbedContent, TabPane

START = datetime(2026, 9, 14, 18, 0, tzinfo=timezone.utc)


def screen_text(app: App) -> str:
    return "\n".join("".join(segment.text for segment in strip) for strip in app.screen._compositor.render_strips())


async def wait_for_text(pilot, text: str) -> str:
    """The screen once it shows ``text``: a key's effect is drawn after the press returns."""
    for _ in range(100):
        if text in (shown := screen_text(pilot.app)):
            return shown
        await pilot.pause(0.05)
    return screen_text(pilot.app)


def logs(context) -> list[ReviewLog]:
    with context.store.session() as session:
        return session.exec(select(ReviewLog).order_by(ReviewLog.id)).all()


def row(context, key: str) -> CardState:
    with context.store.session() as session:
        return session.exec(select(CardState).where(CardState.card_key == key)).one()


@pytest.fixture
def context(tmp_path):
    ctx = open_context(tmp_path, new_cards_per_day=20)
    yield ctx
    ctx.close()


def review_app(context, now: FakeNow) -> ReviewApp:
    return ReviewApp(context, clock=StudyClock(4, timezone.utc, now), scheduler=Scheduler(enable_fuzzing=False))


async def test_a_review_session_from_the_keyboard(context):
    now = FakeNow(START)
    app = review_app(context, now)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        text = screen_text(app)
        assert "What is alpha?" in text and "space: show the answer" in text and "The first letter" not in text

        await pilot.press("space")
        text = screen_text(app)
        assert "The first letter" in text and "Source: A book, ch. 1" in text
        assert "1 Again 1m" in text and "3 Good 10m" in text and "4 Easy 8d" in text  # previews
        await pilot.press("3")
        [first] = logs(context)
        assert (first.rating, first.mode, first.auto_graded) == (3, "review", False) and first.duration_ms >= 0
        assert "Which letter comes third?" in screen_text(app) and "c) c" in screen_text(app)

        # Multiple choice, wrong: proposes Again; Enter accepts it.
        await pilot.press("a")
        text = screen_text(app)
        assert "not quite: you answered a" in text and "Enter: Again" in text and "(c) c" in text
        await pilot.press("enter")
        wrong = logs(context)[-1]
        assert (wrong.rating, wrong.answer_given, wrong.auto_graded) == (1, "a", True)

        # Undo: the log goes, the card comes back unanswered, exactly as it was. The numeric card
        # shown next holds the focus in its number box, so Esc first.
        assert isinstance(app.focused, Input)
        await pilot.press("escape", "u")
        assert len(logs(context)) == 1 and row(context, "alpha/m1").state == 0
        assert "a-d: choose" in screen_text(app)

        # Right this time; the learner overrides the proposed Good with Easy.
        await pilot.press("c")
        assert "✓ correct" in screen_text(app)
        await pilot.press("4")
        easy = logs(context)[-1]
        assert (easy.rating, easy.answer_given, easy.auto_graded) == (4, "c", True)

        # Numeric: typed into the box, checked on Enter, accepted with Enter.
        assert isinstance(app.focused, Input)
        await pilot.press("4", "2", "enter")
        assert "✓ correct" in screen_text(app)
        await pilot.press("enter")
        numeric = logs(context)[-1]
        assert (numeric.rating, numeric.answer_given, numeric.auto_graded) == (3, "42", True)

        # Bury and suspend, each undone.
        assert "What is beta?" in screen_text(app)
        await pilot.press("b")
        assert row(context, "beta/r1").buried_until == datetime(2026, 9, 15, 4, tzinfo=timezone.utc)
        assert "Beta after?" in screen_text(app)
        await pilot.press("ctrl+z")
        assert row(context, "beta/r1").buried_until is None and "What is beta?" in screen_text(app)
        await pilot.press("s")
        assert row(context, "beta/r1").suspended
        await pilot.press("u")
        assert not row(context, "beta/r1").suspended

        await pilot.press("v")
        assert "Today: 3 answers" in screen_text(app) and "Mastery by domain" in screen_text(app)
        await pilot.press("space", "3")  # the card is behind the stats: its keys wait
        await pilot.press("v")
        assert "What is beta?" in screen_text(app) and "The second letter" not in screen_text(app)
    assert len(logs(context)) == 3


async def test_a_leech_is_announced(context):
    sync_cards(context)
    scheduler = Scheduler(enable_fuzzing=False)
    card_id = row(context, "gamma/r1").id
    answer = record_answer(context, card_id, Rating.Easy, now=START - timedelta(days=400), scheduler=scheduler)
    for _ in range(7):
        answer = record_answer(context, card_id, Rating.Again, now=answer.due, scheduler=scheduler)
        answer = record_answer(context, card_id, Rating.Good, now=answer.due, scheduler=scheduler)
    with context.store.session() as session:  # only the leech-to-be is left to show
        for other in session.exec(select(CardState).where(CardState.id != card_id)).all():
            other.suspended = True
    now = FakeNow(answer.due + timedelta(minutes=1))
    app = review_app(context, now)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert "What is gamma?" in screen_text(app)
        await pilot.press("space", "1")
        await pilot.pause()
        assert "Leech: forgotten 8 times" in screen_text(app)
        assert row(context, "gamma/r1").suspended and row(context, "gamma/r1").leech
        assert "Nothing due right now" in screen_text(app)


class Host(App):
    """Stands in for the full app: the pane in a tab behind another area."""

    def __init__(self, context, now):
        super().__init__()
        self.context, self.now = context, now
        sync_cards(context)  # as the real apps do at start-up

    def compose(self):
        yield Header()
        with TabbedContent(initial="other"):
            with TabPane("Chat", id="other"):
                yield Input(id="chat-input")
            with TabPane("Review", id="review"):
                yield ReviewPane(self.context, StudyClock(4, timezone.utc, self.now), Scheduler(enable_fuzzing=False))
        yield Footer()


async def test_another_area_starts_a_quiz(context):
    now = FakeNow(START)
    app = Host(context, now)
    async with app.run_test(size=(80, 24)) as pilot:
        app.query_one("#chat-input", Input).focus()
        await pilot.pause()
        pane = app.query_one(ReviewPane)
        assert pane.start_quiz("no such topic") is False
        assert app.query_one(TabbedContent).active == "other"
        assert pane.start_quiz("gamma") is True
        await pilot.pause()
        assert app.query_one(TabbedContent).active == "review" and app.focused is pane
        text = screen_text(app)
        assert "Quiz · Gamma · 0/3 answered" in text and "quiz 1/3" in text
        for _ in range(3):
            await pilot.press("space", "3")
        text = await wait_for_text(pilot, "Quiz on Gamma done")
        assert "Quiz on Gamma done: 3/3 recalled · assessed strong" in text
        with context.store.session() as session:
            [assessment] = session.exec(select(Assessment)).all()
        assert (assessment.topic_id, assessment.level.value, assessment.assessor) == ("gamma", "strong", "quiz")
        assert {log.mode for log in logs(context)} == {"quiz"}
        await pilot.press("r")
        text = await wait_for_text(pilot, "What is alpha?")
        assert "Review · due today" in text and "What is alpha?" in text


async def test_standalone_quiz_and_layout_at_80x24(context):
    app = ReviewApp(context, quiz_topic="beta", clock=StudyClock(4, timezone.utc, FakeNow(START)))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("space")
        lines = screen_text(app).splitlines()
        assert len(lines) == 24
        assert lines[1].startswith("Quiz · Beta")
        assert any("2 Hard" in line and "4 Easy" in line for line in lines[-4:-1])  # ratings above the footer
        assert "q Quit" in lines[-1]
