"""The command line as a learner uses it: real `dltui` processes, piped into `head`, or on a terminal."""

from __future__ import annotations

import os
import pty
import re
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

DLTUI = Path(sys.executable).with_name("dltui")


@pytest.fixture
def env(tmp_path) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("DLTUI_", "ANTHROPIC_"))}
    environment["DLTUI_DB"] = str(tmp_path / "data" / "tutor.db")
    environment["HOME"] = str(tmp_path)
    return environment


@pytest.mark.parametrize("command", ["review stats", "lab runs", "review suspended", "lab list"])
@pytest.mark.parametrize("lines", [0, 1])
def test_piping_into_head_ends_quietly(env, command, lines):
    # head -n 0 leaves before dltui writes anything: the write meets a closed pipe every time.
    shell = f"'{DLTUI}' {command} | head -n {lines}"
    done = subprocess.run(["bash", "-c", shell], env=env, capture_output=True, text=True, timeout=120)
    assert "Traceback" not in done.stderr and "BrokenPipeError" not in done.stderr, done.stderr
    assert done.stderr == ""
    if lines:
        assert done.stdout.strip(), "the first line still comes through"


def _read_until(fd: int, pattern: str, seen: bytearray, timeout: float = 60.0) -> bool:
    """Read the terminal's output until ``pattern`` (a regex over text with escapes removed)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if re.search(pattern, _plain(seen)):
            return True
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break  # the process closed the terminal
            if not chunk:
                break
            seen.extend(chunk)
    return bool(re.search(pattern, _plain(seen)))


def _plain(raw: bytearray) -> str:
    text = raw.decode("utf-8", "replace")
    return re.sub(r"\x1b\[[0-9;?<>=]*[A-Za-z~]|\x1b[\]P][^\x07\x1b]*(\x07|\x1b\\)|\x1b.", "", text)


def _wait_or_kill(pid: int, timeout: float = 30.0) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        time.sleep(0.1)
    os.kill(pid, signal.SIGKILL)  # a hung app must fail the test, not hang the suite
    return os.waitpid(pid, 0)[1]


def test_a_quiz_on_a_terminal_prints_its_summary_when_it_ends(env):
    env = {**env, "TERM": "xterm-256color", "COLUMNS": "100", "LINES": "30"}
    pid, fd = pty.fork()
    if pid == 0:  # the child: dltui on the terminal
        os.execve(str(DLTUI), [str(DLTUI), "quiz", "linear-algebra"], env)
    seen = bytearray()
    try:
        assert _read_until(fd, r"What is the shape", seen), _plain(seen)[-2000:]
        os.write(fd, b" ")
        assert _read_until(fd, r"3 Good", seen), _plain(seen)[-2000:]
        os.write(fd, b"3")
        assert _read_until(fd, r"1/\d+ answered", seen), _plain(seen)[-2000:]
        os.write(fd, b"\x11")  # ctrl+q: the next card is a number card, whose box would take a q
        _read_until(fd, r"Due tomorrow \d+", seen, timeout=30)
    finally:
        status = _wait_or_kill(pid)
        os.close(fd)
    tail = _plain(seen).split("What is the shape")[-1]
    assert "This quiz: 1 answered" in tail and "Good 1" in tail, tail[-1500:]
    assert re.search(r"Retention today 100% of 1 · Due tomorrow \d+", tail), tail[-1500:]
    assert os.waitstatus_to_exitcode(status) == 0


def test_an_unknown_quiz_topic_is_one_sentence(env):
    done = subprocess.run([str(DLTUI), "quiz", "no such topic"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.startswith("dltui quiz: no topic called")
