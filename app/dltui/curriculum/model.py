"""Records of the curriculum: domains, topics, Socratic questions and quiz cards.

Content lives in files under ``curriculum/``; these records are what the loader builds.
The database refers to topics and cards only by their stable string ids.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field


class CardKind(str, enum.Enum):
    RECALL = "recall"
    MULTIPLE_CHOICE = "mcq"
    NUMERIC = "numeric"


class QuestionKind(str, enum.Enum):
    OPENER = "opener"  # asks what the learner already knows
    CHECK = "check"  # checks understanding after the explanation


@dataclass(frozen=True)
class Source:
    title: str
    url: str


@dataclass(frozen=True)
class Domain:
    id: str  # "A".."H"
    title: str
    weight: float  # share of the whole curriculum, 0..1
    expected_topics: int | None = None


@dataclass(frozen=True)
class SocraticQuestion:
    id: str
    kind: QuestionKind
    prompt: str
    key_points: tuple[str, ...]
    hint: str


@dataclass(frozen=True)
class Card:
    id: str  # "<topic-id>/<suffix>", stable across edits
    topic_id: str
    kind: CardKind
    front: str
    answer: str  # recall: the answer text; mcq: the letter; numeric: the number as written
    why: str
    source: str
    choices: tuple[str, ...] = ()
    tolerance: float = 0.0
    unit: str = ""

    @property
    def numeric_answer(self) -> float:
        return float(self.answer)

    @property
    def correct_choice_text(self) -> str:
        return self.choices[ord(self.answer) - ord("a")] if self.choices else ""

    @property
    def back(self) -> str:
        """The answer as shown to the learner."""
        if self.kind is CardKind.MULTIPLE_CHOICE:
            return f"({self.answer}) {self.correct_choice_text}"
        if self.kind is CardKind.NUMERIC:
            return f"{self.answer} {self.unit}".strip()
        return self.answer

    def grade(self, response: str) -> bool | None:
        """True/False for auto-graded kinds; None when the learner grades themselves."""
        text = response.strip().lower()
        if self.kind is CardKind.MULTIPLE_CHOICE:
            return text[:1] == self.answer
        if self.kind is CardKind.NUMERIC:
            try:
                value = float(text.replace(",", "").split()[0])
            except (ValueError, IndexError):
                return False
            target = self.numeric_answer
            allowed = max(self.tolerance, 1e-9 * max(1.0, abs(target)))
            return math.isclose(value, target, abs_tol=allowed)
        return None


@dataclass(frozen=True)
class Topic:
    id: str
    title: str
    domain: str
    order: int  # position within the domain (from the file name)
    prerequisites: tuple[str, ...]
    labs: tuple[str, ...]
    sources: tuple[Source, ...]
    explanation: str  # Markdown
    questions: tuple[SocraticQuestion, ...]
    cards: tuple[Card, ...]
    path: str = ""

    @property
    def code(self) -> str:
        """Short label such as "B5" for lists and the chat."""
        return f"{self.domain}{self.order}"


@dataclass
class Curriculum:
    domains: dict[str, Domain] = field(default_factory=dict)
    topics: dict[str, Topic] = field(default_factory=dict)  # in domain, then file order

    def card(self, card_id: str) -> Card | None:
        topic = self.topics.get(card_id.split("/", 1)[0])
        if topic is None:
            return None
        return next((c for c in topic.cards if c.id == card_id), None)

    def all_cards(self) -> list[Card]:
        return [card for topic in self.topics.values() for card in topic.cards]

    def topics_in(self, domain_id: str) -> list[Topic]:
        return [t for t in self.topics.values() if t.domain == domain_id]

    def dependents(self, topic_id: str) -> list[Topic]:
        """Topics that list this one as a prerequisite (what it unlocks)."""
        return [t for t in self.topics.values() if topic_id in t.prerequisites]

    def topic_by_id_or_code(self, text: str) -> Topic | None:
        """The topic whose id or code ("B5") is exactly ``text`` (any case): for tools, never fuzzy."""
        needle = text.strip().lower()
        return next((t for t in self.topics.values() if needle in (t.id.lower(), t.code.lower())), None)

    def find_topic(self, text: str) -> Topic | None:
        """Look a topic up by id, code ("B5") or title, case-insensitively (what a person types)."""
        needle = text.strip().lower()
        for topic in self.topics.values():
            if needle in (topic.id.lower(), topic.code.lower(), topic.title.lower()):
                return topic
        return next((t for t in self.topics.values() if needle and needle in t.title.lower()), None)
