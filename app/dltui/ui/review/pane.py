"""The Review area: today's queue or a quiz, one card at a time, from the keyboard.

Keys: space shows the answer; 1-4 rate Again/Hard/Good/Easy (each label is the interval it will
give, fuzz included); a-f choose; a number + Enter; then Enter gives the grade the line names; u
(ctrl+z inside the number box) undoes; b buries (out of a quiz too); s suspends; v stats; / the
card browser; r back to today's queue. An empty queue or a finished quiz shows a summary.

The state (card, stage, undo history) lives in `srs.ReviewSession`; this pane renders it, and
mirrors in reactives the parts the footer's keys depend on, so the footer follows by itself.
Other areas ask for a quiz by posting ``QuizRequested(topic_id)`` (`ui.requests`): the app brings
this area to the front and calls ``start_quiz``, which takes the focus and shows the first card.
"""

from __future__ import annotations

from fsrs import Rating, Scheduler
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import ContentSwitcher, Static

from dltui.context import StudyContext
from dltui.curriculum import CardKind
from dltui.srs import AnswerError, QuizError, StudyClock, review_stats
from dltui.srs.queue import ReviewQueue
from dltui.srs.scheduler import interval_label
from dltui.srs.session import ReviewSession, Stage
from dltui.store.database import DatabaseWriteError
from dltui.tutor.activity import LearnerActivity
from dltui.ui.review.browser import CardBrowser
from dltui.ui.review.card_view import CardText, CardView, NumberBox
from dltui.ui.review.stats import ReviewStatsView

RATING_KEYS = {"1": Rating.Again, "2": Rating.Hard, "3": Rating.Good, "4": Rating.Easy}
CHOICE_KEYS = "abcdef"
IDLE_CHECK_SECONDS = 30  # when nothing is due, look again this often (learning steps come due)


