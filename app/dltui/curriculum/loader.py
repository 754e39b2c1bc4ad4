"""Load and validate the curriculum files.

A topic file is Markdown with TOML front matter between ``+++`` lines, a ``## Explanation``
section, and ``## Socratic questions`` / ``## Quiz cards`` sections that each hold one fenced
```toml block. The loader never raises on bad content: every problem becomes a `Problem` that
names the file, the line and the field, and the broken topic or card is left out.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from dltui.curriculum.model import (
    Card,
    CardKind,
    Curriculum,
    Domain,
    QuestionKind,
    SocraticQuestion,
    Source,
    Topic,
)

TOPIC_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
FILE_NAME = re.compile(r"^(\d+)-[a-z0-9-]+\.md$")
SECTION = re.compile(r"^## +(.+?)\s*$", re.MULTILINE)
TOML_FENCE = re.compile(r"^```toml[ \t]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
TOML_LINE = re.compile(r"at line (\d+)")
MAX_EXPLANATION_WORDS = 250


@dataclass(frozen=True)
class Problem:
    path: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.field}: {self.message}"


class _Report:
    """Collects problems for one file, with line numbers relative to the file."""

    def __init__(self, path: Path, root: Path, problems: list[Problem]):
        try:
            self.path = str(path.relative_to(root.parent))
        except ValueError:
            self.path = str(path)
        self.problems = problems

    def add(self, line: int, field: str, message: str) -> None:
        self.problems.append(Problem(self.path, line, field, message))


def load_curriculum(root: Path) -> tuple[Curriculum, list[Problem]]:
    """Read ``domains.toml`` and every topic file under ``root``; return what loaded and the problems."""
    problems: list[Problem] = []
    curriculum = Curriculum(domains=_load_domains(root, problems))
    topics: list[Topic] = []
    for path in sorted(root.glob("*/*.md")):
        topic = _load_topic(path, root, curriculum.domains, _Report(path, root, problems))
        if topic is not None:
            topics.append(topic)
    seen_cards: dict[str, str] = {}
    for topic in sorted(topics, key=lambda t: (t.domain, t.order, t.id)):
        report = _Report(Path(topic.path), root, problems)
        if topic.id in curriculum.topics:
            report.add(1, "id", f"duplicate topic id {topic.id!r} (also in {curriculum.topics[topic.id].path})")
            continue
        for card in topic.cards:
            if card.id in seen_cards:
                report.add(0, f"card {card.id}", f"duplicate card id (also in {seen_cards[card.id]})")
            seen_cards[card.id] = topic.path
        curriculum.topics[topic.id] = topic
    _check_prerequisites(curriculum, root, problems)
    return curriculum, problems


def check_curriculum(root: Path) -> tuple[Curriculum, list[Problem]]:
    """Load, then apply the content rules a finished curriculum must meet (counts, weights, sizes)."""
    curriculum, problems = load_curriculum(root)
    domains_file = str((root / "domains.toml").relative_to(root.parent))
    total_weight = sum(d.weight for d in curriculum.domains.values())
    if curriculum.domains and abs(total_weight - 1.0) > 1e-6:
        problems.append(Problem(domains_file, 0, "weight", f"domain weights sum to {total_weight:.2f}, not 1"))
    for domain in curriculum.domains.values():
        count = len(curriculum.topics_in(domain.id))
        if domain.expected_topics is not None and count != domain.expected_topics:
            problems.append(Problem(domains_file, 0, f"domain {domain.id}", f"expects {domain.expected_topics} topics, found {count}"))
    for topic in curriculum.topics.values():
        report = _Report(Path(topic.path), root, problems)
        words = len(topic.explanation.split())
        if words > MAX_EXPLANATION_WORDS:
            report.add(0, "Explanation", f"{words} words; keep it under {MAX_EXPLANATION_WORDS}")
        if len(topic.questions) < 3:
            report.add(0, "Socratic questions", f"{len(topic.questions)} questions; at least 3 are needed")
        if not any(q.kind is QuestionKind.OPENER for q in topic.questions):
            report.add(0, "Socratic questions", 'no opener (kind = "opener") asking what the learner knows')
        if len(topic.cards) < 6:
            report.add(0, "Quiz cards", f"{len(topic.cards)} cards; at least 6 are needed")
        if len({c.kind for c in topic.cards}) < 2:
            report.add(0, "Quiz cards", "use at least two card kinds (recall, mcq, numeric)")
    return curriculum, problems


def _load_domains(root: Path, problems: list[Problem]) -> dict[str, Domain]:
    path = root / "domains.toml"
    report = _Report(path, root, problems)
    if not path.exists():
        report.add(0, "file", "missing: the curriculum needs domains.toml")
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        report.add(_toml_line(err), "toml", str(err))
        return {}
    domains: dict[str, Domain] = {}
    for index, entry in enumerate(data.get("domain", [])):
        label = f"domain[{index}]"
        try:
            domain = Domain(
                id=_require_str(entry, "id"),
                title=_require_str(entry, "title"),
                weight=float(entry["weight"]),
                expected_topics=entry.get("topics"),
            )
        except (KeyError, TypeError, ValueError) as err:
            report.add(0, label, f"bad or missing field {err}")
            continue
        if domain.id in domains:
            report.add(0, label, f"duplicate domain id {domain.id!r}")
        domains[domain.id] = domain
    if not domains:
        report.add(0, "domain", "no [[domain]] entries")
    return domains


def _load_topic(path: Path, root: Path, domains: dict[str, Domain], report: _Report) -> Topic | None:
    text = path.read_text(encoding="utf-8")
    name = FILE_NAME.match(path.name)
    if not name:
        report.add(0, "file name", "expected NN-slug.md, e.g. 05-backpropagation.md")
        return None
    if not text.startswith("+++\n"):
        report.add(1, "front matter", "the file must start with a +++ line (TOML front matter)")
        return None
    end = text.find("\n+++", 4)
    if end < 0:
        report.add(1, "front matter", "no closing +++ line")
        return None
    try:
        meta = tomllib.loads(text[4:end])
    except tomllib.TOMLDecodeError as err:
        report.add(_toml_line(err) + 1, "front matter", str(err))
        return None
    body_offset = text[: end + 4].count("\n")
    body = text[end + 4 :]

    ok = True
    topic_id = meta.get("id")
    if not isinstance(topic_id, str) or not TOPIC_ID.match(topic_id):
        report.add(_line_of(text, "id"), "id", "missing or not a lowercase slug such as 'backpropagation'")
        return None
    for key in ("title", "domain"):
        if not isinstance(meta.get(key), str) or not meta[key].strip():
            report.add(_line_of(text, key), key, "missing or empty")
            ok = False
    if isinstance(meta.get("domain"), str) and meta["domain"] not in domains:
        report.add(_line_of(text, "domain"), "domain", f"unknown domain {meta['domain']!r}")
        ok = False
    if path.parent.name != meta.get("domain"):
        report.add(_line_of(text, "domain"), "domain", f"file lives in folder {path.parent.name}/")
        ok = False
    for key in ("prerequisites", "labs"):
        value = meta.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            report.add(_line_of(text, key), key, "must be a list of ids")
            ok = False
    sources = _parse_sources(meta.get("sources"), text, report)
    if not sources:
        ok = False

    sections = _split_sections(body)
    explanation = sections.get("explanation", ("", 0))[0].strip()
    if not explanation:
        report.add(0, "Explanation", "missing '## Explanation' section or it is empty")
        ok = False
    questions = _parse_questions(topic_id, sections.get("socratic questions"), body_offset, report)
    cards = _parse_cards(topic_id, sections.get("quiz cards"), body_offset, report)
    if not ok:
        return None
    return Topic(
        id=topic_id,
        title=meta["title"].strip(),
        domain=meta["domain"],
        order=int(name.group(1)),
        prerequisites=tuple(meta.get("prerequisites", [])),
        labs=tuple(meta.get("labs", [])),
        sources=tuple(sources),
        explanation=explanation,
        questions=tuple(questions),
        cards=tuple(cards),
        path=str(path),
    )


def _parse_sources(raw: object, text: str, report: _Report) -> list[Source]:
    if not isinstance(raw, list) or not raw:
        report.add(_line_of(text, "[[sources]]"), "sources", "at least one [[sources]] with title and url")
        return []
    sources = []
    for index, entry in enumerate(raw):
        title, url = (entry.get("title"), entry.get("url")) if isinstance(entry, dict) else (None, None)
        if not isinstance(title, str) or not title.strip():
            report.add(_line_of(text, "[[sources]]"), f"sources[{index}].title", "missing")
        elif not isinstance(url, str) or not url.startswith(("https://", "http://")):
            report.add(_line_of(text, "[[sources]]"), f"sources[{index}].url", "missing or not an http(s) URL")
        else:
            sources.append(Source(title=title.strip(), url=url.strip()))
    return sources


def _split_sections(body: str) -> dict[str, tuple[str, int]]:
    """Map lower-cased level-2 headings to (section text, line offset of the text within body)."""
    sections: dict[str, tuple[str, int]] = {}
    matches = list(SECTION.finditer(body))
    for index, match in enumerate(matches):
        start = match.end()
        stop = matches[index + 1].start() if index + 1 < len(matches) else len(body)
        sections[match.group(1).strip().lower()] = (body[start:stop], body[:start].count("\n"))
    return sections


def _toml_block(section: tuple[str, int] | None, name: str, base: int, report: _Report) -> tuple[dict[str, object], int] | None:
    if section is None:
        report.add(0, name, f"missing '## {name}' section")
        return None
    text, offset = section
    fence = TOML_FENCE.search(text)
    if fence is None:
        report.add(base + offset, name, "needs one ```toml block")
        return None
    first_line = base + offset + text[: fence.start(1)].count("\n") + 1
    try:
        return tomllib.loads(fence.group(1)), first_line
    except tomllib.TOMLDecodeError as err:
        report.add(first_line + _toml_line(err) - 1, name, str(err))
        return None


def _entries(
    section_text: str, data: dict[str, object], key: str, first_line: int, report: _Report, name: str
) -> list[tuple[dict[str, object], int]]:
    """Pair each [[key]] table with the file line of its header (tomllib keeps no positions)."""
    raw = data.get(key, [])
    if not isinstance(raw, list):
        report.add(first_line, name, f"expected [[{key}]] tables")
        return []
    fence = TOML_FENCE.search(section_text)
    inner = fence.group(1) if fence else ""
    headers = [n for n, line in enumerate(inner.splitlines()) if line.strip() == f"[[{key}]]"]
    return [(entry, first_line + (headers[i] if i < len(headers) else 0)) for i, entry in enumerate(raw)]


def _parse_questions(topic_id: str, section: tuple[str, int] | None, base: int, report: _Report) -> list[SocraticQuestion]:
    parsed = _toml_block(section, "Socratic questions", base, report)
    if parsed is None or section is None:
        return []
    data, first_line = parsed
    questions = []
    for index, (entry, line) in enumerate(_entries(section[0], data, "question", first_line, report, "Socratic questions")):
        label = f"question[{index}]"
        try:
            kind = QuestionKind(entry.get("kind", "check"))
            prompt = _require_str(entry, "prompt")
            hint = _require_str(entry, "hint")
            key_points = entry.get("key_points")
            if not isinstance(key_points, list) or not key_points or not all(isinstance(k, str) for k in key_points):
                raise ValueError("'key_points' must be a non-empty list of strings")
        except ValueError as err:
            report.add(line, label, str(err))
            continue
        questions.append(SocraticQuestion(id=f"{topic_id}/q{index + 1}", kind=kind, prompt=prompt, key_points=tuple(key_points), hint=hint))
    return questions


def _parse_cards(topic_id: str, section: tuple[str, int] | None, base: int, report: _Report) -> list[Card]:
    parsed = _toml_block(section, "Quiz cards", base, report)
    if parsed is None or section is None:
        return []
    data, first_line = parsed
    cards = []
    for index, (entry, line) in enumerate(_entries(section[0], data, "card", first_line, report, "Quiz cards")):
        card_id = entry.get("id")
        label = f"card {card_id}" if isinstance(card_id, str) else f"card[{index}]"
        try:
            cards.append(_build_card(topic_id, entry))
        except ValueError as err:
            report.add(line, label, str(err))
    return cards


def _build_card(topic_id: str, entry: dict[str, object]) -> Card:
    card_id = _require_str(entry, "id")
    if not card_id.startswith(f"{topic_id}/") or card_id == f"{topic_id}/":
        raise ValueError(f"'id' must start with '{topic_id}/'")
    try:
        kind = CardKind(entry.get("kind"))
    except ValueError:
        raise ValueError("'kind' must be one of recall, mcq, numeric") from None
    card = partial(
        Card,
        id=card_id,
        topic_id=topic_id,
        kind=kind,
        front=_require_str(entry, "front"),
        why=_require_str(entry, "why"),
        source=_require_str(entry, "source"),
    )
    if kind is CardKind.RECALL:
        return card(answer=_require_str(entry, "answer"))
    if kind is CardKind.MULTIPLE_CHOICE:
        choices = entry.get("choices")
        if not isinstance(choices, list) or not 2 <= len(choices) <= 6 or not all(isinstance(c, str) for c in choices):
            raise ValueError("'choices' must be a list of 2 to 6 strings")
        answer = _require_str(entry, "answer").lower()
        if len(answer) != 1 or not "a" <= answer < chr(ord("a") + len(choices)):
            raise ValueError(f"'answer' must be a letter a-{chr(ord('a') + len(choices) - 1)}")
        return card(answer=answer, choices=tuple(choices))
    number = entry.get("answer")
    if isinstance(number, bool) or not isinstance(number, (int, float)):
        raise ValueError("'answer' must be a number for a numeric card")
    tolerance = entry.get("tolerance", 0)
    if isinstance(tolerance, bool) or not isinstance(tolerance, (int, float)) or tolerance < 0:
        raise ValueError("'tolerance' must be a number >= 0")
    return card(answer=repr(number), tolerance=float(tolerance), unit=str(entry.get("unit", "")))


def _check_prerequisites(curriculum: Curriculum, root: Path, problems: list[Problem]) -> None:
    for topic in curriculum.topics.values():
        report = _Report(Path(topic.path), root, problems)
        for prerequisite in topic.prerequisites:
            if prerequisite not in curriculum.topics:
                report.add(0, "prerequisites", f"unknown topic {prerequisite!r}")
            elif prerequisite == topic.id:
                report.add(0, "prerequisites", "a topic cannot require itself")
    # Depth-first search for cycles; report each cycle once, at its first topic.
    state: dict[str, int] = {}  # 1 = on the stack, 2 = done

    def visit(topic_id: str, stack: list[str]) -> None:
        state[topic_id] = 1
        for prerequisite in curriculum.topics[topic_id].prerequisites:
            if prerequisite not in curriculum.topics or prerequisite == topic_id:
                continue
            if state.get(prerequisite) == 1:
                cycle = stack[stack.index(prerequisite) :] + [prerequisite]
                report = _Report(Path(curriculum.topics[prerequisite].path), root, problems)
                report.add(0, "prerequisites", "cycle: " + " -> ".join(cycle))
            elif prerequisite not in state:
                visit(prerequisite, stack + [prerequisite])
        state[topic_id] = 2

    for topic_id in curriculum.topics:
        if topic_id not in state:
            visit(topic_id, [topic_id])


def _require_str(entry: dict[str, object], key: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"'{key}' is missing or empty")
    return value.strip()


def _toml_line(err: tomllib.TOMLDecodeError) -> int:
    match = TOML_LINE.search(str(err))
    return int(match.group(1)) if match else 0


def _line_of(text: str, key: str) -> int:
    """1-based line of the first line starting with ``key`` (0 when absent)."""
    for number, line in enumerate(text.splitlines(), start=1):
        if line.lstrip().startswith(key):
            return number
    return 0
