"""What the learner is doing outside the chat right now, so the tutor can answer "why did I get
that wrong?" about the card just failed, the topic open, or the run on screen.

The UI sets one of these on `StudyContext.activity`; `tutor.prompt` turns it into a part of the
system prompt. A plain record: it knows no screen and no database.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LearnerActivity:
    area: str  # "topics" | "review" | "labs": the area the learner is working in
    topic_id: str | None = None
    card_key: str | None = None  # the card just failed in Review ("topic/slug" or "tutor/<n>")
    answer_given: str | None = None  # what the learner answered on that card, if they typed one
    run_id: str | None = None  # the lab run on screen in Labs
    asked_about_run: bool = False  # the learner pressed t on it: the tutor opens with a question about it

    @classmethod
    def reading_topic(cls, topic_id: str) -> "LearnerActivity":
        return cls(area="topics", topic_id=topic_id)

    @classmethod
    def failed_card(cls, card_key: str, topic_id: str, answer_given: str | None = None) -> "LearnerActivity":
        return cls(area="review", topic_id=topic_id, card_key=card_key, answer_given=answer_given)

    @classmethod
    def watching_run(cls, run_id: str, asked: bool = False) -> "LearnerActivity":
        return cls(area="labs", run_id=run_id, asked_about_run=asked)
