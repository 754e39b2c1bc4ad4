"""Compare a learner's free-text answer with the key points of a good answer.

Deliberately simple and predictable: a key point counts as covered when most of its content
words (lightly stemmed) or all of its numbers appear in the answer. The offline tutor uses it to
decide between praise, a hint, and showing the key points.
"""

from __future__ import annotations

import re

WORD = re.compile(r"[a-z]+|\d+(?:\.\d+)?")
STOPWORDS = set(
    "a an the of to in on for by with is are be it its as at or and that this these those what which "
    "from into than then so if when how why not no do does can each per one".split()
)
COVERED_AT = 0.6  # share of a key point's content words that must appear


def _stem(word: str) -> str:
    for suffix in ("ations", "ation", "ings", "ing", "ies", "es", "ed", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def content_words(text: str) -> set[str]:
    return {_stem(w) for w in WORD.findall(text.lower().replace("-", " ")) if w not in STOPWORDS}


def covered_points(answer: str, key_points: tuple[str, ...] | list[str]) -> list[bool]:
    """For each key point, whether the answer covers it."""
    said = content_words(answer)
    result = []
    for point in key_points:
        words = content_words(point)
        if not words:
            result.append(False)
            continue
        numbers = {w for w in words if w[0].isdigit()}
        if numbers and not numbers <= said:
            result.append(False)
            continue
        result.append(len(words & said) / len(words) >= COVERED_AT)
    return result
