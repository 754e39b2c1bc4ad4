"""Quiz mode: a short session on one topic, whatever the due dates say.

Each card of the quiz is shown once. An answer is an ordinary fsrs review logged with mode
"quiz": fsrs already knows how to treat a card seen early (a review the same day changes its
stability only a little), so a quiz moves the schedule exactly as much as a real review would,
and no more. Quiz answers do not count against the daily limits. When the quiz ends, its score
is recorded as an assessment of the topic (assessor "quiz"), which feeds topic mastery.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from fsrs import Rating, Scheduler
from sqlmodel import select

from dltui.srs.answers import Answer, AnswerError
from dltui.srs.days import StudyClock
from dltui.srs.deck import QueuedCard, StudyDeck, queued_card
from dltui.srs.scheduler import NEW, retrievability
from dltui.store.models import Assessment, AssessmentLevel, CardState, ReviewMode
from dltui.store.types import row_id

if TYPE_CHECKING:
    from dltui.context import StudyContext

QUIZ_SIZE = 10
MIN_ANSWERS_FOR_ASSESSMENT = 3  # fewer says too little to judge a topic by


class QuizError(ValueError):
    """A quiz that cannot start; the message says why."""


@dataclass
class QuizResult:
    topic_id: str
    answered: int
    recalled: int  # answers rated Hard, Good or Easy
    level: AssessmentLevel | None  # None when too few answers to judge

    @property
    def summary(self) -> str:
        return f"{self.recalled}/{self.answered} recalled"


class Quiz(StudyDeck):
    mode = ReviewMode.QUIZ

    def __init__(
        self,
        context: StudyContext,
        topic_id: str,
        size: int = QUIZ_SIZE,
        clock: StudyClock | None = None,
        scheduler: Scheduler | None = None,
    ):
        super().__init__(context, clock, scheduler)
        topic = context.curriculum.topics.get(topic_id) or context.curriculum.find_topic(topic_id)
        if topic is None:
            raise QuizError(f"no topic called {topic_id!r}; try its id, its code (e.g. B4) or part of its title")
        self.topic = topic
        self.card_ids = self._pick(size)
        if not self.card_ids:
            raise QuizError(f"{topic.title} has no cards to quiz (all suspended, or none written yet)")
        self._answers: dict[int, int] = {}  # card id -> log id, in the order answered
        self._ratings: dict[int, Rating] = {}  # log id -> rating
        self._buried: set[int] = set()  # card ids buried during this quiz
        self.finished: QuizResult | None = None

    def _pick(self, size: int) -> list[int]:
        """Reviewed cards least likely to be recalled first, then new ones in file order."""
        now = self.clock.now()
        with self.context.store.read() as session:
            rows = session.exec(
                select(CardState).where(
                    CardState.topic_id == self.topic.id,
                    CardState.retired == False,  # noqa: E712
                    CardState.suspended == False,  # noqa: E712
                )
            ).all()
        positions = {card.id: index for index, card in enumerate(self.topic.cards)}

        def order(row: CardState) -> tuple[int, float, int]:
            if row.state == NEW:
                return (1, positions.get(row.card_key, len(positions)), row_id(row))
            return (0, retrievability(self.scheduler, row, now) or 0.0, row_id(row))

        return [row_id(row) for row in sorted(rows, key=order)][:size]

    @property
    def position(self) -> int:
        """How many cards of the quiz are answered."""
        return len(self._answers)

    @property
    def size(self) -> int:
        return len(self.card_ids)

    def next_card(self) -> QueuedCard | None:
        now = self.clock.now()
        with self.context.store.read() as session:
            for card_id in self.card_ids:
                if card_id in self._answers:
                    continue
                row = session.get(CardState, card_id)
                if row is None or row.suspended or row.retired:
                    continue  # suspended during the quiz, e.g. by becoming a leech
                if card_id in self._buried:
                    continue  # buried during the quiz: it leaves the quiz as it leaves today's reviews
                card = queued_card(self.context, row, self.scheduler, now)
                if card is not None:
                    return card
        return None

    def _before_answer(self, card_id: int) -> None:
        if self.finished is not None:
            raise AnswerError("this quiz is over; start a new one")
        if card_id not in self.card_ids or card_id in self._answers:
            raise AnswerError("that card is not waiting in this quiz")

    def _after_answer(self, card_id: int, answer: Answer) -> None:
        self._answers[card_id] = answer.log_id
        self._ratings[answer.log_id] = answer.rating

    def undo(self, log_id: int) -> int:
        if self.finished is not None:
            raise AnswerError("this quiz is over and its result recorded; answers are kept")
        card_id = super().undo(log_id)
        self._answers.pop(card_id, None)
        self._ratings.pop(log_id, None)
        return card_id

    def bury(self, card_id: int) -> datetime | None:
        self._buried.add(card_id)
        return super().bury(card_id)

    def unbury(self, card_id: int, previous: datetime | None) -> None:
        self._buried.discard(card_id)
        super().unbury(card_id, previous)

    @property
    def log_ids(self) -> list[int]:
        """This quiz's answers, in the order given."""
        return list(self._ratings)

    def finish(self) -> QuizResult:
        """End the quiz and record its score as an assessment (once; later calls return it)."""
        if self.finished is not None:
            return self.finished
        ratings = list(self._ratings.values())
        recalled = sum(1 for rating in ratings if rating is not Rating.Again)
        level = None
        if len(ratings) >= MIN_ANSWERS_FOR_ASSESSMENT:
            share = recalled / len(ratings)
            level = AssessmentLevel.STRONG if share >= 0.8 else AssessmentLevel.PARTIAL if share >= 0.5 else AssessmentLevel.NEEDS_WORK
            with self.context.store.session() as session:
                session.add(
                    Assessment(
                        topic_id=self.topic.id,
                        level=level,
                        confidence=min(1.0, len(ratings) / QUIZ_SIZE),
                        evidence=f"quiz: {recalled}/{len(ratings)} cards recalled",
                        assessor="quiz",
                        created_at=self.clock.now(),
                        session_id=self.context.session_id,
                    )
                )
        self.finished = QuizResult(self.topic.id, len(ratings), recalled, level)
        return self.finished
