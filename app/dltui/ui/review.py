"""The Review area: today's queue or a quiz, one card at a time, from the keyboard.

Keys: space shows the answer; 1-4 rate Again/Hard/Good/Easy (each label is the interval it will
give, fuzz included); a-f choose; a number + Enter; then Enter gives the grade the line names; u
(ctrl+z inside the number box) undoes; b buries (out of a quiz too); s suspends; v stats; / the
card browser; r back to today's queue. An empty queue or a finished quiz shows a summary.

Other areas ask for a quiz by posting ``QuizRequested(topic_id)`` (`ui.requests`): the app brings
this area to the front and calls ``start_quiz``, which takes the focus and shows the first card.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta

from fsrs import Rating, Scheduler
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import ContentSwitcher, Input, Static

from dltui.context import StudyContext
from dltui.curriculum import CardKind
from dltui.srs import AnswerError, QueuedCard, Quiz, QuizError, ReviewQueue, StudyClock, review_stats, sync_cards
from dltui.srs.answers import propose_rating
from dltui.srs.deck import StudyDeck
from dltui.srs.scheduler import interval_label
from dltui.srs.summary import session_summary
from dltui.store.database import DatabaseWriteError
from dltui.tutor.activity import LearnerActivity
from dltui.ui.review_browser import CardBrowser
from dltui.ui.review_card import CardView
from dltui.ui.review_stats import ReviewStatsView

RATING_KEYS = {"1": Rating.Again, "2": Rating.Hard, "3": Rating.Good, "4": Rating.Easy}
CHOICE_KEYS = "abcdef"
IDLE_CHECK_SECONDS = 30  # when nothing is due, look again this often (learning steps come due)


@dataclass(frozen=True)
class UndoStep:
    kind: str  # answer | bury | suspend
    card_id: int
    value: object  # the log id, or the value before the bury / suspend


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
        Binding("u,ctrl+z", "undo", "Undo", key_display="u/^z"),  # ctrl+z also works while typing a number
        Binding("b,B", "bury", "Bury"),
        Binding("s", "suspend", "Suspend"),
        Binding("v", "toggle_stats", "Stats"),
        Binding("slash", "browse", "Find", key_display="/"),
        Binding("r", "back_to_reviews", "Reviews", show=False),
    ]

    def __init__(
        self, context: StudyContext, clock: StudyClock | None = None, scheduler: Scheduler | None = None, **kwargs
    ):
        super().__init__(**kwargs)
        self.context = context
        self.clock = clock or StudyClock.for_settings(context.settings)
        self._scheduler = scheduler
        self.deck: StudyDeck | None = None
        self.card: QueuedCard | None = None
        self.revealed = False
        self.response: str | None = None
        self.correct: bool | None = None
        self.proposed: Rating | None = None
        self.intervals: dict[Rating, timedelta] = {}
        self.shown_at = 0.0
        self._left_number_box = False
        self.showing_stats = False
        self.history: list[UndoStep] = []
        self.session_logs: list[int] = []  # every answer given here and not undone, for the summary
        self._deck_start = 0  # where the current deck's answers begin in session_logs

    def compose(self) -> ComposeResult:
        yield Static(id="review-status", markup=False)
        with ContentSwitcher(initial="review-card", id="review-views"):
            yield CardView(id="review-card")
            yield ReviewStatsView(id="review-stats")
        yield Static(id="review-ratings")
        yield Static(id="review-notice", markup=False)

    def on_mount(self) -> None:
        sync_cards(self.context)  # cards added to the files since the last start join the queue
        if self.deck is None:  # a quiz may have been started before the pane was mounted
            self.deck = ReviewQueue(self.context, self.clock, self._scheduler)
            self.show_next()
        self.set_interval(IDLE_CHECK_SECONDS, self._check_when_idle)

    def on_focus(self) -> None:
        self._focus_number_box()

    # -- public: other areas start quizzes here ----------------------------------------------

    def start_quiz(self, topic_id: str) -> bool:
        """Quiz the learner on one topic now; False (with a notice) if it cannot start."""
        try:
            quiz = Quiz(self.context, topic_id, clock=self.clock, scheduler=self._scheduler)
        except QuizError as err:
            self.app.notify(str(err), severity="warning")
            return False
        self.deck, self.history = quiz, []
        self._deck_start = len(self.session_logs)
        self.showing_stats = False
        self.query_one("#review-views", ContentSwitcher).current = "review-card"
        self.focus()  # the app has brought the Review area to the front (QuizRequested)
        self.notice(f"Quiz: {quiz.topic.title}, {quiz.size} cards. Answers count as reviews.")
        self.show_next()
        return True

    # -- showing cards -----------------------------------------------------------------------

    def show_next(self, card: QueuedCard | None = None) -> None:
        """Show ``card`` (after an undo) or the deck's next card."""
        self.card = card or (self.deck.next_card() if self.deck else None)
        self.revealed, self.response, self.correct, self.proposed = False, None, None, None
        self._left_number_box = False
        view = self.query_one(CardView)
        if self.card is None:
            self.intervals = {}
            self._show_empty(view)
        else:
            self.intervals = self.deck.preview(self.card.card_id)
            view.show_card(self.card, self._caption())
            self.shown_at = time.monotonic()
            self._focus_number_box()
        self._leave_hidden_number_box()
        self._update_status()
        self._update_ratings()
        self.refresh_bindings()

    def _show_empty(self, view: CardView) -> None:
        if isinstance(self.deck, Quiz):
            result = self.deck.finish()
            self.history = []  # the quiz's score is recorded; its answers stay
            level = f" · assessed {result.level.value.replace('_', ' ')}" if result.level else ""
            summary = session_summary(self.context, self.session_logs[self._deck_start:], self.clock)
            view.show_message(
                f"Quiz on {self.deck.topic.title} done: {result.summary}{level}.",
                "\n".join([*summary.lines("This quiz"), "r: back to today's reviews"]),
            )
            return
        queue: ReviewQueue = self.deck
        lines = []
        if self.session_logs:
            lines += session_summary(self.context, self.session_logs, self.clock).lines("This session")
        next_due = queue.next_learning_due()
        if next_due is not None:
            minutes = max(1, round((next_due - self.clock.now()).total_seconds() / 60))
            lines.append(f"Next learning step in about {minutes} min.")
        counts = queue.counts()
        settings = self.context.settings
        if counts.new_done >= settings.new_cards_per_day:
            lines.append(f"Today's {settings.new_cards_per_day} new cards are done (setting new_cards_per_day).")
        if counts.reviews_done >= settings.reviews_per_day:
            lines.append(f"Today's {settings.reviews_per_day} reviews are done (setting reviews_per_day).")
        for held in queue.held_back()[:3]:
            lines.append(f"Held back: {held.title} ({held.new_cards} new) {held.reason}.")
        lines.append("v: stats · a quiz on any topic: from Topics or Chat, or `dltui quiz TOPIC`")
        view.show_message("Nothing due right now. Well done.", "\n".join(lines))

    def _caption(self) -> str:
        if isinstance(self.deck, Quiz):
            return f"quiz {self.deck.position + 1}/{self.deck.size}"
        return ""

    def _update_status(self) -> None:
        status = self.query_one("#review-status", Static)
        if isinstance(self.deck, Quiz):
            title = self.deck.topic.title
            title = title if len(title) <= 36 else title[:35] + "…"  # the line fits 80 columns whole
            status.update(f"Quiz · {title} · {self.deck.position}/{self.deck.size} answered · r: back to reviews")
            return
        if self.deck is not None:
            from dltui.srs.today import today_counts  # the one definition every screen shows

            today = today_counts(self.context, self.clock)
            status.update(
                f"Review · due today {today.due} (learning {today.learning} · reviews {today.reviews} · "
                f"new {today.new}) · done today {today.done}"
            )

    def _update_ratings(self) -> None:
        ratings = self.query_one("#review-ratings", Static)
        if self.card is None:
            ratings.update("")
            return
        if not self.revealed:
            content = self.card.content
            last_letter = CHOICE_KEYS[max(0, len(content.choices) - 1)]
            hint = {
                CardKind.MULTIPLE_CHOICE: f"a-{last_letter}: choose · space: show the answer",
                CardKind.NUMERIC: "number + Enter: check · Esc, then space: show the answer",
            }.get(content.kind, "space: show the answer")
            if self.history:  # u is a letter inside the number box; ctrl+z works there too
                hint += " · ctrl+z: undo" if content.kind is CardKind.NUMERIC else " · u: undo"
            ratings.update(Text(hint, style="italic"))
            return
        line = Text()
        for key, rating in RATING_KEYS.items():
            style = "reverse bold" if rating == self.proposed else ""
            line.append(f" {key} {rating.name} {interval_label(self.intervals[rating])} ", style=style)
            line.append(" ")
        if self.proposed is not None:
            line.append(f" Enter: {self.proposed.name}", style="italic")
        ratings.update(line)

    def notice(self, message: str) -> None:
        self.query_one("#review-notice", Static).update(message)

    # -- actions -----------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "toggle_stats":
            return True
        if self.showing_stats:
            return False  # the card is hidden behind the stats: its keys wait
        card, revealed = self.card, self.revealed
        unanswered_choice = card is not None and not revealed and card.content.kind is CardKind.MULTIPLE_CHOICE
        if action == "reveal":
            return card is not None and not revealed
        if action in ("rate",):
            return card is not None and revealed
        if action == "accept":
            return card is not None and revealed and self.proposed is not None
        if action == "choose":
            letter = str(parameters[0]) if parameters else ""
            return unanswered_choice and CHOICE_KEYS.index(letter) < len(card.content.choices)
        if action in ("bury", "suspend"):
            return card is not None
        if action == "browse":
            return True
        if action == "undo":
            return bool(self.history)
        if action == "back_to_reviews":
            return isinstance(self.deck, Quiz)
        return True

    def action_reveal(self, response: str | None = None) -> None:
        if self.card is None or self.revealed:
            return
        self.revealed = True
        self.response = response
        if self.card.content.kind is not CardKind.RECALL:
            self.correct = self.card.content.grade(response or "") if response else False
        self.proposed = propose_rating(self.correct)
        self.query_one(CardView).show_answer(self.card, response, self.correct)
        self.focus()
        self._update_ratings()
        self.refresh_bindings()

    def action_choose(self, letter: str) -> None:
        self.action_reveal(letter)

    def action_accept(self) -> None:
        if self.proposed is not None:
            self.action_rate(int(self.proposed))

    def action_rate(self, rating: int) -> None:
        if self.card is None or not self.revealed:
            return
        duration_ms = int((time.monotonic() - self.shown_at) * 1000)
        try:
            answer = self.deck.answer(
                self.card.card_id, rating, duration_ms=duration_ms, answer_given=self.response,
                auto_graded=self.correct is not None,
            )
        except (AnswerError, DatabaseWriteError) as err:  # disk full: the card stays to be answered again
            self.notice(str(err))
            return
        self.history.append(UndoStep("answer", answer.card_id, answer.log_id))
        self.session_logs.append(answer.log_id)
        if rating == int(Rating.Again):  # so "why did I get that wrong?" in the chat has an answer
            self.context.activity = LearnerActivity.failed_card(self.card.card_key, self.card.topic_id, self.response)
        if answer.notice:
            self.app.notify(answer.notice, title="Leech", severity="warning", timeout=10)
        self.notice(answer.notice or f"{Rating(rating).name}: next in {interval_label(answer.interval)}.")
        self.show_next()

    def action_undo(self) -> None:
        if not self.history:
            return
        step = self.history.pop()
        try:
            if step.kind == "answer":
                self.deck.undo(step.value)
                if step.value in self.session_logs:
                    self.session_logs.remove(step.value)
            elif step.kind == "bury":
                self.deck.unbury(step.card_id, step.value)
            else:
                self.deck.suspend(step.card_id, step.value)
        except AnswerError as err:
            self.notice(f"Cannot undo: {err}")
            return
        self.notice(f"Undone ({step.kind}).")
        self.show_next(self.deck.card(step.card_id))

    def action_bury(self) -> None:
        if self.card is not None:
            previous = self.deck.bury(self.card.card_id)
            self.history.append(UndoStep("bury", self.card.card_id, previous))
            where = "out of this quiz and today's reviews" if isinstance(self.deck, Quiz) else "out of today's reviews"
            self.notice(f"Buried: {where} until tomorrow.")
            self.show_next()

    def action_suspend(self) -> None:
        if self.card is not None:
            previous = self.deck.suspend(self.card.card_id)
            self.history.append(UndoStep("suspend", self.card.card_id, previous))
            self.notice("Suspended: it stays out of reviews until unsuspended.")
            self.show_next()

    def action_toggle_stats(self) -> None:
        switcher = self.query_one("#review-views", ContentSwitcher)
        self.showing_stats = not self.showing_stats
        if self.showing_stats:
            titles = {d.id: d.title for d in self.context.curriculum.domains.values()}
            self.query_one(ReviewStatsView).show(review_stats(self.context, self.clock), titles)
        switcher.current = "review-stats" if self.showing_stats else "review-card"
        self.refresh_bindings()

    def action_back_to_reviews(self) -> None:
        if isinstance(self.deck, Quiz):
            if self.card is not None:
                self.deck.finish()
            self.deck, self.history = ReviewQueue(self.context, self.clock, self._scheduler), []
            self._deck_start = len(self.session_logs)
            self.notice("Back to today's reviews.")
            self.show_next()

    # -- the number box ----------------------------------------------------------------------

    @on(Input.Submitted, "#card-input")
    def number_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_reveal(event.value.strip())

    def on_key(self, event) -> None:
        # Esc leaves the number box so that space and the other keys work again.
        if event.key == "escape" and isinstance(self.app.focused, Input) and self.app.focused.id == "card-input":
            event.stop()
            self._left_number_box = True
            self.focus()

    def _focus_number_box(self) -> None:
        # Only while the learner is here: the pane is built at start-up behind other tabs.
        if not (self.has_focus or self.has_focus_within):
            return
        if self._left_number_box:
            return  # the learner pressed Esc to use the other keys
        if self.card is not None and not self.revealed and self.card.content.kind is CardKind.NUMERIC:
            self.query_one("#card-input", Input).focus()

    def _leave_hidden_number_box(self) -> None:
        # After an undo or a suspend the number box may be hidden (or disabled) with the focus
        # still in it, and then it would swallow space and the digits: give the keys back.
        box = self.query_one("#card-input", Input)
        if box.has_focus and (self.card is None or self.card.content.kind is not CardKind.NUMERIC or self.revealed):
            self.focus()

    def action_browse(self) -> None:
        def closed(changed: bool | None) -> None:
            if changed and not self.revealed:
                self.show_next()  # the card shown may have been suspended or buried in the browser
            else:
                self._update_status()

        self.app.push_screen(CardBrowser(self.context, self.clock), closed)

    def _check_when_idle(self) -> None:
        if self.card is None and not isinstance(self.deck, Quiz):
            self.show_next()
