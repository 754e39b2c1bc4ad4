"""Command line: `dltui` opens the app; subcommands do the same work without the full screen."""

from __future__ import annotations

import argparse
import gc
import importlib
import os
import sys
from collections.abc import Sequence
from functools import partial
from typing import TYPE_CHECKING

from dltui import __version__

if TYPE_CHECKING:
    from dltui.context import StudyContext

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


def _launch_options(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The options that open the app (every command takes --db too)."""
    parser.add_argument("--db", metavar="PATH", help="database file (default: data/tutor.db; env DLTUI_DB)")
    parser.add_argument(
        "--area",
        choices=["chat", "topics", "review", "labs", "progress"],
        default="chat",
        help="area to open first",
    )
    return parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dltui", description="A spaced-repetition deep-learning tutor.")
    parser.add_argument("--version", action="version", version=f"dltui {__version__}")
    _launch_options(parser)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def app_arguments(argv: Sequence[str] | None) -> argparse.Namespace | None:
    """The arguments when they only open the app, else None. The commands' modules import their
    packages (the database among them, ~0.4 s): `dltui` alone draws its first frame without them."""
    parser = _launch_options(argparse.ArgumentParser(prog="dltui", add_help=False, exit_on_error=False))
    try:
        args, rest = parser.parse_known_args(argv)
    except argparse.ArgumentError:
        return None  # the full parser says what is wrong
    return None if rest else args


def open_study(db: str | None) -> StudyContext:
    """The learner's records, as the app opens them (in a thread, behind its first frame)."""
    from dltui.context import StudyContext
    from dltui.store.backups import daily_backup

    context = StudyContext.open(db)
    try:
        daily_backup(context.settings.db_path, context.settings.backups_kept)  # like Anki: once a day
    except BaseException:
        context.close()
        raise
    return context


def run_app(args: argparse.Namespace) -> int:
    """Open the full-screen app; a database that cannot be opened is reported once it has closed."""
    # Start-up makes ~125k objects that live as long as the app and almost no garbage, yet the
    # collector walked them dozens of times: ~17 ms before the first frame, ~75 ms more while the
    # records load. It stays off until they are loaded (DltuiApp._records_ready turns it on).
    gc.disable()
    from dltui.ui.app import DltuiApp

    app = DltuiApp(opener=partial(open_study, args.db), start_area=args.area)
    try:
        app.run()
    finally:
        if app.loaded:
            app.context.close()
    if app.open_error is not None:
        raise app.open_error
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = app_arguments(argv) or build_parser().parse_args(argv)
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
    except Exception as err:
        if not _said_in_words(err):
            raise
        print(f"dltui: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _said_in_words(err: Exception) -> bool:
    """Errors whose message is the whole story for the learner (imported only when one happens)."""
    from dltui.settings import SettingsError
    from dltui.store import DatabaseError

    return isinstance(err, (SettingsError, DatabaseError))


if __name__ == "__main__":
    sys.exit(main())
