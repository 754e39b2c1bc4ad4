"""`dltui curriculum check`: validate the content files and list every problem."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("curriculum", help="work with the curriculum files")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    check = actions.add_parser("check", help="validate every topic file; exit 1 on problems")
    check.add_argument("path", nargs="?", help="curriculum folder (default: the bundled one)")
    check.set_defaults(handler=check_command)


def check_command(args: argparse.Namespace) -> int:
    from pathlib import Path

    from dltui.curriculum import check_curriculum
    from dltui.settings import load_settings

    root = Path(args.path) if args.path else load_settings(args.db).curriculum_dir
    curriculum, problems = check_curriculum(root)
    for problem in problems:
        print(problem)
    cards = curriculum.all_cards()
    kinds: dict[str, int] = {}
    for card in cards:
        kinds[card.kind.value] = kinds.get(card.kind.value, 0) + 1
    per_domain = "  ".join(f"{d}:{len(curriculum.topics_in(d))}" for d in curriculum.domains)
    print(
        f"{len(curriculum.topics)} topics ({per_domain}), {len(cards)} cards "
        f"({', '.join(f'{n} {k}' for k, n in sorted(kinds.items()))}), "
        f"{sum(len(t.questions) for t in curriculum.topics.values())} questions"
    )
    print(f"{len(problems)} problem(s)" if problems else "OK")
    return 1 if problems else 0
