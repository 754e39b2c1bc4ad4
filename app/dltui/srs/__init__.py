"""Spaced repetition on FSRS: the daily queue, quizzes, answers and undo, mastery and stats.

What the rest of the app uses:
- ``topic_mastery(context)`` -> {topic id: Mastery}: the one measure of how well a topic is known.
- ``add_card(context, topic_id, front, back, source, origin)``: a card from the tutor or a gap.
- ``ReviewQueue(context)`` / ``Quiz(context, topic_id)``: decks the review screen works through.
- ``sync_cards(context)``: bring the database's curriculum cards in line with the files.
- ``review_stats(context)``: numbers for the stats view and the progress area.
"""

from dltui.srs.answers import Answer, AnswerError, record_answer, undo_answer
from dltui.srs.cards import CardError, add_card
from dltui.srs.days import StudyClock
from dltui.srs.deck import QueuedCard
from dltui.srs.mastery import Mastery, MasteryState, topic_mastery
from dltui.srs.prerequisites import HeldBack
from dltui.srs.queue import ReviewQueue
from dltui.srs.quiz import Quiz, QuizError
from dltui.srs.stats import ReviewStats, review_stats
from dltui.srs.sync import sync_cards

__all__ = [
    "Answer",
    "AnswerError",
    "CardError",
    "HeldBack",
    "Mastery",
    "MasteryState",
    "QueuedCard",
    "Quiz",
    "QuizError",
    "ReviewQueue",
    "ReviewStats",
    "StudyClock",
    "add_card",
    "record_answer",
    "review_stats",
    "sync_cards",
    "topic_mastery",
    "undo_answer",
]
