"""A small curriculum written to disk for the review tests, so they do not depend on the content.

alpha (A1, no prerequisites, lab "lab-a"): a recall, an mcq (answer c) and a numeric card (42)
beta  (A2, needs alpha): two recall cards
gamma (B1, no prerequisites): three recall cards
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from dltui.context import StudyContext
from dltui.settings import load_settings

QUESTIONS = """
## Socratic questions

```toml
[[question]]
kind = "opener"
prompt = "What do you know already?"
key_points = ["something"]
hint = "Think."

[[question]]
prompt = "Why?"
key_points = ["because"]
hint = "Think again."

[[question]]
prompt = "How?"
key_points = ["like this"]
hint = "Think once more."
```
"""


def _topic(topic_id: str, title: str, domain: str, prerequisites: list[str], labs: list[str], cards: str) -> str:
    return f'''+++
id = "{topic_id}"
title = "{title}"
domain = "{domain}"
prerequisites = {prerequisites!r}
labs = {labs!r}

[[sources]]
title = "A book"
url = "https://example.org/book"
+++

## Explanation

{title} explained in a few words.
{QUESTIONS}
## Quiz cards

```toml
{cards}
```
'''


def _recall(card_id: str, front: str, answer: str) -> str:
    return f'''[[card]]
id = "{card_id}"
kind = "recall"
front = "{front}"
answer = "{answer}"
why = "Because it is so."
source = "A book, ch. 1"
'''


ALPHA_CARDS = (
    _recall("alpha/r1", "What is alpha?", "The first letter")
    + """
[[card]]
id = "alpha/m1"
kind = "mcq"
front = "Which letter comes third?"
choices = ["a", "b", "c", "d"]
answer = "c"
why = "a, b, c."
source = "A book, ch. 2"

[[card]]
id = "alpha/n1"
kind = "numeric"
front = "Six times seven?"
answer = 42
tolerance = 0
why = "6 * 7 = 42."
source = "A book, ch. 3"
"""
)


def write_curriculum(root: Path, extra_gamma_cards: str = "", gamma_front: str = "What is gamma?") -> Path:
    (root / "A").mkdir(parents=True, exist_ok=True)
    (root / "B").mkdir(parents=True, exist_ok=True)
    (root / "domains.toml").write_text(
        '[[domain]]\nid = "A"\ntitle = "Letters"\nweight = 0.5\n\n[[domain]]\nid = "B"\ntitle = "Greek"\nweight = 0.5\n',
        encoding="utf-8",
    )
    (root / "A" / "01-alpha.md").write_text(_topic("alpha", "Alpha", "A", [], ["lab-a"], ALPHA_CARDS), encoding="utf-8")
    beta_cards = _recall("beta/r1", "What is beta?", "The second letter") + _recall("beta/r2", "Beta after?", "Alpha")
    (root / "A" / "02-beta.md").write_text(_topic("beta", "Beta", "A", ["alpha"], [], beta_cards), encoding="utf-8")
    gamma_cards = (
        _recall("gamma/r1", gamma_front, "The third letter")
        + _recall("gamma/r2", "Gamma's capital?", "A right angle")
        + _recall("gamma/r3", "Gamma function at 5?", "24")
        + extra_gamma_cards
    )
    (root / "B" / "01-gamma.md").write_text(_topic("gamma", "Gamma", "B", [], [], gamma_cards), encoding="utf-8")
    return root


def open_context(tmp_path: Path, **settings: object) -> StudyContext:
    """A StudyContext on a fresh database with the small curriculum; settings as env overrides."""
    names = {
        "new_cards_per_day": "DLTUI_NEW_PER_DAY",
        "reviews_per_day": "DLTUI_REVIEWS_PER_DAY",
        "day_starts_at_hour": "DLTUI_DAY_STARTS_AT",
        "desired_retention": "DLTUI_RETENTION",
    }
    curriculum = tmp_path / "curriculum"
    if not curriculum.exists():
        write_curriculum(curriculum)
    env = {"DLTUI_CURRICULUM": str(curriculum), **{names[k]: str(v) for k, v in settings.items()}}
    context = StudyContext.open(settings=load_settings(tmp_path / "data" / "tutor.db", env=env))
    assert not context.curriculum_problems, context.curriculum_problems
    return context


class FakeNow:
    """An adjustable "now" for StudyClock: tests move it forward by hand."""

    def __init__(self, start: datetime):
        self.value = start.astimezone(timezone.utc)

    def __call__(self) -> datetime:
        return self.value

    def advance(self, **delta) -> datetime:
        from datetime import timedelta

        self.value += timedelta(**delta)
        return self.value
