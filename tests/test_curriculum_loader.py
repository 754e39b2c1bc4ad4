"""Malformed curriculum files: every problem is reported with file and field; nothing crashes."""

import subprocess
import sys
from pathlib import Path

import pytest
from dltui.curriculum import CardKind, check_curriculum, load_curriculum

DOMAINS = """
[[domain]]
id = "A"
title = "Math"
weight = 0.5
topics = 2

[[domain]]
id = "B"
title = "Nets"
weight = 0.5
"""

CARDS = """
[[card]]
id = "{id}/sum"
kind = "numeric"
front = "1 + 2?"
answer = 3
tolerance = 0
why = "Arithmetic."
source = "Any textbook"

[[card]]
id = "{id}/pick"
kind = "mcq"
front = "Pick b"
choices = ["a", "b"]
answer = "b"
why = "Because."
source = "Any textbook"
"""


def topic_file(topic_id="alpha", domain="A", prerequisites=(), cards=None, extra_front="", questions=None):
    prereqs = ", ".join(f'"{p}"' for p in prerequisites)
    questions = (
        questions
        if questions is not None
        else ('[[question]]\nkind = "opener"\nprompt = "What do you know?"\nkey_points = ["x"]\nhint = "think"\n')
    )
    cards = cards if cards is not None else CARDS.format(id=topic_id)
    return (
        f'+++\nid = "{topic_id}"\ntitle = "T {topic_id}"\ndomain = "{domain}"\nprerequisites = [{prereqs}]\n'
        f'labs = []\n{extra_front}\n[[sources]]\ntitle = "A book"\nurl = "https://example.org/book"\n+++\n\n'
        f"## Explanation\n\nSome words about {topic_id}.\n\n"
        f"## Socratic questions\n\n```toml\n{questions}```\n\n## Quiz cards\n\n```toml\n{cards}```\n"
    )


