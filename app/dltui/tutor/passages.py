"""Passages of the curriculum the offline tutor can quote: explanation paragraphs and quiz cards.

A learner's question is answered with the paragraph(s) sharing the rarest words with it (words
weighted by how few passages use them, so "Adam" counts for more than "gradient"). The same
scoring finds, inside one topic, the passage that best explains the key points a learner missed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from dltui.curriculum import CardKind, Curriculum, Topic
from dltui.tutor.matching import content_words, named_words

# Words that say "this is a question" but not what it is about.
ASKING = content_words(
    "what whats why how which who where is are does do did can could would should will tell me explain difference "
    "differ different between mean means meaning work works use used compare versus vs about i you my your "
    "please again there their some any like example"
)
TOPIC_TITLE_WEIGHT = 0.5  # a word of the topic's title counts half as much as one in the passage


@dataclass(frozen=True)
class Passage:
    topic: Topic
    text: str
    where: str  # "explanation" or 'quiz card "..."', for saying where it is from
    words: frozenset[str]


def paragraphs(markdown: str) -> list[str]:
    """Blank-line separated paragraphs; a fenced code block stays with its paragraph."""
    result: list[str] = []
    current: list[str] = []
    fenced = False
    for line in markdown.strip().splitlines():
        if line.strip().startswith("```"):
            fenced = not fenced
        if not line.strip() and not fenced:
            if current:
                result.append("\n".join(current))
            current = []
        else:
            current.append(line)
    if current:
        result.append("\n".join(current))
    return result


def topic_passages(topic: Topic, cards: bool = False) -> list[Passage]:
    found = [Passage(topic, p, "explanation", frozenset(content_words(p))) for p in paragraphs(topic.explanation)]
    if cards:
        for card in topic.cards:
            text = {
                CardKind.RECALL: f"{card.answer} {card.why}",
                CardKind.MULTIPLE_CHOICE: f"{card.correct_choice_text}. {card.why}",
            }.get(card.kind, card.why)
            found.append(Passage(topic, text, f"quiz card “{card.front}”", frozenset(content_words(text))))
    return found


class PassageIndex:
    """Every explanation paragraph of the curriculum, with word rarities for scoring."""

    def __init__(self, curriculum: Curriculum):
        self.passages = [p for topic in curriculum.topics.values() for p in topic_passages(topic)]
        counts: dict[str, int] = {}
        for passage in self.passages:
            for word in passage.words:
                counts[word] = counts.get(word, 0) + 1
        total = max(1, len(self.passages))
        self.rarity = {word: math.log(1 + total / n) for word, n in counts.items()}

    def score(self, asked: set[str], passage: Passage) -> float:
        title = content_words(f"{passage.topic.title} {passage.topic.id}")
        body = sum(self.rarity.get(w, 0.0) for w in asked & passage.words)
        return body + TOPIC_TITLE_WEIGHT * sum(self.rarity.get(w, 1.0) for w in asked & title)

    def answer(self, question: str, prefer: str | None = None, limit: int = 2, within: Topic | None = None) -> list[Passage]:
        """The passages that answer ``question`` best, from one topic (``prefer`` wins a near tie;
        ``within``: only that topic's, where the question's words may name longer ones)."""
        asked = content_words(question) - ASKING
        if not asked:
            return []
        if within is not None:
            asked = named_words(asked, set().union(*(p.words for p in self.passages if p.topic is within))) or asked
        scored = [
            (self.score(asked, p) * (1.1 if p.topic.id == prefer else 1.0), i, p)
            for i, p in enumerate(self.passages)
            if within is None or p.topic is within
        ]
        scored = [s for s in scored if s[0] > 0]
        if not scored:
            return []
        best = max(scored, key=lambda s: (s[0], -s[1]))[2]
        chosen = [best]
        missing = asked - best.words
        # A question about two things ("Adam and SGD") may need a second paragraph of the same topic.
        for _, _, passage in sorted((s for s in scored if s[2].topic is best.topic and s[2] is not best), key=lambda s: -s[0]):
            if len(chosen) >= limit or not missing:
                break
            if missing & passage.words:
                chosen.append(passage)
                missing -= passage.words
        order = {id(p): i for i, p in enumerate(self.passages)}
        return sorted(chosen, key=lambda p: order[id(p)])


def best_for(points: list[str], candidates: list[Passage]) -> Passage | None:
    """The candidate sharing the most words with ``points`` (ties: the first); None when none shares any."""
    wanted = set().union(*(content_words(p) for p in points)) if points else set()
    scored = [(len(wanted & c.words), -i, c) for i, c in enumerate(candidates)]
    scored = [s for s in scored if s[0] > 0]
    return max(scored, key=lambda s: s[:2])[2] if scored else None
