"""Backups of the database, like Anki's: a consistent copy at most once a day, the last N kept.

Copies are made with SQLite's backup API, so a copy taken while another dltui writes is still a
consistent database. They live in ``backups/`` beside the database, named by the time they were
taken (``tutor-20261201-080000.db``). Restoring checks that the file
is a sound dltui database and keeps a copy of what it replaces.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import time
from datetime import datetime
from pathlib import Path

from dltui.store.backup_files import backup_folder, latest_backup, list_backups
from dltui.store.database import DatabaseError, inspect, latest_version

ONCE_EVERY_S = 24 * 3600


class BackupError(RuntimeError):
    """A backup or restore that cannot be done; the message says why and what to do."""


def take_backup(db_path: Path, keep: int | None = None) -> Path:
    """A consistent copy of the database now; with ``keep``, only the newest ``keep`` are kept."""
    db_path = Path(db_path)
    folder = backup_folder(db_path)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{db_path.stem}-{datetime.now().strftime('%Y%m%d-%H%M%S')}.db"
    serial = 1
    while target.exists():  # two backups in one second (a test, or `dltui backup` twice)
        serial += 1
        target = folder / f"{db_path.stem}-{datetime.now().strftime('%Y%m%d-%H%M%S')}-{serial}.db"
    _copy(db_path, target)
    if keep is not None:
        prune(db_path, keep)
    return target


def daily_backup(db_path: Path, keep: int, now: float | None = None) -> Path | None:
    """Take a backup when the newest is a day old or there is none; None when not needed (or keep=0)."""
    if keep <= 0 or not Path(db_path).exists():
        return None
    newest = latest_backup(db_path)
    now = time.time() if now is None else now
    if newest is not None and now - newest.stat().st_mtime < ONCE_EVERY_S:
        return None
    try:
        return take_backup(db_path, keep)
    except (OSError, sqlite3.Error):
        return None  # a backup must never stop the learner from studying (disk full: next start)


def prune(db_path: Path, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` backups; returns what was deleted."""
    found = list_backups(db_path)
    doomed = found[: max(0, len(found) - keep)]
    for path in doomed:
        path.unlink(missing_ok=True)
    return doomed


def restore(db_path: Path, source: Path) -> Path | None:
    """Replace the database with ``source`` (checked first); returns the copy of what it replaced.

    Quit every dltui first: one still running would keep writing to the file it had open.
    """
    db_path, source = Path(db_path), Path(source)
    if not source.is_file():
        raise BackupError(f"{source} does not exist; `dltui backup --list` shows the backups")
    try:
        version = inspect(source, latest_version())
    except DatabaseError as err:
        raise BackupError(f"not restored: {err}") from None
    if version == 0:
        raise BackupError(f"not restored: {source} is an empty database, not a dltui backup")
    kept = None
    if db_path.exists() and db_path.stat().st_size > 0:
        kept = db_path.with_name(f"{db_path.stem}.before-restore-{datetime.now().strftime('%Y%m%d-%H%M%S')}.db")
        _keep_copy(db_path, kept)
    partial = db_path.with_name(f".{db_path.name}.{os.getpid()}.restoring")
    _copy(source, partial)
    for journal in ("-wal", "-shm"):  # they belong to the file being replaced
        Path(f"{db_path}{journal}").unlink(missing_ok=True)
    partial.replace(db_path)
    return kept


def _keep_copy(db_path: Path, target: Path) -> None:
    """A copy of the database about to be replaced, even when it is damaged."""
    try:
        _copy(db_path, target)
    except sqlite3.Error:  # too damaged for SQLite to read: keep the bytes as they are
        shutil.copyfile(db_path, target)
        if Path(f"{db_path}-wal").exists():
            shutil.copyfile(f"{db_path}-wal", f"{target}-wal")


def _copy(source: Path, target: Path) -> None:
    """Copy one SQLite database to a new file with the backup API (consistent while others write)."""
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        with sqlite3.connect(source) as reader, sqlite3.connect(partial) as writer:
            reader.backup(writer)
        reader.close()
        writer.close()
        partial.replace(target)  # never a half-written copy under a backup's name
    finally:
        partial.unlink(missing_ok=True)
