"""Per-topic status for the topic map: mastery, cards due now, and whether it is ready to study."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import func
from sqlmodel import col, select

from dltui.srs.mastery import Mastery, topic_mastery
from dltui.srs.recommend import waiting_on
from dltui.store.models import CardState
from dltui.store.types import utcnow

if TYPE_CHECKING:
    from dltui.context import StudyContext


@dataclass(frozen=True)
class TopicStatus:
    mastery: Mastery
    due: int  # reviewed cards whose next review is due now
    waiting_on: list[str]  # why its prerequisites are not in place yet (empty: ready; srs.recommend)

    @property
    def ready(self) -> bool:
        return not self.waiting_on


def topic_statuses(context: StudyContext, now: datetime | None = None, mastery: dict[str, Mastery] | None = None) -> dict[str, TopicStatus]:
    now = now or utcnow()
    mastery = mastery or topic_mastery(context, now=now)
    with context.store.read() as session:
        due = dict(
            session.exec(
                select(CardState.topic_id, func.count())
                .where(
                    CardState.state != 0,
                    col(CardState.due) <= now,
                    CardState.retired == False,  # noqa: E712
                    CardState.suspended == False,  # noqa: E712
                )
                .group_by(CardState.topic_id)
            ).all()
        )
    waiting = waiting_on(context.curriculum, mastery)  # the same rule study_next uses
    return {
        topic.id: TopicStatus(mastery[topic.id], due.get(topic.id, 0), waiting.get(topic.id, []))
        for topic in context.curriculum.topics.values()
        if topic.id in mastery
    }
