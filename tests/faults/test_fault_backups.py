"""Item 16: backups like Anki's, `dltui backup` and `dltui restore FILE`."""

import hashlib
import os
import sqlite3
import sys
import time

import pytest
from dltui.cli import main
from dltui.store.backups import daily_backup, list_backups
from dltui.store.models import Assessment, AssessmentLevel
from srs_support import open_context
from test_srs_durability import Terminal


def assessments(db) -> list[str]:
    with sqlite3.connect(db) as connection:
        rows = connection.execute("SELECT evidence FROM assessment ORDER BY id").fetchall()
    connection.close()
    return [evidence for (evidence,) in rows]


def add_assessment(context, evidence: str) -> None:
    with context.store.session() as session:
        session.add(Assessment(topic_id="alpha", level=AssessmentLevel.PARTIAL, evidence=evidence))


def test_item16_backup_then_restore_puts_the_old_database_back_and_keeps_the_replaced_one(tmp_path, capsys):
    context = open_context(tmp_path)
    db = context.settings.db_path
    add_assessment(context, "before the backup")
    assert main(["--db", str(db), "backup"]) == 0
    [backup] = list_backups(db)
    assert str(backup) in capsys.readouterr().out and backup.parent == db.parent / "backups"
    assert assessments(backup) == ["before the backup"]  # a consistent copy, WAL content included
    add_assessment(context, "after the backup")
    context.close()

    assert main(["--db", str(db), "restore", str(backup)]) == 0
    out = capsys.readouterr().out
    assert assessments(db) == ["before the backup"]
    [kept] = db.parent.glob("tutor.before-restore-*.db")
    assert str(kept) in out and assessments(kept) == ["before the backup", "after the backup"]
    assert open_context(tmp_path).store.schema_version() >= 1  # the restored file opens normally


def test_item16_restore_refuses_a_file_that_is_not_a_dltui_database_and_changes_nothing(tmp_path, capsys):
    context = open_context(tmp_path)
    db = context.settings.db_path
    context.close()
    foreign = tmp_path / "photos.db"
    with sqlite3.connect(foreign) as connection:
        connection.execute("CREATE TABLE photo (id INTEGER PRIMARY KEY)")
    connection.close()
    junk = tmp_path / "notes.txt"
    junk.write_text("not a database")
    before = hashlib.md5(db.read_bytes()).hexdigest()
    for bad in (foreign, junk, tmp_path / "missing.db"):
        assert main(["--db", str(db), "restore", str(bad)]) == 2
        err = capsys.readouterr().err
        assert err.startswith("dltui restore: ") and len(err.splitlines()) == 1, err
    assert hashlib.md5(db.read_bytes()).hexdigest() == before
    assert not list(db.parent.glob("tutor.before-restore-*"))


def test_item16_a_daily_backup_at_most_once_a_day_and_the_newest_n_kept(tmp_path):
    context = open_context(tmp_path)
    db = context.settings.db_path
    context.close()
    day = 24 * 3600
    made = [daily_backup(db, keep=3)]
    assert made[0] is not None and daily_backup(db, keep=3) is None  # again the same day: none
    for _ in range(4):
        for path in list_backups(db):  # a day passes
            stamp = path.stat().st_mtime - day
            os.utime(path, (stamp, stamp))
        made.append(daily_backup(db, keep=3))
    assert None not in made and list_backups(db) == made[-3:]  # the newest three, oldest first
    assert daily_backup(db, keep=0, now=time.time() + 10 * day) is None  # backups_kept = 0: none


@pytest.mark.parametrize("command, ready, quit_key", [([], "Tutor", b"\x11"), (["review"], "What is alpha?", b"q")], ids=["app", "review"])
def test_item16_the_app_takes_the_days_backup_when_it_starts(tmp_path, command, ready, quit_key):
    context = open_context(tmp_path)
    db = context.settings.db_path
    context.close()
    env = {
        **os.environ,
        "TERM": "xterm-256color",
        "DLTUI_CURRICULUM": str(tmp_path / "curriculum"),
        "DLTUI_DATA_DIR": str(tmp_path / "data"),
    }
    for _ in range(2):
        terminal = Terminal([sys.executable, "-m", "dltui", "--db", str(db), *command], env)
        try:
            terminal.read_until(ready)
            terminal.type(quit_key)
            assert terminal.wait(timeout=20) == 0
        finally:
            if terminal.process.poll() is None:
                terminal.kill()
    [backup] = list_backups(db)  # once a day: the second start took none
    with sqlite3.connect(backup) as connection:
        assert connection.execute("PRAGMA user_version").fetchone()[0] >= 1
    connection.close()
