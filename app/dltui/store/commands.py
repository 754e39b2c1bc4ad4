"""`dltui backup` and `dltui restore FILE`: copies of the database, and putting one back."""

from __future__ import annotations

import argparse
import sys


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    backup = subparsers.add_parser("backup", help="copy the database into backups/ now (dltui also does it daily)")
    backup.add_argument("--list", action="store_true", help="list the backups instead, oldest first")
    backup.set_defaults(handler=backup_command)
    restore = subparsers.add_parser("restore", help="put a backup back (quit dltui first); the database it replaces is kept beside it")
    restore.add_argument("file", metavar="FILE", help="a backup, e.g. data/backups/tutor-20261201-080000.db")
    restore.set_defaults(handler=restore_command)


def backup_command(args: argparse.Namespace) -> int:
    from dltui.settings import load_settings
    from dltui.store import Store
    from dltui.store.backup_files import list_backups
    from dltui.store.backups import take_backup

    settings = load_settings(args.db)
    if args.list:
        found = list_backups(settings.db_path)
        for path in found:
            print(path)
        if not found:
            print(f"no backups yet; `dltui backup` makes one in {settings.db_path.parent / 'backups'}")
        return 0
    Store(settings.db_path).close()  # refuses a damaged or foreign file: no backup of those
    path = take_backup(settings.db_path, keep=settings.backups_kept or None)
    print(f"backed up to {path}")
    return 0


def restore_command(args: argparse.Namespace) -> int:
    from pathlib import Path

    from dltui.settings import load_settings
    from dltui.store.backups import BackupError, restore

    settings = load_settings(args.db)
    try:
        kept = restore(settings.db_path, Path(args.file).expanduser())
    except BackupError as err:
        print(f"dltui restore: {err}", file=sys.stderr)
        return 2
    print(f"restored {settings.db_path} from {args.file}")
    if kept is not None:
        print(f"the database it replaced is kept as {kept}")
    return 0
