"""The daily review queue: what to study next, and what waits.

Order: learning cards whose step is due (short steps are time-critical), then due reviews with
the lowest retrievability first, then new cards topic by topic in prerequisite order, and last,
when nothing else is left, learning cards due within the next 20 minutes (as Anki's "learn
ahead"). A card is due when fsrs's due time has passed. Per study day at most
``reviews_per_day`` review-state cards and ``new_cards_per_day`` new cards are answered in
review mode (quizzes are extra). New cards of a topic whose prerequisites are still weak are
held back, with the reason (prerequisites.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol, Self, TypeVar

from fsrs import Scheduler, State
from sqlalchemy import ColumnElement, Integer, func, literal_column, or_
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from dltui.srs.answers import Answer
from dltui.srs.days import StudyClock, as_utc
from dltui.srs.deck import QueuedCard, StudyDeck, queued_card
from dltui.srs.due_cards import REBUILD_AFTER, ChangeWatch, DueCards, still_due
from dltui.srs.prerequisites import HeldBack, held_back, in_order, prerequisite_order
from dltui.srs.scheduler import NEW
from dltui.store.models import CardState, ReviewLog, ReviewMode

if TYPE_CHECKING:
    from dltui.context import StudyContext

LEARN_AHEAD = timedelta(minutes=20)
_CANDIDATES = 20  # rows fetched per query; more than enough to skip a few unreadable ones


@dataclass(frozen=True)
class QueueCounts:
    learning: int  # learning/relearning steps due now
    reviews: int  # review cards due now that today's limit still allows
    new: int  # new cards that today's limit allows and no prerequisite holds back
    reviews_done: int  # review-state cards answered today (review mode)
    new_done: int  # new cards introduced today (review mode)

    @property
    def total(self) -> int:
        return self.learning + self.reviews + self.new


class _Filterable(Protocol):
    def where(self, *whereclause: ColumnElement[bool] | bool) -> Self: ...


# Any select on CardState, kept the kind it is (rows or scalars) by the filters below.
_Query = TypeVar("_Query", bound=_Filterable)


def _active(query: _Query) -> _Query:
    """Cards not retired and not suspended (burying is checked separately: it depends on now)."""
    return query.where(CardState.retired == False, CardState.suspended == False)  # noqa: E712


def _active_by_review_order(query: _Query) -> _Query:
    """``_active`` written `= 0`, as the partial index ix_cardstate_review_order says it: SQLite
    uses a partial index only when the query's terms match its WHERE, and `= false` does not.
    For the due list's two reads (100k cards: building it 400 -> 60 ms)."""
    return query.where(CardState.retired == literal_column("0"), CardState.suspended == literal_column("0"))


