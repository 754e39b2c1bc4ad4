"""Keep the CardState table in step with the curriculum files.

New card ids get a row (state new); a card whose text changed keeps its row and so its schedule
(the text lives in the files); a card removed from the files is retired, never deleted, so its
review history stays; a retired card that comes back is active again with its old schedule.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlmodel import select

from dltui.store.models import CardState

if TYPE_CHECKING:
    from dltui.context import StudyContext


@dataclass(frozen=True)
class SyncReport:
    added: int
    retired: int
    restored: int

    @property
    def changed(self) -> bool:
        return bool(self.added or self.retired or self.restored)


def sync_cards(context: StudyContext) -> SyncReport:
    """Bring the database's curriculum cards in line with ``context.curriculum``."""
    wanted = {card.id: card.topic_id for card in context.curriculum.all_cards()}
    added = retired = restored = 0
    with context.store.session() as session:
        rows = session.exec(select(CardState.id, CardState.card_key, CardState.retired).where(CardState.origin == "curriculum")).all()
        known = {key: (row_id, was_retired) for row_id, key, was_retired in rows}
        to_retire = [row_id for key, (row_id, was_retired) in known.items() if key not in wanted and not was_retired]
        to_restore = [row_id for key, (row_id, was_retired) in known.items() if key in wanted and was_retired]
        for row_id in to_retire:
            session.get_one(CardState, row_id).retired = True
        for row_id in to_restore:
            session.get_one(CardState, row_id).retired = False
        retired, restored = len(to_retire), len(to_restore)
        for key, topic_id in wanted.items():
            if key not in known:
                session.add(CardState(card_key=key, topic_id=topic_id, origin="curriculum"))
                added += 1
    return SyncReport(added=added, retired=retired, restored=restored)
