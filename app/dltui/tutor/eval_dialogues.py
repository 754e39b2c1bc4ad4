"""The tutor-eval dialogues: seeded learner mistakes with what a good reply must and must not do.

They live in ``curriculum/eval/dialogues.toml`` (the same folder the app reads its curriculum
from, so an installed dltui carries them too). Every problem in the file is reported at once,
naming the dialogue and the field.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dltui.curriculum import Curriculum

DIALOGUES_FILE = Path("eval") / "dialogues.toml"  # under the curriculum folder
KINDS = ("wrong-derivative", "shape-error", "wrong-number", "misread-curve", "misconception", "pushback")


class DialogueError(ValueError):
    """The dialogue file cannot be used as it is; the message lists every problem."""


@dataclass(frozen=True)
class Reference:
    """A reply written and labelled by a person, to measure how often the judge agrees."""

    reply: str
    names_mistake: bool
    actionable: bool
    holds_position: bool | None = None  # pushback dialogues only


@dataclass(frozen=True)
class Dialogue:
    id: str
    topic: str
    kind: str
    turns: tuple[str, ...]
    mistake: tuple[str, ...]  # any one of these words in a reply names the mistake
    reveal: tuple[str, ...] = ()  # phrases that give the answer away
    reveal_numbers: tuple[float, ...] = ()
    tolerance: float | None = None  # for reveal_numbers; None: 0.1% of the number
    assess: str = ""
    references: tuple[Reference, ...] = ()

    @property
    def is_pushback(self) -> bool:
        return self.kind == "pushback"


def dialogues_path(curriculum_dir: Path) -> Path:
    return curriculum_dir / DIALOGUES_FILE


def load_dialogues(path: Path, curriculum: Curriculum) -> list[Dialogue]:
    """Every dialogue in the file, checked against the curriculum; DialogueError lists all problems."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DialogueError(f"{path}: no such file; the eval dialogues ship in curriculum/eval/") from None
    except tomllib.TOMLDecodeError as err:
        raise DialogueError(f"{path}: not valid TOML ({err})") from None
    problems: list[str] = []
    dialogues: list[Dialogue] = []
    seen: set[str] = set()
    for index, entry in enumerate(raw.get("dialogue", [])):
        label = f"{path.name}: dialogue {entry.get('id') or index + 1}"
        before = len(problems)
        dialogue = _dialogue(entry, label, problems)
        if dialogue is None or len(problems) > before:
            continue
        for topic_field in ("topic", "assess"):
            if getattr(dialogue, topic_field) not in curriculum.topics:
                problems.append(f"{label}: {topic_field} {getattr(dialogue, topic_field)!r} is not a curriculum topic")
        if dialogue.id in seen:
            problems.append(f"{label}: id used twice")
        seen.add(dialogue.id)
        dialogues.append(dialogue)
    if not dialogues and not problems:
        problems.append(f"{path.name}: no [[dialogue]] entries")
    if problems:
        raise DialogueError("\n".join(problems))
    return dialogues


def _dialogue(entry: dict[str, Any], label: str, problems: list[str]) -> Dialogue | None:
    def text(name: str) -> str:
        value = entry.get(name)
        if not isinstance(value, str) or not value.strip():
            problems.append(f"{label}: {name} must be non-empty text")
            return ""
        return value.strip()

    def texts(name: str, required: bool) -> tuple[str, ...]:
        value = entry.get(name, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            problems.append(f"{label}: {name} must be a list of non-empty strings")
            return ()
        if required and not value:
            problems.append(f"{label}: {name} must not be empty")
        return tuple(v.strip() for v in value)

    kind = text("kind")
    if kind and kind not in KINDS:
        problems.append(f"{label}: kind must be one of {', '.join(KINDS)}")
    numbers = entry.get("reveal_numbers", [])
    if not isinstance(numbers, list) or not all(isinstance(n, (int, float)) and not isinstance(n, bool) for n in numbers):
        problems.append(f"{label}: reveal_numbers must be a list of numbers")
        numbers = []
    reveal = texts("reveal", required=False)
    if not reveal and not numbers:
        problems.append(f"{label}: give the answer to withhold, as reveal phrases or reveal_numbers")
    turns = texts("turns", required=True)
    if kind == "pushback" and len(turns) < 2:
        problems.append(f"{label}: a pushback dialogue needs a second turn that insists")
    tolerance = entry.get("tolerance")
    if tolerance is not None and (not isinstance(tolerance, (int, float)) or tolerance < 0):
        problems.append(f"{label}: tolerance must be a number >= 0")
    references = tuple(_reference(r, f"{label} reference {i + 1}", problems) for i, r in enumerate(entry.get("reference", [])))
    return Dialogue(
        id=text("id"),
        topic=text("topic"),
        kind=kind,
        turns=turns,
        mistake=texts("mistake", required=True),
        reveal=reveal,
        reveal_numbers=tuple(float(n) for n in numbers),
        tolerance=float(tolerance) if isinstance(tolerance, (int, float)) else None,
        assess=text("assess"),
        references=tuple(r for r in references if r is not None),
    )


def _reference(entry: object, label: str, problems: list[str]) -> Reference | None:
    if not isinstance(entry, dict) or not isinstance(entry.get("reply"), str):
        problems.append(f"{label}: needs a reply")
        return None
    labels: dict[str, bool | None] = {}
    for name in ("names_mistake", "actionable", "holds_position"):
        value = entry.get(name)
        if value is None and name == "holds_position":
            labels[name] = None
        elif isinstance(value, bool):
            labels[name] = value
        else:
            problems.append(f"{label}: {name} must be true or false")
            return None
    names_mistake, actionable = labels["names_mistake"], labels["actionable"]
    assert names_mistake is not None and actionable is not None  # only holds_position may be left out
    return Reference(reply=entry["reply"], names_mistake=names_mistake, actionable=actionable, holds_position=labels["holds_position"])
