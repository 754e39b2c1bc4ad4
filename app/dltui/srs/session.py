"""A review session: the card shown, its answer, what undo takes back, the quiz or the daily queue.

The review screen's state machine, with no terminal: a card is asked (QUESTION), its answer shown
(ANSWER) with a proposed rating, then rated, buried or suspended, and the next card comes (or
NO_CARD with a closing message). Every change it makes can be undone, newest first. The screen
renders what this holds and turns keys into these calls.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum
from typing import TYPE_CHECKING, ClassVar

from fsrs import Rating, Scheduler

from dltui.curriculum import CardKind
from dltui.srs.answers import Answer, AnswerError, propose_rating
from dltui.srs.days import StudyClock
from dltui.srs.deck import QueuedCard, StudyDeck
from dltui.srs.queue import ReviewQueue
from dltui.srs.quiz import Quiz
from dltui.srs.summary import session_summary

if TYPE_CHECKING:
    from dltui.context import StudyContext


class Stage(Enum):
    NO_CARD = "no card"  # the queue is empty for now, or the quiz is over
    QUESTION = "question"
    ANSWER = "answer"  # revealed: waiting for a rating


class UndoKind(Enum):
    ANSWER = "answer"
    BURY = "bury"
    SUSPEND = "suspend"


@dataclass(frozen=True)
class UndoAnswer:
    kind: ClassVar[UndoKind] = UndoKind.ANSWER
    card_id: int
    log_id: int  # the answer's log, taken back exactly


@dataclass(frozen=True)
class UndoBury:
    kind: ClassVar[UndoKind] = UndoKind.BURY
    card_id: int
    buried_until: datetime | None  # the card's value before the bury


@dataclass(frozen=True)
class UndoSuspend:
    kind: ClassVar[UndoKind] = UndoKind.SUSPEND
    card_id: int
    suspended: bool  # the card's value before the suspend


UndoStep = UndoAnswer | UndoBury | UndoSuspend


@dataclass(frozen=True)
class ClosingMessage:
    """What the screen says when there is no card: a title and lines under it."""

    title: str
    lines: list[str]


@dataclass
class ReviewSession:
    """Today's queue or a quiz, one card at a time; every answer is committed as it is given."""

    context: StudyContext = field(repr=False)
    clock: StudyClock
    scheduler: Scheduler | None = None
    deck: StudyDeck | None = None
    card: QueuedCard | None = None
    stage: Stage = Stage.NO_CARD
    response: str | None = None  # what the learner chose or typed
    correct: bool | None = None  # None for a recall card: the learner grades it
    proposed: Rating | None = None
    intervals: dict[Rating, timedelta] = field(default_factory=dict)
    history: list[UndoStep] = field(default_factory=list)
    answered: list[int] = field(default_factory=list)  # log ids given here and not undone, for the summary
    _deck_start: int = field(default=0, init=False, repr=False)  # where this deck's answers begin in ``answered``
    _shown_at: float = field(default=0.0, init=False, repr=False)  # time.monotonic() when the card was asked

    @property
    def quiz(self) -> Quiz | None:
        return self.deck if isinstance(self.deck, Quiz) else None

    @property
    def revealed(self) -> bool:
        return self.stage is Stage.ANSWER

    # -- which deck --------------------------------------------------------------------------

    def start_reviews(self) -> None:
        """Today's queue, from its first card."""
        self._switch_deck(ReviewQueue(self.context, self.clock, self.scheduler))

    def start_quiz(self, topic_id: str) -> Quiz:
        """A quiz on one topic now (QuizError when it cannot start)."""
        quiz = Quiz(self.context, topic_id, clock=self.clock, scheduler=self.scheduler)
        self._switch_deck(quiz)
        return quiz

    def back_to_reviews(self) -> None:
        """Leave a quiz (its answers so far count) for today's queue."""
        if self.quiz is not None and self.card is not None:
            self.quiz.finish()
        self.start_reviews()

    def _switch_deck(self, deck: StudyDeck) -> None:
        self.deck, self.history = deck, []
        self._deck_start = len(self.answered)
        self.show_next()

    # -- the card ----------------------------------------------------------------------------

    def show_next(self, card: QueuedCard | None = None) -> QueuedCard | None:
        """Ask ``card`` (after an undo) or the deck's next card; None when there is none."""
        deck = self.deck
        self.card = None if deck is None else card or deck.next_card()  # no deck chosen yet: nothing to ask
        self.response, self.correct, self.proposed = None, None, None
        if deck is None or self.card is None:
            self.stage, self.intervals = Stage.NO_CARD, {}
        else:
            self.stage = Stage.QUESTION
            self.intervals = deck.preview(self.card.card_id)
            self._shown_at = time.monotonic()
        return self.card

    def _asked(self) -> tuple[StudyDeck, QueuedCard]:
        """The deck and the card on screen (AnswerError when no card is asked)."""
        if self.deck is None or self.card is None:
            raise AnswerError("No card is being asked.")
        return self.deck, self.card

    def reveal(self, response: str | None = None) -> bool:
        """Show the answer (grading ``response`` on a choice or number card); False if none is asked."""
        card = self.card
        if self.stage is not Stage.QUESTION or card is None:
            return False
        self.stage, self.response = Stage.ANSWER, response
        if card.content.kind is not CardKind.RECALL:
            self.correct = card.content.grade(response or "") if response else False
        self.proposed = propose_rating(self.correct)
        return True

    def rate(self, rating: Rating | int) -> Answer:
        """Record the rating of the revealed card and ask the next (AnswerError, DatabaseWriteError)."""
        if self.stage is not Stage.ANSWER:
            raise AnswerError("Show the answer before rating the card.")
        deck, card = self._asked()
        answer = deck.answer(
            card.card_id,
            rating,
            duration_ms=int((time.monotonic() - self._shown_at) * 1000),
            answer_given=self.response,
            auto_graded=self.correct is not None,
        )
        self.history.append(UndoAnswer(answer.card_id, answer.log_id))
        self.answered.append(answer.log_id)
        self.show_next()
        return answer

    def bury(self) -> None:
        """Out of today's reviews (and this quiz) until the next study day (AnswerError with no card)."""
        deck, card = self._asked()
        self.history.append(UndoBury(card.card_id, deck.bury(card.card_id)))
        self.show_next()

    def suspend(self) -> None:
        """Out of reviews until unsuspended (AnswerError with no card)."""
        deck, card = self._asked()
        self.history.append(UndoSuspend(card.card_id, deck.suspend(card.card_id)))
        self.show_next()

    def undo(self) -> UndoStep:
        """Take the newest change back and ask its card again (AnswerError when it cannot)."""
        deck = self.deck
        if deck is None or not self.history:
            raise AnswerError("Nothing to undo.")
        step = self.history.pop()
        if isinstance(step, UndoAnswer):
            deck.undo(step.log_id)
            if step.log_id in self.answered:
                self.answered.remove(step.log_id)
        elif isinstance(step, UndoBury):
            deck.unbury(step.card_id, step.buried_until)
        else:
            deck.suspend(step.card_id, step.suspended)
        self.show_next(deck.card(step.card_id))
        return step

    # -- no card -----------------------------------------------------------------------------

    def closing_message(self) -> ClosingMessage:
        """Why there is no card (quiz done, nothing due) and what comes next; finishes a quiz."""
        if self.quiz is not None:
            quiz = self.quiz
            result = quiz.finish()
            self.history = []  # the quiz's score is recorded; its answers stay
            level = f" · assessed {result.level.value.replace('_', ' ')}" if result.level else ""
            summary = session_summary(self.context, self.answered[self._deck_start :], self.clock)
            return ClosingMessage(
                f"Quiz on {quiz.topic.title} done: {result.summary}{level}.",
                [*summary.lines("This quiz"), "r: back to today's reviews"],
            )
        # Not in a quiz: today's queue says what comes next (a fresh one if none is open yet).
        queue = self.deck if isinstance(self.deck, ReviewQueue) else ReviewQueue(self.context, self.clock, self.scheduler)
        lines = []
        if self.answered:
            lines += session_summary(self.context, self.answered, self.clock).lines("This session")
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
        return ClosingMessage("Nothing due right now. Well done.", lines)
