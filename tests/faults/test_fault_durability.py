"""The durability figure: 20 SIGKILLs at random 0-300 ms after an answer key lose 0 answers.

Each round starts `dltui review` in a real terminal (a pty) on a fresh copy of one database,
answers the first card and kills the whole process with SIGKILL a random moment later. An
answer the screen showed as recorded ("done today 1") must be in the database; one still in
flight may be missing (the keystroke in flight is all a kill may cost), but never half there:
a review log without its card's new schedule, or the reverse. The file must stay sound.
"""

import os
import random
import select as selectors
import shutil
import signal
import sqlite3
import sys
import time

import pytest
from srs_support import open_context
from test_srs_durability import Terminal

ROUNDS = 20


def drain(terminal: Terminal, seconds: float) -> None:
    """Keep reading what the app draws for ``seconds`` (so its output never blocks it)."""
    deadline = time.monotonic() + seconds
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return
        ready, _, _ = selectors.select([terminal.master], [], [], left)
        if ready:
            try:
                terminal.output += os.read(terminal.master, 65536)
            except OSError:
                return


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pty")
def test_twenty_sigkills_right_after_an_answer_lose_no_shown_answer(tmp_path):
    context = open_context(tmp_path)
    template = context.settings.db_path
    context.close()
    env = {
        **os.environ,
        "TERM": "xterm-256color",
        "COLUMNS": "80",
        "LINES": "24",
        "DLTUI_CURRICULUM": str(tmp_path / "curriculum"),
        "DLTUI_BACKUPS_KEPT": "0",
    }
    chance = random.Random(13)
    shown = lost = saved = 0
    for round_number in range(ROUNDS):
        folder = tmp_path / f"round-{round_number}"
        folder.mkdir()
        db = folder / "tutor.db"
        shutil.copy(template, db)
        terminal = Terminal([sys.executable, "-m", "dltui", "--db", str(db), "review"], {**env, "DLTUI_DATA_DIR": str(folder)})
        try:
            terminal.read_until("What is alpha?")
            terminal.type(b" ")
            terminal.read_until("Good 10m")
            terminal.type(b"3")
            drain(terminal, chance.uniform(0.0, 0.3))
        finally:
            os.killpg(terminal.process.pid, signal.SIGKILL)
            terminal.process.wait(timeout=10)
        drain(terminal, 0.2)  # what it drew before it died is still in the pty
        os.close(terminal.master)
        confirmed = "done today 1" in terminal.text()
        with sqlite3.connect(db) as connection:
            assert connection.execute("PRAGMA quick_check").fetchone()[0] == "ok"
            answers = connection.execute("SELECT count(*) FROM reviewlog").fetchone()[0]
            [reps] = connection.execute("SELECT reps FROM cardstate WHERE card_key = 'alpha/r1'").fetchone()
        connection.close()
        assert (answers, reps) in ((0, 0), (1, 1)), f"round {round_number}: a half-recorded answer"
        saved += answers
        shown += confirmed
        lost += confirmed and answers == 0
    print(f"{ROUNDS} SIGKILLs 0-300 ms after the answer key: {saved} answers saved, {shown} shown as saved, {lost} lost")
    assert lost == 0
