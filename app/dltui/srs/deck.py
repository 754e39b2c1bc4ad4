"""A deck: the cards a review screen works through, one at a time.

Two kinds share this shape: the daily `ReviewQueue` and a `Quiz` on one topic. Both answer
through `record_answer` with their own mode, so the screen does not care which it shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from fsrs import Rating, Scheduler

from dltui.srs.answers import Answer, bury_card, record_answer, suspend_card, unbury_card, undo_answer
from dltui.srs.cards import CardContent, card_content
from dltui.srs.days import StudyClock
from dltui.srs.scheduler import NEW, card_from_row, preview_intervals, retrievability, scheduler_for
from dltui.store.models import CardState, ReviewMode
from dltui.store.types import row_id

if TYPE_CHECKING:
    from dltui.context import StudyContext


@dataclass(frozen=True)
class QueuedCard:
    """A card ready to show: its content and where it stands."""

    card_id: int
    card_key: str
    topic_id: str
    topic_title: str
    content: CardContent
    state: int  # 0 new, else fsrs.State
    retrievability: float | None

    @property
    def is_new(self) -> bool:
        return self.state == NEW


def queued_card(context: StudyContext, row: CardState, scheduler: Scheduler, now: datetime) -> QueuedCard | None:
    """What the review screen needs to show a row; None when its curriculum card is gone."""
    content = card_content(row, context.curriculum)
    if content is None:
        return None  # deleted from the files but not yet retired by a sync
    topic = context.curriculum.topics.get(row.topic_id)
    return QueuedCard(
        card_id=row_id(row),
        card_key=row.card_key,
        topic_id=row.topic_id,
        topic_title=topic.title if topic else row.topic_id,
        content=content,
        state=row.state,
        retrievability=retrievability(scheduler, row, now),
    )


class StudyDeck:
    """Common actions on the card being shown; subclasses choose the cards."""

    mode = ReviewMode.REVIEW

    def __init__(self, context: StudyContext, clock: StudyClock | None = None, scheduler: Scheduler | None = None):
        self.context = context
        self.clock = clock or StudyClock.for_settings(context.settings)
        self.scheduler = scheduler or scheduler_for(context)

    def next_card(self) -> QueuedCard | None:
        raise NotImplementedError

    def card(self, card_id: int) -> QueuedCard | None:
        """One card by id, e.g. to show it again after an undo."""
        now = self.clock.now()
        with self.context.store.read() as session:
            row = session.get(CardState, card_id)
            return None if row is None else queued_card(self.context, row, self.scheduler, now)

    def answer(
        self,
        card_id: int,
        rating: Rating | int,
        *,
        duration_ms: int | None = None,
        answer_given: str | None = None,
        auto_graded: bool | None = None,
    ) -> Answer:
        """Record an answer now; it is committed when this returns."""
        self._before_answer(card_id)
        answer = record_answer(
            self.context,
            card_id,
            rating,
            duration_ms=duration_ms,
            mode=self.mode,
            answer_given=answer_given,
            auto_graded=auto_graded,
            now=self.clock.now(),
            scheduler=self.scheduler,
        )
        self._after_answer(card_id, answer)
        return answer

    def _before_answer(self, card_id: int) -> None:
        """A deck that takes only some answers (a quiz) refuses the others here (AnswerError)."""

    def _after_answer(self, card_id: int, answer: Answer) -> None:
        """A deck that keeps its own account of answers (the queue's due list, a quiz's score) updates it."""

    def undo(self, log_id: int) -> int:
        """Take an answer back exactly; returns the card id."""
        return undo_answer(self.context, log_id)

    def preview(self, card_id: int) -> dict[Rating, timedelta]:
        """The interval each rating would give this card now."""
        now = self.clock.now()
        with self.context.store.read() as session:
            row = session.get(CardState, card_id)
            if row is None:
                return {}
            card = card_from_row(row, now)
        return preview_intervals(self.scheduler, card, now)

    def bury(self, card_id: int) -> datetime | None:
        """Hide the card until the next study day; returns what undo needs."""
        return bury_card(self.context, card_id, self.clock.day().end)

    def unbury(self, card_id: int, previous: datetime | None) -> None:
        unbury_card(self.context, card_id, previous)

    def suspend(self, card_id: int, suspended: bool = True) -> bool:
        return suspend_card(self.context, card_id, suspended)
