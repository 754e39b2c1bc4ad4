"""`dltui review` in a real terminal (a pty), killed with SIGKILL right after an answer."""

import fcntl
import os
import re
import select as selectors
import signal
import struct
import subprocess
import sys
import termios
import time

import pytest
from dltui.store.models import CardState, ReviewLog, StudySession
from sqlmodel import select
from srs_support import open_context

ANSI = re.compile(rb"\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b[()][0-9A-B]|\x1b[=>]|\x1b\][^\x07]*\x07")


class Terminal:
    """A child process on a pseudo-terminal of 80x24, with its screen output as plain text."""

    def __init__(self, argv: list[str], env: dict[str, str]):
        self.master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        self.process = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True, close_fds=True)
        os.close(slave)
        self.output = b""

    def read_until(self, pattern: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while pattern not in self.text():
            if time.monotonic() > deadline:
                raise AssertionError(f"{pattern!r} never appeared; the screen said:\n{self.text()[-2000:]}")
            ready, _, _ = selectors.select([self.master], [], [], 0.1)
            if ready:
                try:
                    self.output += os.read(self.master, 65536)
                except OSError:  # the child is gone
                    raise AssertionError(f"dltui exited; it said:\n{self.text()[-2000:]}") from None

    def text(self) -> str:
        return ANSI.sub(b"", self.output).decode("utf-8", "replace")

    def wait(self, timeout: float) -> int:
        """The exit code, reading the screen meanwhile as a terminal does: a child whose last
        frames fill the pty's buffer would otherwise block on writing them and never exit."""
        deadline = time.monotonic() + timeout
        while self.process.poll() is None:
            if time.monotonic() > deadline:
                raise AssertionError(f"dltui did not exit in {timeout} s; the screen said:\n{self.text()[-2000:]}")
            ready, _, _ = selectors.select([self.master], [], [], 0.1)
            if ready:
                try:
                    self.output += os.read(self.master, 65536)
                except OSError:  # the child closed its side
                    pass
        return self.process.returncode

    def type(self, keys: bytes) -> None:
        os.write(self.master, keys)

    def kill(self) -> int:
        os.killpg(self.process.pid, signal.SIGKILL)
        code = self.process.wait(timeout=10)
        os.close(self.master)
        return code


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pty")
def test_answer_survives_sigkill_right_after_it_is_shown_as_done(tmp_path):
    context = open_context(tmp_path)
    db = context.settings.db_path
    context.close()
    env = {
        **os.environ,
        "TERM": "xterm-256color",
        "COLUMNS": "80",
        "LINES": "24",
        "DLTUI_CURRICULUM": str(tmp_path / "curriculum"),
        "DLTUI_DATA_DIR": str(tmp_path / "data"),
    }
    terminal = Terminal([sys.executable, "-m", "dltui", "--db", str(db), "review"], env)
    try:
        terminal.read_until("What is alpha?")
        terminal.type(b" ")
        terminal.read_until("Good 10m")
        terminal.type(b"3")
        # The status line changes only after record_answer returned, i.e. after the commit.
        terminal.read_until("done today 1")
    finally:
        code = terminal.kill()
    assert code == -signal.SIGKILL

    context = open_context(tmp_path)
    with context.store.session() as session:
        [log] = session.exec(select(ReviewLog)).all()
        card = session.get(CardState, log.card_id)
        study_session = session.get(StudySession, log.session_id)
    assert (card.card_key, log.rating, log.mode, log.state_before["state"]) == ("alpha/r1", 3, "review", 0)
    assert (card.state, card.step, card.reps, card.last_review) == (1, 1, 1, log.reviewed_at)
    assert log.duration_ms is not None and log.duration_ms > 0
    assert study_session.entry == "review" and study_session.ended_at is None  # killed, never closed
    context.close()
