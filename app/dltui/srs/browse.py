"""The card browser's questions: find cards by text or topic, read one card's schedule and history.

Suspending and burying from the browser go through the same functions as the review screen
(``suspend_card``, ``bury_card``), so the queue sees the change at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from fsrs import Rating, State
from sqlmodel import col, select

from dltui.srs.answers import bury_card, suspend_card, unbury_card
from dltui.srs.cards import card_content
from dltui.srs.days import StudyClock, as_utc
from dltui.srs.scheduler import NEW
from dltui.store.models import CardState, ReviewLog
from dltui.store.types import row_id

if TYPE_CHECKING:
    from dltui.context import StudyContext

STATE_NAMES = {NEW: "new", int(State.Learning): "learning", int(State.Review): "review", int(State.Relearning): "relearning"}


@dataclass(frozen=True)
class BrowsedCard:
    """One card as the browser lists it, with its whole schedule."""

    card_id: int
    topic_id: str
    topic_title: str
    front: str
    back: str
    state: str  # new | learning | review | relearning
    due: datetime | None
    stability: float | None
    difficulty: float | None
    reps: int
    lapses: int
    suspended: bool
    leech: bool
    buried_until: datetime | None  # set only while the card is buried (until a later time)


@dataclass(frozen=True)
class PastAnswer:
    reviewed_at: datetime
    rating: Rating
    mode: str
    answer_given: str | None


def find_cards(context: StudyContext, text: str = "", limit: int = 200, clock: StudyClock | None = None) -> list[BrowsedCard]:
    """Cards whose question, answer, topic id, code or title contains ``text`` (all words, any case)."""
    clock = clock or StudyClock.for_settings(context.settings)
    now = clock.now()
    words = text.lower().split()
    topics = context.curriculum.topics
    with context.store.read() as session:
        rows = session.exec(
            select(CardState).where(CardState.retired == False).order_by(col(CardState.topic_id), col(CardState.id))  # noqa: E712
        ).all()
    found = []
    for row in sorted(rows, key=lambda row: _curriculum_order(context, row)):
        card = _browsed(context, row, now)
        if card is None:
            continue
        topic = topics.get(row.topic_id)
        haystack = " ".join([card.front, card.back, row.topic_id, card.topic_title, topic.code if topic else ""]).lower()
        if all(word in haystack for word in words):
            found.append(card)
            if len(found) >= limit:
                break
    return found


def browsed_card(context: StudyContext, card_id: int, clock: StudyClock | None = None) -> BrowsedCard | None:
    clock = clock or StudyClock.for_settings(context.settings)
    with context.store.read() as session:
        row = session.get(CardState, card_id)
    return None if row is None else _browsed(context, row, clock.now())


def card_history(context: StudyContext, card_id: int) -> list[PastAnswer]:
    """Every answer the card has had, newest first."""
    with context.store.read() as session:
        logs = session.exec(
            select(ReviewLog).where(ReviewLog.card_id == card_id).order_by(col(ReviewLog.reviewed_at).desc(), col(ReviewLog.id).desc())
        ).all()
    return [PastAnswer(as_utc(log.reviewed_at), Rating(log.rating), log.mode, log.answer_given) for log in logs]


def set_suspended(context: StudyContext, card_id: int, suspended: bool) -> None:
    """Suspend a card (out of every queue) or bring it back, as `dltui review unsuspend` does."""
    suspend_card(context, card_id, suspended)


def set_buried(context: StudyContext, card_id: int, buried: bool, clock: StudyClock | None = None) -> None:
    """Bury a card until the next study day, or unbury it now."""
    clock = clock or StudyClock.for_settings(context.settings)
    if buried:
        bury_card(context, card_id, clock.day().end)
    else:
        unbury_card(context, card_id, None)


def _curriculum_order(context: StudyContext, row: CardState) -> tuple[int, int, int]:
    """Topics as the curriculum lists them (A1, A2, ...), cards as their file does, added cards last."""
    topics = context.curriculum.topics
    topic = topics.get(row.topic_id)
    topic_rank = list(topics).index(row.topic_id) if topic else len(topics)
    positions = {card.id: index for index, card in enumerate(topic.cards)} if topic else {}
    return (topic_rank, positions.get(row.card_key, len(positions)), row_id(row))


def _browsed(context: StudyContext, row: CardState, now: datetime) -> BrowsedCard | None:
    content = card_content(row, context.curriculum)
    if content is None:
        return None  # gone from the files, retired at the next sync
    topic = context.curriculum.topics.get(row.topic_id)
    buried_until = as_utc(row.buried_until) if row.buried_until is not None else None
    buried = buried_until is not None and buried_until > now
    return BrowsedCard(
        card_id=row_id(row),
        topic_id=row.topic_id,
        topic_title=topic.title if topic else row.topic_id,
        front=content.front,
        back=content.back,
        state=STATE_NAMES.get(row.state, str(row.state)),
        due=as_utc(row.due) if row.due else None,
        stability=row.stability,
        difficulty=row.difficulty,
        reps=row.reps,
        lapses=row.lapses,
        suspended=row.suspended,
        leech=row.leech,
        buried_until=buried_until if buried else None,
    )