class ReviewPane(Vertical, can_focus=True):
    """Today's reviews, or a quiz on one topic."""

    DEFAULT_CSS = """
    ReviewPane { height: 1fr; }
    ReviewPane #review-status { height: 1; color: $text-muted; }
    ReviewPane #review-views { height: 1fr; }
    ReviewPane #review-ratings { height: 1; }
    ReviewPane #review-notice { height: auto; max-height: 2; color: $warning; }
    """

    BINDINGS = [
        # space and r are named on screen (the hint line, the quiz's status line), which keeps the
        # footer short enough for 80 columns with every other Review key in it.
        Binding("space", "reveal", "Show answer", show=False),
        Binding("enter", "accept", "Accept", show=False),
        *[Binding(key, f"rate({int(rating)})", rating.name, show=False) for key, rating in RATING_KEYS.items()],
        *[Binding(key, f"choose('{key}')", f"Choose {key}", show=False) for key in CHOICE_KEYS],
        # Inside the number box u is a letter: the box offers ctrl+z alone (NumberBox).
        Binding("u,ctrl+z", "undo", "Undo", key_display="u/^z"),
        Binding("b,B", "bury", "Bury"),
        Binding("s", "suspend", "Suspend"),
        Binding("v", "toggle_stats", "Stats"),
        Binding("slash", "browse", "Find", key_display="/"),
        Binding("r", "back_to_reviews", "Reviews", show=False),
        # Esc in the number box, so that space and the other keys work again. A binding, not a key
        # handler: an Esc typed ahead of the box taking the focus is looked up from the focus it
        # finds when it reaches the app, and leaves the box at once (ui/typed_ahead.py).
        Binding("escape", "leave_number_box", "Leave the box", show=False),
    ]

    # What check_action reads, as reactives: a change refreshes the keys on offer.
    stage: reactive[Stage] = reactive(Stage.NO_CARD, bindings=True, init=False)
    can_undo: reactive[bool] = reactive(False, bindings=True, init=False)
    in_quiz: reactive[bool] = reactive(False, bindings=True, init=False)
    showing_stats: reactive[bool] = reactive(False, bindings=True, init=False)

    def __init__(self, context: StudyContext, clock: StudyClock | None = None, scheduler: Scheduler | None = None, **kwargs):
        super().__init__(**kwargs)
        self.context = context
        self.session = ReviewSession(context, clock or StudyClock.for_settings(context.settings), scheduler)
        self._left_number_box = False  # Esc pressed in the box: the other keys are wanted

    @property
    def card(self):
        """The card on screen, or None."""
        return self.session.card

    @property
    def deck(self):
        return self.session.deck

    @property
    def session_logs(self) -> list[int]:
        """Every answer given here and not undone (`dltui review` prints their summary)."""
        return self.session.answered

    def compose(self) -> ComposeResult:
        yield Static(id="review-status", markup=False)
        with ContentSwitcher(initial="review-card", id="review-views"):
            yield CardView(id="review-card")
            yield ReviewStatsView(id="review-stats")
        yield Static(id="review-ratings")
        yield CardText(id="review-notice", markup=False)

    def on_mount(self) -> None:
        if self.session.deck is None:  # a quiz may have been started before the pane was mounted
            self.session.start_reviews()
            self._show_card()
        self.set_interval(IDLE_CHECK_SECONDS, self._check_when_idle)

    def on_focus(self) -> None:
        self._focus_number_box()

    def watch_has_focus(self, has_focus: bool) -> None:
        # Textual restyles a widget and everything under it when its focus changes: 14 widgets
        # here, on every number card twice (into its box, and out with Esc). No rule styles the
        # cards by the pane's focus, so the pane alone is restyled.
        self.app.stylesheet.update_nodes([self], animate=True)

    # -- public: other areas start quizzes here ----------------------------------------------

    def start_quiz(self, topic_id: str) -> bool:
        """Quiz the learner on one topic now; False (with a notice) if it cannot start."""
        try:
            quiz = self.session.start_quiz(topic_id)
        except QuizError as err:
            self.app.notify(str(err), severity="warning")
            return False
        self.showing_stats = False
        self._take_keys(self)  # the app has brought the Review area to the front (QuizRequested)
        self.notice(f"Quiz: {quiz.topic.title}, {quiz.size} cards. Answers count as reviews.")
        self._show_card()
        return True

    # -- rendering the session ---------------------------------------------------------------

    def _show_card(self) -> None:
        """Render a new card (or none): the question, the status line, the keys on offer."""
        session = self.session
        self._left_number_box = False
        view = self.query_one(CardView)
        if session.card is None:
            message = session.closing_message()
            view.show_message(message.title, "\n".join(message.lines))
        else:
            quiz = session.quiz
            view.show_card(session.card, f"quiz {quiz.position + 1}/{quiz.size}" if quiz else "")
        self._update_status()
        self._update_ratings()
        self._sync_reactives()
        if session.card is not None:
            self._focus_number_box()
        self._leave_hidden_number_box()

    def _sync_reactives(self) -> None:
        self.stage = self.session.stage
        self.can_undo = bool(self.session.history)
        self.in_quiz = self.session.quiz is not None
        self.query_one(NumberBox).can_undo = self.can_undo

    def _update_status(self) -> None:
        status = self.query_one("#review-status", Static)
        if (quiz := self.session.quiz) is not None:
            title = quiz.topic.title
            title = title if len(title) <= 36 else title[:35] + "…"  # the line fits 80 columns whole
            status.update(f"Quiz · {title} · {quiz.position}/{quiz.size} answered · r: back to reviews", layout=False)
            return
        if (queue := self.session.deck) is not None:
            from dltui.srs.today import due_today  # the one definition every screen shows

            today = due_today(self.context, self.session.clock, queue if isinstance(queue, ReviewQueue) else None)
            status.update(
                f"Review · due today {today.due} (learning {today.learning} · reviews {today.reviews} · "
                f"new {today.new}) · done today {today.done}",
                layout=False,  # one line, always: no layout pass for it
            )

    def _update_ratings(self) -> None:
        session = self.session
        ratings = self.query_one("#review-ratings", Static)
        if session.card is None:
            ratings.update("", layout=False)
            return
        if not session.revealed:
            content = session.card.content
            last_letter = CHOICE_KEYS[max(0, len(content.choices) - 1)]
            hint = {
                CardKind.MULTIPLE_CHOICE: f"a-{last_letter}: choose · space: show the answer",
                CardKind.NUMERIC: "number + Enter: check · Esc, then space: show the answer",
            }.get(content.kind, "space: show the answer")
            if session.history:  # u is a letter inside the number box; ctrl+z works there too
                hint += " · ctrl+z: undo" if content.kind is CardKind.NUMERIC else " · u: undo"
            ratings.update(Text(hint, style="italic"), layout=False)
            return
        line = Text()
        for key, rating in RATING_KEYS.items():
            style = "reverse bold" if rating == session.proposed else ""
            line.append(f" {key} {rating.name} {interval_label(session.intervals[rating])} ", style=style)
            line.append(" ")
        if session.proposed is not None:
            line.append(f" Enter: {session.proposed.name}", style="italic")
        ratings.update(line, layout=False)  # one line, always

    def notice(self, message: str) -> None:
        self.query_one("#review-notice", Static).update(message)

    # -- actions -----------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("toggle_stats", "browse"):
            return True
        if action == "leave_number_box":
            return isinstance(self.screen.focused, NumberBox)
        if self.showing_stats:
            return False  # the card is hidden behind the stats: its keys wait
        stage, card = self.stage, self.session.card
        if action == "reveal":
            return stage is Stage.QUESTION
        if action == "rate":
            return stage is Stage.ANSWER
        if action == "accept":
            return stage is Stage.ANSWER and self.session.proposed is not None
        if action == "choose":
            letter = str(parameters[0]) if parameters else ""
            return (
                stage is Stage.QUESTION
                and card is not None
                and card.content.kind is CardKind.MULTIPLE_CHOICE
                and CHOICE_KEYS.index(letter) < len(card.content.choices)
            )
        if action in ("bury", "suspend"):
            return stage is not Stage.NO_CARD
        if action == "undo":
            return self.can_undo
        if action == "back_to_reviews":
            return self.in_quiz
        return True

    def action_reveal(self, response: str | None = None) -> None:
        session, card = self.session, self.session.card
        if card is None or not session.reveal(response):
            return
        self.query_one(CardView).show_answer(card, response, session.correct)
        self._update_ratings()
        self._sync_reactives()
        self._leave_hidden_number_box()

    def action_choose(self, letter: str) -> None:
        self.action_reveal(letter)

    def action_accept(self) -> None:
        if self.session.proposed is not None:
            self.action_rate(int(self.session.proposed))

    def action_rate(self, rating: int) -> None:
        card, response = self.session.card, self.session.response
        try:
            answer = self.session.rate(rating)
        except (AnswerError, DatabaseWriteError) as err:  # disk full: the card stays to be answered again
            self.notice(str(err))
            return
        if rating == int(Rating.Again) and card is not None:  # so "why did I get that wrong?" in the chat has an answer
            self.context.activity = LearnerActivity.failed_card(card.card_key, card.topic_id, response)
        if answer.notice:
            self.app.notify(answer.notice, title="Leech", severity="warning", timeout=10)
        self.notice(answer.notice or f"{Rating(rating).name}: next in {interval_label(answer.interval)}.")
        self._show_card()

    def action_undo(self) -> None:
        if not self.session.history:
            return
        try:
            step = self.session.undo()
        except AnswerError as err:
            self.notice(f"Cannot undo: {err}")
            return
        self.notice(f"Undone ({step.kind.value}).")
        self._show_card()

    @on(NumberBox.UndoPressed)
    def undo_from_number_box(self, event: NumberBox.UndoPressed) -> None:
        event.stop()
        self.action_undo()

    def action_bury(self) -> None:
        if self.session.card is not None:
            self.session.bury()
            where = "out of this quiz and today's reviews" if self.in_quiz else "out of today's reviews"
            self.notice(f"Buried: {where} until tomorrow.")
            self._show_card()

    def action_suspend(self) -> None:
        if self.session.card is not None:
            self.session.suspend()
            self.notice("Suspended: it stays out of reviews until unsuspended.")
            self._show_card()

    def action_toggle_stats(self) -> None:
        self.showing_stats = not self.showing_stats

    def watch_showing_stats(self, showing: bool) -> None:
        if showing:
            titles = {d.id: d.title for d in self.context.curriculum.domains.values()}
            self.query_one(ReviewStatsView).show(review_stats(self.context, self.session.clock), titles)
        self.query_one("#review-views", ContentSwitcher).current = "review-stats" if showing else "review-card"

    def action_back_to_reviews(self) -> None:
        if self.session.quiz is not None:
            self.session.back_to_reviews()
            self.notice("Back to today's reviews.")
            self._show_card()

    # -- the number box ----------------------------------------------------------------------

    @on(NumberBox.Submitted, "#card-input")
    def number_submitted(self, event: NumberBox.Submitted) -> None:
        event.stop()
        self.action_reveal(event.value.strip())

    def action_leave_number_box(self) -> None:
        self._left_number_box = True
        self._take_keys(self)

    def _focus_number_box(self) -> None:
        # Only while the learner is here: the pane is built at start-up behind other areas.
        if not (self.has_focus or self.has_focus_within):
            return
        if self._left_number_box:
            return  # the learner pressed Esc to use the other keys
        card = self.session.card
        if self.stage is Stage.QUESTION and card is not None and card.content.kind is CardKind.NUMERIC:
            self._take_keys(self.query_one(NumberBox))

    def _leave_hidden_number_box(self) -> None:
        # After an answer, an undo or a suspend the number box may be hidden (or disabled) with
        # the focus still in it, and then it would swallow space and the digits: give the keys back.
        box = self.query_one(NumberBox)
        card = self.session.card
        if box.has_focus and (card is None or card.content.kind is not CardKind.NUMERIC or self.stage is not Stage.QUESTION):
            self._take_keys(self)

    def _take_keys(self, widget: Widget) -> None:
        # Now, not as Widget.focus() does it: that waits behind the keys already queued, and a
        # learner typing ahead (or a burst over SSH) had the next card's number go to this one.
        # No scrolling: show_card has scrolled the card home.
        self.screen.set_focus(widget, scroll_visible=False)

    def action_browse(self) -> None:
        def closed(changed: bool | None) -> None:
            if changed and not self.session.revealed:
                self.session.show_next()  # the card shown may have been suspended or buried in the browser
                self._show_card()
            else:
                self._update_status()

        self.app.push_screen(CardBrowser(self.context, self.session.clock), closed)

    def _check_when_idle(self) -> None:
        if self.session.card is None and self.session.quiz is None:
            self.session.show_next()
            self._show_card()
