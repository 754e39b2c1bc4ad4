"""Command line: `dltui` opens the app; subcommands do the same work without the full screen."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from dltui import __version__

# Domain packages that add subcommands. Each module has `register(subparsers)` and keeps its
# imports inside the handlers, so building the parser stays cheap.
COMMAND_MODULES = [
    "dltui.curriculum.commands",
    "dltui.doctor",
    "dltui.srs.commands",
    "dltui.labs.commands",
    "dltui.notes.commands",
    "dltui.labs.data",
    "dltui.tutor.eval_commands",
    "dltui.store.commands",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dltui", description="A spaced-repetition deep-learning tutor.")
    parser.add_argument("--version", action="version", version=f"dltui {__version__}")
    parser.add_argument("--db", metavar="PATH", help="database file (default: data/tutor.db; env DLTUI_DB)")
    parser.add_argument(
        "--area",
        choices=["chat", "topics", "review", "labs", "progress"],
        default="chat",
        help="area to open first",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def run_app(args: argparse.Namespace) -> int:
    """Open the full-screen app."""
    from dltui.context import StudyContext
    from dltui.store.backups import daily_backup
    from dltui.ui.app import DltuiApp

    context = StudyContext.open(args.db)
    daily_backup(context.settings.db_path, context.settings.backups_kept)  # like Anki: once a day
    try:
        DltuiApp(context, start_area=args.area).run()
    finally:
        context.close()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    from dltui.settings import SettingsError
    from dltui.store import DatabaseError

    args = build_parser().parse_args(argv)
    handler = getattr(args, "handler", run_app)
    try:
        status = handler(args) or 0
        sys.stdout.flush()  # here, so that a closed pipe is caught below and not at exit
        return status
    except BrokenPipeError:
        # The reader left early (`dltui review stats | head`): stop quietly, as other command-line
        # tools do. Python flushes stdout again at exit, so point it at devnull first.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except (SettingsError, DatabaseError) as err:
        print(f"dltui: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
