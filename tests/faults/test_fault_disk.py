"""Disk and database states (items 12-15): read-only, full, corrupted, foreign files.

Read-only folders are made with a read-only bind mount in a private mount namespace when the
tests run as root (root ignores file modes), else with chmod. The full disk is a file-size limit
(RLIMIT_FSIZE, what `ulimit -f` sets) on this process while one answer is recorded.
"""

import contextlib
import hashlib
import os
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
from dltui.srs import StudyClock
from dltui.store.models import ReviewLog
from dltui.ui.review.app import ReviewApp
from fsrs import Scheduler
from sqlmodel import select
from srs_support import FakeNow, open_context

ROOT = Path(__file__).resolve().parents[2]
START = datetime(2026, 9, 14, 18, 0, tzinfo=timezone.utc)


def dltui(*args: str, prefix: list[str] | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "dltui", *args]
    return subprocess.run(
        (prefix or []) + command,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env={**os.environ, "DLTUI_DATA_DIR": "", **(env or {})},
    )


def made_database(tmp_path) -> Path:
    context = open_context(tmp_path)
    path = context.settings.db_path
    context.close()
    return path


def read_only_prefix(folder: Path, keep_writable: Path | None = None) -> list[str]:
    """A command prefix under which ``folder`` is read-only (``keep_writable`` inside it not)."""
    if os.geteuid() != 0:
        os.chmod(folder, 0o555)
        return []
    if shutil.which("unshare") is None:
        pytest.skip("running as root without unshare: no way to make a folder read-only for root")
    probe = subprocess.run(["unshare", "--mount", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"running as root and mount namespaces are not allowed here: {probe.stderr.decode().strip()}")
    alt = folder.parent / (folder.name + "-rw")
    alt.mkdir()
    steps = [f"mount --bind {folder} {alt}", f"mount --bind {folder} {folder}", f"mount -o remount,bind,ro {folder}"]
    if keep_writable is not None:
        steps.append(f"mount --bind {alt / keep_writable.name} {keep_writable}")
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c", " && ".join(steps) + ' && exec "$0" "$@"']


@pytest.mark.parametrize("file_writable", [False, True], ids=["folder-and-file", "folder-only"])
def test_item12_a_read_only_data_folder_is_named_as_such_for_every_command(tmp_path, file_writable):
    db = made_database(tmp_path)
    for leftover in db.parent.glob("tutor.db-*"):
        leftover.unlink()
    prefix = read_only_prefix(db.parent, keep_writable=db if file_writable else None)
    try:
        for command in (["progress"], ["export"], ["review"], ["lab", "runs"]):
            done = dltui("--db", str(db), *command, prefix=prefix)
            assert done.returncode == 2, (command, done.stdout, done.stderr)
            message = done.stderr.strip()
            assert "read-only" in message and str(db.parent) in message, message
            assert "not a dltui database" not in message and "move it away" not in message
            assert "Traceback" not in message and len(message.splitlines()) == 1
    finally:
        os.chmod(db.parent, 0o755)


@contextlib.contextmanager
def disk_full():
    """Writes past 1 KiB of any file fail, as on a full disk (SIGXFSZ ignored: the write fails instead)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (1024, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, previous)


def screen_text(app) -> str:
    return "\n".join("".join(segment.text for segment in strip) for strip in app.screen._compositor.render_strips())


async def test_item13_a_full_disk_while_answering_keeps_the_app_and_the_card(tmp_path):
    context = open_context(tmp_path, new_cards_per_day=20)
    app = ReviewApp(context, clock=StudyClock(4, timezone.utc, FakeNow(START)), scheduler=Scheduler(enable_fuzzing=False))
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            await pilot.press("space")
            assert "What is alpha?" in screen_text(app)
            with disk_full():
                await pilot.press("3")
                await pilot.pause()
            text = screen_text(app)
            assert app.is_running and app.return_code is None
            assert "not saved" in text and "full" in text, text
            assert "What is alpha?" in text, "the card stays on screen to be answered again"
            with context.store.session() as session:
                assert session.exec(select(ReviewLog)).all() == []
            await pilot.press("3")  # space again: the same key now saves it
            await pilot.pause()
            with context.store.session() as session:
                assert len(session.exec(select(ReviewLog)).all()) == 1
            assert "What is alpha?" not in screen_text(app)
    finally:
        context.close()


FULL_DISK_SCRIPT = """
import sys
from pathlib import Path
sys.path.insert(0, "tests")
from sqlmodel import select
from dltui.srs import record_answer, sync_cards
from dltui.store.database import DatabaseWriteError
from dltui.store.models import CardState, ReviewLog
from srs_support import open_context
folder = Path(sys.argv[1])
context = open_context(folder)
sync_cards(context)
with context.store.session() as session:
    card = session.exec(select(CardState)).first()
filler = open(folder / "filler", "wb")
try:
    while True:
        filler.write(b"x" * 4096)
        filler.flush()
except OSError:
    pass
try:
    filler.close()
except OSError:  # the last buffered bytes do not fit either
    pass
try:
    record_answer(context, card.id, 3)
    print("saved")
except DatabaseWriteError as err:
    print("refused:", err)
(folder / "filler").unlink()
record_answer(context, card.id, 3)  # room again: the same answer goes in
with context.store.session() as session:
    print("answers:", len(session.exec(select(ReviewLog)).all()))
"""


def test_item13_on_a_really_full_filesystem_the_answer_is_refused_in_words_and_saved_once_there_is_room(tmp_path):
    if shutil.which("unshare") is None or subprocess.run(["unshare", "--mount", "true"], capture_output=True).returncode != 0:
        pytest.skip("no private mount namespace here (needs root and unshare): the file-size-limit test covers item 13")
    folder = tmp_path / "small-disk"
    folder.mkdir()
    mount = f"mount -t tmpfs -o size=4m tmpfs {folder}"
    done = subprocess.run(
        [
            "unshare",
            "--mount",
            "--propagation",
            "private",
            "sh",
            "-c",
            mount + ' && exec "$0" "$@"',
            sys.executable,
            "-c",
            FULL_DISK_SCRIPT,
            str(folder),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    refused, answers = done.stdout.strip().splitlines()
    assert refused.startswith("refused: This was not saved: the disk holding tutor.db is full"), refused
    assert answers == "answers: 1"


def test_item14_a_corrupted_page_is_found_at_start_up_with_a_pointer_to_the_backup(tmp_path):
    db = made_database(tmp_path)
    backups = db.parent / "backups"
    backups.mkdir()
    backup = backups / "tutor-20260901-080000.db"
    shutil.copy(db, backup)
    page = sqlite3.connect(db).execute("PRAGMA page_size").fetchone()[0]
    pages = db.stat().st_size // page
    assert pages > 8
    with open(db, "r+b") as handle:  # a page in the middle, overwritten (a bad sector, a torn copy)
        handle.seek(page * (pages // 2))
        handle.write(os.urandom(page))
    for command in (["progress"], ["review"]):
        done = dltui("--db", str(db), *command)
        assert done.returncode != 0, done.stdout
        message = done.stderr.strip()
        assert "damaged" in message and str(backup) in message and "dltui restore" in message, message
        assert "Traceback" not in done.stderr and len(message.splitlines()) == 1


def test_item15_a_foreign_sqlite_file_is_refused_unchanged(tmp_path):
    foreign = tmp_path / "photos.db"
    with sqlite3.connect(foreign) as connection:
        connection.execute("CREATE TABLE photo (id INTEGER PRIMARY KEY, path TEXT)")
        connection.execute("INSERT INTO photo (path) VALUES ('a.jpg')")
    connection.close()
    before = hashlib.md5(foreign.read_bytes()).hexdigest()
    done = dltui("--db", str(foreign), "progress")
    assert done.returncode == 2 and "no dltui schema version" in done.stderr
    assert hashlib.md5(foreign.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["photos.db"]  # no -wal / -shm left beside it
