"""What a card shows, wherever it came from, and cards added by the tutor.

Curriculum cards keep their text in the curriculum files (looked up by id, so an edited card
shows its new text with its old schedule); cards from the tutor or from knowledge gaps carry
their text in the CardState row.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlmodel import col, select

from dltui.curriculum import Card, CardKind, Curriculum
from dltui.store.models import CardState
from dltui.store.types import row_id

if TYPE_CHECKING:
    from dltui.context import StudyContext

ORIGINS = ("tutor", "gap")  # who may add cards besides the curriculum


@dataclass(frozen=True)
class CardContent:
    """The face of a card for the review screen."""

    kind: CardKind
    front: str
    back: str
    why: str = ""
    source: str = ""
    choices: tuple[str, ...] = ()
    unit: str = ""
    curriculum_card: Card | None = None  # grading rules for mcq and numeric cards

    def grade(self, response: str) -> bool | None:
        """True/False for auto-graded cards; None when the learner grades themselves."""
        if self.curriculum_card is None:
            return None
        return self.curriculum_card.grade(response)


def card_content(row: CardState, curriculum: Curriculum) -> CardContent | None:
    """The content of a row, or None when its curriculum card no longer exists."""
    if row.origin == "curriculum":
        card = curriculum.card(row.card_key)
        if card is None:
            return None
        return CardContent(
            kind=card.kind,
            front=card.front,
            back=card.back,
            why=card.why,
            source=card.source,
            choices=card.choices,
            unit=card.unit,
            curriculum_card=card,
        )
    return CardContent(kind=CardKind.RECALL, front=row.front or "", back=row.back or "", source=row.source or "")


class CardError(ValueError):
    """A card cannot be added as asked; the message says why."""


def add_card(context: StudyContext, topic_id: str, front: str, back: str, source: str = "", origin: str = "tutor") -> int:
    """Add a recall card to the review queue and return its id (the same id if it already exists).

    The tutor calls this when a learner should remember something from the chat. Adding the
    same front twice for a topic is harmless: the existing card is returned unchanged.
    """
    front, back, source = front.strip(), back.strip(), (source or "").strip()
    if topic_id not in context.curriculum.topics:
        raise CardError(f"unknown topic {topic_id!r}")
    if not front or not back:
        raise CardError("a card needs both a front (question) and a back (answer)")
    if origin not in ORIGINS:
        raise CardError(f"origin must be one of {', '.join(ORIGINS)}")
    digest = hashlib.sha1(" ".join(front.lower().split()).encode("utf-8")).hexdigest()[:12]
    card_key = f"{origin}/{topic_id}/{digest}"
    with context.store.session() as session:
        existing = session.exec(select(CardState).where(CardState.card_key == card_key)).first()
        if existing is not None:
            return row_id(existing)
        row = CardState(card_key=card_key, topic_id=topic_id, origin=origin, front=front, back=back, source=source)
        session.add(row)
        session.flush()
        return row_id(row)


@dataclass(frozen=True)
class SuspendedCard:
    card_id: int
    topic_id: str
    front: str
    leech: bool
    lapses: int


def suspended_cards(context: StudyContext) -> list[SuspendedCard]:
    """Cards out of the queue by choice or as leeches (retired cards are not listed)."""
    with context.store.read() as session:
        rows = session.exec(
            select(CardState)
            .where(CardState.suspended == True, CardState.retired == False)  # noqa: E712
            .order_by(col(CardState.topic_id), col(CardState.id))
        ).all()
    result = []
    for row in rows:
        content = card_content(row, context.curriculum)
        front = content.front if content else row.card_key
        result.append(SuspendedCard(row_id(row), row.topic_id, front, row.leech, row.lapses))
    return result