def make_tree(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "curriculum"
    (root / "A").mkdir(parents=True)
    (root / "B").mkdir()
    (root / "domains.toml").write_text(DOMAINS)
    for name, text in files.items():
        (root / name).write_text(text)
    return root


def problems_for(root):
    _, problems = load_curriculum(root)
    return [(p.path.split("/", 1)[-1], p.field, p.message, p.line) for p in problems]


def test_valid_tree_loads_with_cards_of_each_kind(tmp_path):
    root = make_tree(tmp_path, {"A/01-alpha.md": topic_file(), "A/02-beta.md": topic_file("beta", prerequisites=["alpha"])})
    curriculum, problems = load_curriculum(root)
    assert problems == []
    assert list(curriculum.topics) == ["alpha", "beta"]
    beta = curriculum.topics["beta"]
    assert beta.code == "A2" and beta.prerequisites == ("alpha",)
    assert [c.kind for c in beta.cards] == [CardKind.NUMERIC, CardKind.MULTIPLE_CHOICE]
    assert curriculum.dependents("alpha") == [beta]
    assert beta.cards[0].grade("3") and not beta.cards[0].grade("4") and not beta.cards[0].grade("three")
    assert beta.cards[1].grade("b") and not beta.cards[1].grade("a")


def test_bad_front_matter_toml_names_file_and_line(tmp_path):
    text = topic_file().replace('title = "T alpha"', 'title = "unclosed')
    root = make_tree(tmp_path, {"A/01-alpha.md": text})
    [(path, field, message, line)] = problems_for(root)
    assert path == "A/01-alpha.md" and field == "front matter" and line == 3


def test_unknown_prerequisite_and_cycle_are_reported(tmp_path):
    root = make_tree(
        tmp_path,
        {
            "A/01-alpha.md": topic_file("alpha", prerequisites=["beta"]),
            "A/02-beta.md": topic_file("beta", prerequisites=["alpha"]),
            "B/01-gamma.md": topic_file("gamma", domain="B", prerequisites=["nowhere"]),
        },
    )
    found = problems_for(root)
    assert ("B/01-gamma.md", "prerequisites", "unknown topic 'nowhere'", 0) in found
    cycles = [f for f in found if f[2].startswith("cycle:")]
    assert len(cycles) == 1 and "alpha" in cycles[0][2] and "beta" in cycles[0][2]


def test_duplicate_topic_and_card_ids(tmp_path):
    root = make_tree(
        tmp_path,
        {
            "A/01-alpha.md": topic_file("alpha"),
            "A/02-alpha.md": topic_file("alpha"),
            "B/01-beta.md": topic_file("beta", domain="B", cards=CARDS.format(id="beta") + CARDS.format(id="beta")),
        },
    )
    found = problems_for(root)
    assert any(f[1] == "id" and "duplicate topic id 'alpha'" in f[2] for f in found)
    assert any(f[0] == "B/01-beta.md" and f[1] == "card beta/sum" and "duplicate card id" in f[2] for f in found)


@pytest.mark.parametrize(
    "broken, field, message",
    [
        ('answer = "b"', "card alpha/pick", "'answer' must be a letter a-b"),
        ("answer = 3\n", "card alpha/sum", None),
        ('why = "Arithmetic."', "card alpha/sum", "'why' is missing or empty"),
        ('kind = "numeric"', "card alpha/sum", "'kind' must be one of"),
    ],
)
def test_bad_card_is_reported_with_its_id_and_line_and_others_load(tmp_path, broken, field, message):
    replacements = {
        'answer = "b"': 'answer = "z"',
        "answer = 3\n": 'answer = "three"\n',
        'why = "Arithmetic."': 'why = ""',
        'kind = "numeric"': 'kind = "essay"',
    }
    text = topic_file().replace(broken, replacements[broken], 1)
    root = make_tree(tmp_path, {"A/01-alpha.md": text})
    curriculum, problems = load_curriculum(root)
    [problem] = problems
    assert problem.path.endswith("A/01-alpha.md") and problem.field == field
    if message:
        assert message in problem.message
    # the [[card]] header of the broken card, counted in the whole file
    header_line = text.splitlines()[problem.line - 1]
    assert header_line == "[[card]]"
    assert len(curriculum.topics["alpha"].cards) == 1  # the good card still loads


def test_missing_sections_sources_and_wrong_folder(tmp_path):
    no_sources = topic_file("alpha").replace('[[sources]]\ntitle = "A book"\nurl = "https://example.org/book"\n', "")
    no_cards = topic_file("beta").split("## Quiz cards")[0]
    wrong_folder = topic_file("gamma", domain="A")
    root = make_tree(
        tmp_path,
        {
            "A/01-alpha.md": no_sources,
            "A/02-beta.md": no_cards,
            "B/01-gamma.md": wrong_folder,
            "B/notes.md": "stray",
            "A/03-delta.md": "no front matter",
        },
    )
    found = problems_for(root)
    assert any(f[0] == "A/01-alpha.md" and f[1] == "sources" for f in found)
    assert any(f[0] == "A/02-beta.md" and f[1] == "Quiz cards" and "missing" in f[2] for f in found)
    assert any(f[0] == "B/01-gamma.md" and f[1] == "domain" for f in found)
    assert any(f[0] == "B/notes.md" and f[1] == "file name" for f in found)
    assert any(f[0] == "A/03-delta.md" and f[1] == "front matter" for f in found)


def test_content_rules_in_check(tmp_path):
    only_numeric_card = "[[card]]" + CARDS.format(id="alpha").split("[[card]]")[1]
    root = make_tree(tmp_path, {"A/01-alpha.md": topic_file(cards=only_numeric_card)})
    _, problems = check_curriculum(root)
    fields = {(p.field, p.message.split(";")[0]) for p in problems}
    assert ("domain A", "expects 2 topics, found 1") in fields
    assert ("Socratic questions", "1 questions") in fields
    assert ("Quiz cards", "1 cards") in fields


def test_check_command_exit_codes(tmp_path):
    bad = make_tree(tmp_path, {"A/01-alpha.md": topic_file("alpha", prerequisites=["nowhere"])})
    done = subprocess.run([sys.executable, "-m", "dltui", "curriculum", "check", str(bad)], capture_output=True, text=True)
    assert done.returncode == 1
    assert "A/01-alpha.md" in done.stdout and "prerequisites" in done.stdout and "unknown topic 'nowhere'" in done.stdout
