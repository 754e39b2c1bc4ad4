"""Where a database's backups live and which exist: what `store.backups` writes and restores from,
and what `store.database` points the learner to when it finds the database damaged."""

from __future__ import annotations

from pathlib import Path

BACKUP_FOLDER = "backups"


def backup_folder(db_path: Path) -> Path:
    return Path(db_path).parent / BACKUP_FOLDER


def list_backups(db_path: Path) -> list[Path]:
    """This database's backups, oldest first."""
    folder = backup_folder(db_path)
    stem = Path(db_path).stem
    if not folder.is_dir():
        return []
    return sorted(folder.glob(f"{stem}-*.db"), key=lambda path: (path.stat().st_mtime, path.name))


def latest_backup(db_path: Path) -> Path | None:
    found = list_backups(db_path)
    return found[-1] if found else None
