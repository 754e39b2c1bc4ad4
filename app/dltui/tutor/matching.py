"""Compare a learner's free-text answer with the key points of a good answer.

Deliberately simple and predictable: a key point counts as covered when most of its content
words (lightly stemmed) and all of its numbers appear in the answer. Words said in a negated
clause ("large scores never saturate") do not count for a key point that is not itself negated.
The offline tutor uses it to decide between praise, a hint, and explaining again.
"""

from __future__ import annotations

import re

WORD = re.compile(r"[a-z]+|\d+(?:\.\d+)?")
STOPWORDS = set(
    "a an the of to in on for by with is are be it its as at or and that this these those what which "
    "from into than then so if when how why not no do does can each per one".split()
)
COVERED_AT = 0.6  # share of a key point's content words that must appear
NEGATION = re.compile(r"\b(?:not|no|never|none|nothing|neither|nor|without|cannot)\b|n['’]t\b", re.IGNORECASE)
# Where a negation's reach ends: punctuation, and the words that start a new statement.
CLAUSE_END = re.compile(
    r"[,;:!?\n]|\.(?=\s|$)|\b(?:but|so|because|while|whereas|although|though|however|yet|since|which|hence|thus)\b",
    re.IGNORECASE,
)


def _stem(word: str) -> str:
    for suffix in ("ations", "ation", "ings", "ing", "ies", "es", "ed", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


# Symbols the curriculum writes and a learner types as words: "1/√B" and "1/sqrt(B)" are one answer.
SYMBOL_WORDS = str.maketrans(
    {
        "√": " sqrt ",
        "η": " eta ",
        "σ": " sigma ",
        "λ": " lambda ",
        "α": " alpha ",
        "β": " beta ",
        "ε": " epsilon ",
        "θ": " theta ",
        "μ": " mu ",
        "Σ": " sum ",
        "∑": " sum ",
        "∂": " partial ",
        "∇": " gradient ",
    }
)


def content_words(text: str) -> set[str]:
    text = text.translate(SYMBOL_WORDS).lower().replace("-", " ")
    return {_stem(w) for w in WORD.findall(text) if w not in STOPWORDS}


def named_words(said: set[str], words: set[str]) -> set[str]:
    """The ``words`` the ``said`` words name: the same word, or a longer one a said word of 4+
    letters starts ("backprop" names "backpropagation", "norm" names "normalization")."""
    return {w for w in words if w in said or any(len(s) >= 4 and w.startswith(s) for s in said)}


def is_negated(text: str) -> bool:
    return bool(NEGATION.search(text))


def affirmed_words(text: str) -> set[str]:
    """The content words of the clauses that are not negated."""
    return set().union(*(content_words(c) for c in CLAUSE_END.split(text) if c and not is_negated(c)))


def covered_points(answer: str, key_points: tuple[str, ...] | list[str]) -> list[bool]:
    """For each key point, whether the answer covers it."""
    everything, affirmed = content_words(answer), affirmed_words(answer)
    result = []
    for point in key_points:
        said = everything if is_negated(point) else affirmed
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


QUESTION_START = re.compile(
    r"^(?:(?:what|what's|whats|why|how|which|who|where|is|are|does|do|did|can|could|would|should|will|tell me)\b|explain\s+\w)",
    re.IGNORECASE,
)


def looks_like_question(text: str) -> bool:
    """Whether the learner is asking rather than answering: a question mark, or a question's first word."""
    text = text.strip()
    return text.endswith("?") or bool(QUESTION_START.match(text)) and len(text.split()) > 2
