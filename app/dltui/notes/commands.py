"""`dltui progress` (summary, --json for scripts) and `dltui export` (notes and tracker)."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    progress = subparsers.add_parser("progress", help="print where you stand (mastery, gaps, streak, next)")
    progress.add_argument("--json", action="store_true", help="machine-readable output")
    progress.set_defaults(handler=progress_command)
    export = subparsers.add_parser("export", help="write the session notes and the study tracker now")
    export.set_defaults(handler=export_command)


def progress_command(args: argparse.Namespace) -> int:
    import json

    from dltui.context import StudyContext
    from dltui.notes.progress import learner_progress
    from dltui.text_charts import text_bar as bar

    context = StudyContext.open(args.db)
    try:
        progress = learner_progress(context)
    finally:
        context.close()
    if args.json:
        print(json.dumps(progress.to_dict(), indent=2))
        return 0
    print(f"Overall  {bar(progress.overall, 30)} {progress.overall:.0%}")
    for d in progress.domains:
        print(f"  {d.id} {d.title:<32} {bar(d.progress, 16)} {d.progress:4.0%}  {d.mastered}/{d.topics} mastered")
    print(
        f"Streak {progress.streak_days} day(s) · reviews today {progress.reviews_today} · due today {progress.due_today}"
        f" · retention (30 days) {progress.retention_text}"
    )
    if progress.open_gaps:
        print("Open gaps:")
        for gap in progress.open_gaps:
            print(f"  [{gap.severity}] {gap.topic_id}: {gap.description}")
    if progress.study_next:
        print("Study next:")
        for item in progress.study_next:
            print(f"  {item['title']} — {item['why']}")
    return 0


def export_command(args: argparse.Namespace) -> int:
    from dltui.context import StudyContext
    from dltui.notes.session_notes import sessions_between, write_session_notes
    from dltui.notes.sessions import had_activity
    from dltui.notes.tracker import write_tracker

    context = StudyContext.open(args.db)
    try:
        written = {write_session_notes(context, s) for s in sessions_between(context) if had_activity(context, s)}
        written.add(write_tracker(context))
    finally:
        context.close()
    for path in sorted(written):
        print(path)
    return 0
