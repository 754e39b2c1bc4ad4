"""Today's due cards, ordered once and kept in memory: the daily queue's hot path.

Ordering the due reviews in SQL sorts every due card on each call (~8 ms at 100,000 cards). The
queue builds this list with that same query once, then updates it with the answers given through
it. A commit by any other connection (the tutor adding a card, a quiz, another dltui answering)
changes SQLite's ``PRAGMA data_version`` as read on a connection of our own, and the list is
built again at the next look; so it does when the clock has moved on a minute (cards come due)
or the study day changes. Each card is checked against its row before it is shown, so a card
changed elsewhere in the instant around our own commit is skipped, never shown wrongly.
"""

from __future__ import annotations

import bisect
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from fsrs import State

from dltui.srs.days import as_utc
from dltui.store.models import CardState

REBUILD_AFTER = timedelta(minutes=1)  # cards come due as time passes: look again this often
LEARNING_STATES = (int(State.Learning), int(State.Relearning))


class ChangeWatch:
    """Tells whether another connection has committed since the last look."""

    def __init__(self, path: Path):
        # A connection of its own: data_version ignores the commits of the connection reading it.
        self._connection = sqlite3.connect(path, check_same_thread=False)

    def version(self) -> int:
        (version,) = self._connection.execute("PRAGMA data_version").fetchone()
        return int(version)

    def close(self) -> None:
        self._connection.close()


@dataclass
class DueCards:
    """The due cards of one moment in the study day, in the order the queue shows them."""

    built_at: datetime
    day_start: datetime
    version: int
    learning: list[tuple[datetime, int]]  # (due, card id) of every active learning card, soonest first
    reviews: list[int]  # due review cards, lowest retrievability first
    reviews_done: int  # review-state cards answered today in review mode
    new_done: int  # new cards introduced today in review mode
    stale: bool = field(default=False)

    def fresh(self, now: datetime, day_start: datetime, version: int) -> bool:
        moved = now - self.built_at
        return not self.stale and version == self.version and day_start == self.day_start and (timedelta(0) <= moved < REBUILD_AFTER)

    def learning_due(self, until: datetime) -> list[int]:
        """Learning cards due by ``until``, soonest first."""
        end = bisect.bisect_right(self.learning, (as_utc(until), float("inf")))
        return [card_id for _, card_id in self.learning[:end]]

    def forget(self, card_id: int) -> None:
        """The card left the due lists (answered, buried, suspended)."""
        if card_id in self.reviews:
            self.reviews.remove(card_id)
        self.learning = [entry for entry in self.learning if entry[1] != card_id]

    def answered(self, card_id: int, state_before: int, learning_due: datetime | None, counted: bool) -> None:
        """Follow our own answer: the card leaves its place, back among the learning cards if it
        is on a step (due ``learning_due``); today's counts go up."""
        self.forget(card_id)
        if learning_due is not None:
            bisect.insort(self.learning, (as_utc(learning_due), card_id))
        if counted and state_before == int(State.Review):
            self.reviews_done += 1
        elif counted and state_before == 0:
            self.new_done += 1


def still_due(row: CardState, states: tuple[int, ...], until: datetime, now: datetime) -> bool:
    """What the queue's SQL asks of a due card, asked of one row just read."""
    if row.retired or row.suspended or row.state not in states or row.due is None:
        return False
    if row.buried_until is not None and as_utc(row.buried_until) > now:
        return False
    return as_utc(row.due) <= until
