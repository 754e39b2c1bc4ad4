"""Answering a card, and taking an answer back.

Each answer is one transaction: the card row before the answer goes into the review log
(``state_before``), fsrs's new state goes into the row, and both are committed before the
function returns, so a crash right after loses nothing. Undo puts the saved row back and
deletes the log, leaving the database exactly as it was before the answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, TypeVar

from fsrs import Rating, Scheduler, State
from sqlalchemy import func
from sqlmodel import select

from dltui.srs.days import as_utc
from dltui.srs.scheduler import apply_card, card_from_row, restore_row, review, scheduler_for, snapshot_row
from dltui.store import utcnow
from dltui.store.models import CardState, ReviewLog, ReviewMode
from dltui.store.types import row_id

if TYPE_CHECKING:
    from dltui.context import StudyContext

T = TypeVar("T")

LEECH_LAPSES = 8  # Anki's default leech threshold


class AnswerError(ValueError):
    """An answer or undo that cannot be done; the message says why."""


@dataclass(frozen=True)
class Answer:
    log_id: int
    card_id: int
    rating: Rating
    due: datetime
    interval: timedelta
    lapses: int
    became_leech: bool
    notice: str | None = None


def propose_rating(correct: bool | None) -> Rating | None:
    """The rating an auto-graded answer suggests: wrong -> Again, right -> Good."""
    if correct is None:
        return None
    return Rating.Good if correct else Rating.Again


def record_answer(
    context: StudyContext,
    card_id: int,
    rating: Rating | int,
    *,
    duration_ms: int | None = None,
    mode: ReviewMode | str = ReviewMode.REVIEW,
    answer_given: str | None = None,
    auto_graded: bool | None = None,
    now: datetime | None = None,
    scheduler: Scheduler | None = None,
) -> Answer:
    """Review a card through fsrs and commit the new state with its log."""
    if mode not in tuple(ReviewMode):  # a str given by a caller is checked here, once
        raise AnswerError(f"mode must be one of {', '.join(ReviewMode)}")
    rating = Rating(int(rating))
    now = as_utc(now or utcnow())
    scheduler = scheduler or scheduler_for(context)
    with context.store.session() as session:
        row = session.get(CardState, card_id)
        if row is None:
            raise AnswerError(f"no card with id {card_id}")
        before = snapshot_row(row)
        card = review(scheduler, card_from_row(row, now), rating, now, duration_ms)
        apply_card(row, card)
        row.reps += 1
        if rating is Rating.Again and before["state"] == int(State.Review):
            row.lapses += 1  # a lapse is forgetting a card that had graduated, as in Anki
        if row.introduced_at is None:
            row.introduced_at = now
        became_leech = row.lapses >= LEECH_LAPSES and not row.leech
        if became_leech:
            row.leech = True
            row.suspended = True
        log = ReviewLog(
            card_id=row_id(row),
            rating=int(rating),
            reviewed_at=now,
            duration_ms=duration_ms,
            mode=ReviewMode(mode),
            answer_given=answer_given,
            auto_graded=auto_graded,
            state_before=before,
            session_id=context.session_id,
        )
        session.add(log)
        session.flush()
        notice = (
            f"Leech: forgotten {row.lapses} times, so it is suspended. Ask the tutor to explain it "
            f"again, then bring it back with `dltui review unsuspend {row.id}`."
            if became_leech
            else None
        )
        return Answer(
            log_id=row_id(log),
            card_id=row_id(row),
            rating=rating,
            due=card.due,
            interval=card.due - now,
            lapses=row.lapses,
            became_leech=became_leech,
            notice=notice,
        )


def undo_answer(context: StudyContext, log_id: int) -> int:
    """Put the card back as it was before this answer and delete the log; returns the card id."""
    with context.store.session() as session:
        log = session.get(ReviewLog, log_id)
        if log is None:
            raise AnswerError("that answer is already gone")
        latest = session.exec(select(func.max(ReviewLog.id)).where(ReviewLog.card_id == log.card_id)).one()
        if latest != log.id:
            raise AnswerError("the card has been answered again since; undo the later answer first")
        row = session.get_one(CardState, log.card_id)
        restore_row(row, log.state_before)
        session.delete(log)
        return row_id(row)


def bury_card(context: StudyContext, card_id: int, until: datetime) -> datetime | None:
    """Hide a card until ``until`` (the next study day); returns the previous value for undo."""
    return _set(context, card_id, "buried_until", until)


def unbury_card(context: StudyContext, card_id: int, previous: datetime | None) -> None:
    _set(context, card_id, "buried_until", previous)


def suspend_card(context: StudyContext, card_id: int, suspended: bool = True) -> bool:
    """Take a card out of (or back into) every queue; returns the previous value for undo."""
    return _set(context, card_id, "suspended", suspended)


def _set(context: StudyContext, card_id: int, name: str, value: T) -> T:
    with context.store.session() as session:
        row = session.get(CardState, card_id)
        if row is None:
            raise AnswerError(f"no card with id {card_id}")
        previous: T = getattr(row, name)
        setattr(row, name, value)
        return previous
