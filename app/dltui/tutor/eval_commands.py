"""`dltui tutor eval [--tutor offline|claude] [--judge claude] [--limit N] [--json PATH]`."""

from __future__ import annotations

import argparse
import sys


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("tutor", help="measure the tutor")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    evaluate = actions.add_parser("eval", help="score the tutor's replies to seeded learner mistakes (answer withheld, asks, assesses...)")
    evaluate.add_argument("--tutor", choices=["offline", "claude"], default="offline", help="the tutor to measure")
    evaluate.add_argument("--judge", choices=["claude"], help="also grade each reply with an LLM judge")
    evaluate.add_argument("--limit", type=int, metavar="N", help="only the first N dialogues")
    evaluate.add_argument("--json", metavar="PATH", help="write every reply and score as JSON")
    evaluate.set_defaults(handler=eval_command)


def eval_command(args: argparse.Namespace) -> int:
    import asyncio
    import json
    from pathlib import Path

    from dltui.curriculum import load_curriculum
    from dltui.install import content_source
    from dltui.tutor.eval_dialogues import DialogueError, dialogues_path, load_dialogues
    from dltui.tutor.evaluate import EvalError, run_eval

    if args.limit is not None and args.limit < 1:
        print("dltui: --limit must be at least 1.", file=sys.stderr)
        return 2
    curriculum_dir = content_source().curriculum_dir  # the bundled curriculum the dialogues are written for
    curriculum, _problems = load_curriculum(curriculum_dir)
    try:
        dialogues = load_dialogues(dialogues_path(curriculum_dir), curriculum)[: args.limit]
        report = asyncio.run(run_eval(dialogues, curriculum, tutor=args.tutor, judge=args.judge))
    except (DialogueError, EvalError) as err:
        print(f"dltui: {err}", file=sys.stderr)
        return 2
    print(report.table())
    if args.json:
        path = Path(args.json)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(report.to_json(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        except OSError as err:
            print(f"dltui: could not write {path} ({err.strerror}); choose another --json path.", file=sys.stderr)
            return 2
        print(f"\nwrote {path}")
    return 0
