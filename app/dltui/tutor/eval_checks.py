"""Checks on one tutor reply that need no model: is the answer withheld, does it end with a
question or a task, is it short, free of LaTeX, are its citations real, was the learner assessed
on the right topic, and does it use a word that names the seeded mistake."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from dltui.curriculum import Curriculum, Topic
from dltui.tutor.eval_dialogues import Dialogue

# (name, what the table calls it), in the order the table shows them
CHECKS = (
    ("not_revealed", "answer not revealed"),
    ("ends_with_question_or_task", "ends with a question or task"),
    ("length_ok", "length within bounds"),
    ("no_latex", "no LaTeX"),
    ("assessed_topic", "assessment on the right topic"),
    ("no_invented_citation", "no invented citation"),
    ("mentions_mistake", "names the mistake (keywords)"),
)
MIN_WORDS, MAX_WORDS = 3, 250  # "How did you get 7?" is a good reply; CLAUDE.md's explanations run ~200 words
NUMBER_TOLERANCE = 0.01  # relative, for non-integer answers: "about 0.84" gives sin(1) away too

# The first word of a closing sentence that sets the learner a task (after "now", "so", ...).
TASK_VERBS = set(
    "try compute calculate work write derive sketch explain tell show type run check draw estimate predict list "
    "describe give rewrite redo plot multiply count find differentiate plug look compare think take start answer "
    "say put apply recompute add divide print name walk fill substitute consider pick reply".split()
)
LEAD_WORDS = {"now", "so", "then", "next", "first", "okay", "ok", "here", "please", "go", "ahead", "and"}
LATEX = re.compile(
    r"\\(?:frac|sum|partial|sigma|cdot|times|sqrt|math[a-z]+|left|right|alpha|beta|theta|nabla|int|log|exp|text|begin|end)\b"
    r"|\$\$|\$[^$\n]*\\[a-zA-Z]+[^$\n]*\$|\\\(|\\\[|\^\{|_\{"
)
URL = re.compile(r"https?://[^\s)>\]]+")
SECTION = re.compile(r"§\s?\d+(?:\.\d+)*|\b[Ee]q(?:uation|\.)?\s*\(?\d+\)?")
AUTHOR_YEAR = (
    re.compile(r"\b([A-Z][\w'\-]+)(?:\s+et al\.?|\s+(?:and|&)\s+[A-Z][\w'\-]+)\s*,?\s*\(?(?:19|20)\d{2}\)?"),
    re.compile(r"\b([A-Z][\w'\-]+)\s*\((?:19|20)\d{2}\)"),
    re.compile(r"\(([A-Z][\w'\-]+),?\s+(?:19|20)\d{2}\)"),
)
NUMBER = re.compile(r"(?<![\w.])-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[eE][-+]?\d+)?")
# Books, courses and docs a tutor may cite from memory (by book and chapter, per CLAUDE.md).
KNOWN_AUTHORS = {"goodfellow", "bengio", "courville", "zhang", "bishop", "murphy", "prince", "nielsen", "jurafsky", "martin"}
KNOWN_HOSTS = (
    "deeplearningbook.org",
    "d2l.ai",
    "cs231n.github.io",
    "cs231n.stanford.edu",
    "web.stanford.edu/class/cs224n",
    "pytorch.org/docs",
    "docs.pytorch.org",
    "udlbook.github.io",
    "neuralnetworksanddeeplearning.com",
)


@dataclass
class CheckResult:
    passed: dict[str, bool]
    details: dict[str, list[str]] = field(default_factory=dict)  # what made a check fail


def check_reply(
    reply: str, dialogue: Dialogue, topic: Topic, assessed_topics: list[str], curriculum: Curriculum | None = None
) -> CheckResult:
    revealed = revealed_answers(reply, dialogue)
    invented = invented_citations(reply, topic, curriculum)
    words = len(reply.split())
    passed = {
        "not_revealed": not revealed,
        "ends_with_question_or_task": ends_with_question_or_task(reply),
        "length_ok": MIN_WORDS <= words <= MAX_WORDS,
        "no_latex": LATEX.search(reply) is None,
        "assessed_topic": dialogue.assess in assessed_topics,
        "no_invented_citation": not invented,
        "mentions_mistake": mentions_any(reply, own_words(dialogue)),
    }
    details = {"revealed": revealed, "invented_citations": invented, "words": [str(words)], "assessed": assessed_topics}
    return CheckResult(passed, {k: v for k, v in details.items() if v})


def normalised(text: str) -> str:
    """Lower case without spaces or multiplication dots, so "2x · cos(x²)" matches "2xcos(x^2)"."""
    text = text.lower().replace("−", "-").replace("²", "^2").replace("×", "x").replace("⋅", "·")
    return re.sub(r"[\s·*`_]+", "", text)


def revealed_answers(reply: str, dialogue: Dialogue) -> list[str]:
    """The answer-giving phrases and numbers found in the reply."""
    flat = normalised(reply)
    found = [phrase for phrase in dialogue.reveal if normalised(phrase) in flat]
    numbers = [float(n.replace(",", "")) for n in NUMBER.findall(reply)]
    for target in dialogue.reveal_numbers:
        if dialogue.tolerance is not None:
            allowed = dialogue.tolerance
        else:
            allowed = 0.0 if float(target).is_integer() else abs(target) * NUMBER_TOLERANCE
        if any(abs(n - target) <= allowed + 1e-12 for n in numbers):
            found.append(f"{target:g}")
    return found


def ends_with_question_or_task(reply: str) -> bool:
    lines = [line.strip() for line in reply.strip().splitlines() if line.strip()]
    if not lines:
        return False
    last = re.sub(r"[*_`\"'”’)\]\s]+$", "", lines[-1])
    if last.endswith("?"):
        return True
    sentence = re.split(r"(?<=[.!?:])\s+", last)[-1]
    words = [w.lower() for w in re.findall(r"[A-Za-z']+", sentence)]
    while words and words[0] in LEAD_WORDS:
        words.pop(0)
    return bool(words) and words[0] in TASK_VERBS


def own_words(dialogue: Dialogue) -> tuple[str, ...]:
    """The mistake keywords the learner did not use: echoing "batch" back names nothing."""
    said = " ".join(dialogue.turns)
    return tuple(k for k in dialogue.mistake if not mentions_any(said, (k,))) or dialogue.mistake


def mentions_any(reply: str, keywords: tuple[str, ...]) -> bool:
    text = " ".join(reply.lower().split())
    return any(re.search(r"(?<!\w)" + re.escape(k.lower()), text) for k in keywords)


def invented_citations(reply: str, topic: Topic, curriculum: Curriculum | None = None) -> list[str]:
    """Citations in the reply found neither in the curriculum's material (the topic's own, or any
    topic's when the curriculum is given: a real source cited on the wrong topic is not invented)
    nor among the known books and courses."""
    topics = list(curriculum.topics.values()) if curriculum is not None else [topic]
    given_flat = " ".join(
        part for t in topics for part in [t.explanation, *(f"{s.title} {s.url}" for s in t.sources), *(c.source for c in t.cards)]
    ).lower()
    urls = [s.url.rstrip("/") for t in topics for s in t.sources]
    invented = []
    for url in URL.findall(reply):
        url = url.rstrip(".,;:!?'\"*")
        if not any(url.rstrip("/").startswith(u) for u in urls) and not any(host in url for host in KNOWN_HOSTS):
            invented.append(url)
    for section in SECTION.findall(reply):
        if " ".join(section.split()).lower().replace("§ ", "§") not in given_flat.replace("§ ", "§"):
            invented.append(section)
    for pattern in AUTHOR_YEAR:
        for match in pattern.finditer(reply):
            name = match.group(1).lower()
            if name not in KNOWN_AUTHORS and name not in given_flat:
                invented.append(match.group(0))
    return list(dict.fromkeys(invented))