class ReviewQueue(StudyDeck):
    """The learner's queue for today. Cheap to build; the due cards are read once and followed
    (due_cards.py), everything else is read afresh."""

    mode = ReviewMode.REVIEW

    def __init__(self, context: StudyContext, clock: StudyClock | None = None, scheduler: Scheduler | None = None):
        super().__init__(context, clock, scheduler)
        self._topic_order = prerequisite_order(context.curriculum)
        self._watch: ChangeWatch | None = None  # opened at the first look at the due cards
        self._due: DueCards | None = None
        self._shown_states: dict[int, int] = {}  # state of each card shown, for today's counts
        # Worked out once while the due list stays fresh, each with the moment it was worked out for.
        self._waiting: tuple[tuple[int, datetime], dict[str, int]] | None = None
        self._held: tuple[tuple[object, ...], list[HeldBack]] | None = None

    # -- what comes next ---------------------------------------------------------------------

    def next_card(self) -> QueuedCard | None:
        """The card to show now, or None when the session is over for now."""
        card = self._choose_next()
        if card is not None:  # its state before the answer, for today's counts (answer())
            self._shown_states[card.card_id] = card.state
        return card

    def _choose_next(self) -> QueuedCard | None:
        now = self.clock.now()
        settings = self.context.settings
        due = self._due_cards(now)
        learning = (int(State.Learning), int(State.Relearning))
        if (card := self._first_still_due(due, due.learning_due(now), learning, now, now)) is not None:
            return card
        if due.reviews_done < settings.reviews_per_day:
            if (card := self._first_still_due(due, due.reviews, (int(State.Review),), now, now)) is not None:
                return card
        if due.new_done < settings.new_cards_per_day:
            # Short transactions one after another: the store's sessions take the write lock, so
            # they must never nest (mastery opens its own).
            waiting = self._waiting_now(now)
            held = {h.topic_id for h in self._held_back_now(waiting, now)}
            with self.context.store.read() as session:
                rows = self._new_cards(session, now, [t for t in in_order(waiting, self._topic_order) if t not in held])
            if (card := self._first_showable(rows, now)) is not None:
                return card
        return self._first_still_due(due, due.learning_due(now + LEARN_AHEAD), learning, now + LEARN_AHEAD, now)

    def counts(self) -> QueueCounts:
        now = self.clock.now()
        settings = self.context.settings
        learning_states = [int(State.Learning), int(State.Relearning)]
        with self.context.store.read() as session:
            reviews_done, new_done = self._done_today_now(session, now)
            learning = session.exec(
                _active(select(func.count(col(CardState.id)))).where(
                    col(CardState.state).in_(learning_states), col(CardState.due) <= now, _unburied(now)
                )
            ).one()
            reviews = session.exec(
                _active(select(func.count(col(CardState.id)))).where(
                    CardState.state == int(State.Review), col(CardState.due) <= now, _unburied(now)
                )
            ).one()
        return QueueCounts(
            learning=learning,
            reviews=min(reviews, max(0, settings.reviews_per_day - reviews_done)),
            new=self._new_allowed(new_done, now),
            reviews_done=reviews_done,
            new_done=new_done,
        )

    def reviews_done_and_new(self) -> tuple[int, int]:
        """``counts()``'s reviews_done and new alone: what today's numbers take from the queue."""
        now = self.clock.now()
        with self.context.store.read() as session:
            reviews_done, new_done = self._done_today_now(session, now)
        return reviews_done, self._new_allowed(new_done, now)

    def _new_allowed(self, new_done: int, now: datetime) -> int:
        """New cards today's limit still allows whose topics are not held back."""
        new_left = max(0, self.context.settings.new_cards_per_day - new_done)
        if not new_left:
            return 0
        waiting = self._waiting_now(now)
        held = {h.topic_id for h in self._held_back_now(waiting, now)}
        return min(sum(n for t, n in waiting.items() if t not in held), new_left)

    def held_back(self) -> list[HeldBack]:
        """Topics with new cards waiting on weak prerequisites, each with the reason."""
        now = self.clock.now()
        with self.context.store.read() as session:
            waiting = self._topics_with_new_cards(session, now)
        return held_back(self.context, waiting, now, self.scheduler, self._topic_order)

    def next_learning_due(self) -> datetime | None:
        """When the next learning step comes due (for "come back in 8 minutes")."""
        now = self.clock.now()
        with self.context.store.read() as session:
            return session.exec(
                _active(select(func.min(col(CardState.due)))).where(
                    col(CardState.state).in_([int(State.Learning), int(State.Relearning)]), _unburied(now)
                )
            ).one()

    # -- today's due cards, kept in memory (due_cards.py) -----------------------------------

    def _data_version(self) -> int:
        """SQLite's data_version on a connection of the queue's own, opened at the first look."""
        if self._watch is None:
            self._watch = ChangeWatch(self.context.store.path)
        return self._watch.version()

    def _due_cards(self, now: datetime) -> DueCards:
        version = self._data_version()
        day_start = self.clock.day(now).start
        if self._due is None or not self._due.fresh(now, day_start, version):
            with self.context.store.read() as session:
                reviews_done, new_done = self._done_today(session, now)
                # Only the learning cards that can come due before the next rebuild, sorted here:
                # an ORDER BY due would walk the whole due index instead of the covering one.
                learning = session.exec(
                    _active_by_review_order(select(CardState.due, CardState.id)).where(
                        col(CardState.state).in_([int(State.Learning), int(State.Relearning)]),
                        col(CardState.due) <= now + LEARN_AHEAD + REBUILD_AFTER,
                        _unburied(now),
                    )
                ).all()
                reviews = session.exec(self._reviews_due(now)).all()
            # A row read back always has its id, and these their due time (the query asks for it):
            # the model says Optional for rows not yet written.
            learning_due = sorted((as_utc(due), card_id) for due, card_id in learning if due is not None and card_id is not None)
            review_ids = [card_id for card_id in reviews if card_id is not None]
            self._due = DueCards(now, day_start, version, learning_due, review_ids, reviews_done, new_done)
        return self._due

    def _first_still_due(
        self, due: DueCards, card_ids: list[int], states: tuple[int, ...], until: datetime, now: datetime
    ) -> QueuedCard | None:
        """The first of ``card_ids`` whose row is still due (a row changed elsewhere is skipped and
        the list rebuilt at the next look)."""
        for start in range(0, len(card_ids), _CANDIDATES):
            chunk = card_ids[start : start + _CANDIDATES]
            with self.context.store.read() as session:
                rows = {row.id: row for row in session.exec(select(CardState).where(col(CardState.id).in_(chunk))).all()}
            for card_id in chunk:
                row = rows.get(card_id)
                if row is None or not still_due(row, states, until, now):
                    due.stale = True
                    continue
                if (card := queued_card(self.context, row, self.scheduler, now)) is not None:
                    return card
        return None

    def _after_answer(self, card_id: int, answer: Answer) -> None:
        state_before = self._shown_states.pop(card_id, None)
        if self._due is not None:
            if state_before is None:  # not a card this queue showed: its place is unknown
                self._due.stale = True
            else:
                # fsrs's learning and relearning steps are minutes, its review intervals a day or
                # more; a card placed wrongly here fails still_due() when its turn comes.
                on_step = answer.interval < timedelta(days=1) and not answer.became_leech
                self._due.answered(card_id, state_before, answer.due if on_step else None, self.mode == ReviewMode.REVIEW)
                self._due.version = self._data_version()  # our own commit is followed already

    def bury(self, card_id: int) -> datetime | None:
        previous = super().bury(card_id)
        self._forget(card_id)
        return previous

    def suspend(self, card_id: int, suspended: bool = True) -> bool:
        previous = super().suspend(card_id, suspended)
        if suspended:
            self._forget(card_id)
        elif self._due is not None:
            self._due.stale = True  # back from a suspension (undo): rebuild to place it
        return previous

    def unbury(self, card_id: int, previous: datetime | None) -> None:
        super().unbury(card_id, previous)
        if self._due is not None:
            self._due.stale = True

    def undo(self, log_id: int) -> int:
        card_id = super().undo(log_id)
        if self._due is not None:
            self._due.stale = True
        return card_id

    def _forget(self, card_id: int) -> None:
        if self._due is not None:
            self._due.forget(card_id)
            self._due.version = self._data_version()

    # -- what the screen asks twice for one card (the next card, then today's counts) ----------

    def _fresh_due(self, now: datetime) -> DueCards | None:
        """The due list if it is already built and nothing has changed since (never builds it)."""
        due = self._due
        if due is None or not due.fresh(now, self.clock.day(now).start, self._data_version()):
            return None
        return due

    def _done_today_now(self, session: Session, now: datetime) -> tuple[int, int]:
        """``_done_today``, from the due list when it is fresh: it follows every answer given here."""
        if (due := self._fresh_due(now)) is not None:
            return due.reviews_done, due.new_done
        return self._done_today(session, now)

    def _waiting_now(self, now: datetime) -> dict[str, int]:
        """``_topics_with_new_cards``, read once while the due list stays fresh."""
        due = self._fresh_due(now)
        if due is not None and self._waiting is not None and self._waiting[0] == (due.version, due.built_at):
            return self._waiting[1]
        with self.context.store.read() as session:
            waiting = self._topics_with_new_cards(session, now)
        if due is not None:
            self._waiting = ((due.version, due.built_at), waiting)
        return waiting

    def _held_back_now(self, waiting: dict[str, int], now: datetime) -> list[HeldBack]:
        """``held_back``, worked out once while the due list stays fresh: any commit (an answer,
        here or elsewhere) or a minute passing makes it stale, and the topics are worked out again."""
        if (due := self._fresh_due(now)) is None:
            return held_back(self.context, waiting, now, self.scheduler, self._topic_order)
        key = (due.version, due.built_at, tuple(sorted(waiting.items())))
        if self._held is None or self._held[0] != key:
            self._held = (key, held_back(self.context, waiting, now, self.scheduler, self._topic_order))
        return self._held[1]

    # -- the queries -------------------------------------------------------------------------

    def _done_today(self, session: Session, now: datetime) -> tuple[int, int]:
        """(review-state cards, new cards) answered today in review mode."""
        day = self.clock.day(now)
        state_before = func.json_extract(ReviewLog.state_before, "$.state")
        rows = session.exec(
            select(state_before, func.count(col(ReviewLog.id)))
            .where(ReviewLog.reviewed_at >= day.start, ReviewLog.reviewed_at < day.end, ReviewLog.mode == "review")
            .group_by(state_before)
        ).all()
        by_state = {state: count for state, count in rows}
        return by_state.get(int(State.Review), 0), by_state.get(NEW, 0)

    def _reviews_due(self, now: datetime) -> SelectOfScalar[int | None]:
        """The ids of the due review cards, lowest retrievability first."""
        # fsrs's retrievability falls as whole days elapsed / stability rises, so ordering by
        # that ratio in SQL is ordering by lowest retrievability without loading every due card.
        now_julian = now.timestamp() / 86400.0 + 2440587.5
        elapsed_days = func.cast(now_julian - func.julianday(CardState.last_review), Integer)
        return (
            _active_by_review_order(select(col(CardState.id)))
            .where(CardState.state == int(State.Review), col(CardState.due) <= now, _unburied(now))
            .order_by((elapsed_days * 1.0 / col(CardState.stability)).desc(), col(CardState.due), col(CardState.id))
        )

    def _new_cards(self, session: Session, now: datetime, topic_ids: list[str]) -> list[CardState]:
        """New cards of the first of ``topic_ids`` that has any, in the order of its file."""
        for topic_id in topic_ids:
            rows = session.exec(
                _active(select(CardState)).where(CardState.state == NEW, _never_scheduled(), CardState.topic_id == topic_id, _unburied(now))
            ).all()
            if rows:
                return sorted(rows, key=self._card_position)
        return []

    def _topics_with_new_cards(self, session: Session, now: datetime) -> dict[str, int]:
        rows = session.exec(
            _active(select(CardState.topic_id, func.count(col(CardState.id))))
            .where(CardState.state == NEW, _never_scheduled(), _unburied(now))
            .group_by(CardState.topic_id)
        ).all()
        return {topic_id: count for topic_id, count in rows}

    # -- ordering and presentation -----------------------------------------------------------

    def _card_position(self, row: CardState) -> tuple[bool, int, int | None]:
        topic = self.context.curriculum.topics.get(row.topic_id)
        positions = {card.id: index for index, card in enumerate(topic.cards)} if topic else {}
        return (row.origin != "curriculum", positions.get(row.card_key, len(positions)), row.id)

    def _first_showable(self, rows: list[CardState], now: datetime) -> QueuedCard | None:
        for row in rows:
            if (card := queued_card(self.context, row, self.scheduler, now)) is not None:
                return card
        return None


def _never_scheduled() -> ColumnElement[bool]:
    # Always true of a new card; stated so that SQLite finds new cards through the due index
    # instead of scanning the whole table (20x faster with 100,000 cards).
    return col(CardState.due) == None  # noqa: E711


def _unburied(now: datetime) -> ColumnElement[bool]:
    return or_(col(CardState.buried_until) == None, col(CardState.buried_until) <= now)  # noqa: E711
