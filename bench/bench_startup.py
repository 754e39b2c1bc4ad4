"""Start-up: time from launch to the first painted screen, dltui against a bare Textual app.

Both run in a real pseudo-terminal (80x24). The clock stops when the screen output contains a
text that only a painted frame shows (the header title for dltui, the label for hello-world).
"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import statistics
import struct
import sys
import tempfile
import termios
import time

HELLO = """
from textual.app import App
from textual.widgets import Static

class Hello(App):
    def compose(self):
        yield Static("hello-from-textual")

Hello().run()
"""
RUNS = 5


def time_to_paint(argv: list[str], marker: bytes, env: dict[str, str], timeout: float = 30.0) -> float:
    started = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:  # child
        os.execvpe(argv[0], argv, env)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    seen = b""
    try:
        while time.perf_counter() - started < timeout:
            ready, _, _ = select.select([fd], [], [], 0.05)
            if ready:
                try:
                    seen += os.read(fd, 65536)
                except OSError:
                    break
                if marker in seen:
                    return time.perf_counter() - started
        raise RuntimeError(f"{argv} did not paint {marker!r} within {timeout} s")
    finally:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        os.close(fd)


def main() -> None:
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "TERM": "xterm-256color", "DLTUI_DB": os.path.join(home, "tutor.db"), "COLUMNS": "80", "LINES": "24"}
        env.pop("ANTHROPIC_API_KEY", None)
        # Measure what a learner gets: bytecode cached after the first launch (some CI images
        # disable that, which makes every launch recompile dltui's own modules).
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        dltui = [sys.executable, "-m", "dltui"]
        hello = [sys.executable, "-c", HELLO]
        time_to_paint(dltui, b"dltui", env)  # warm the page cache, write bytecode, create the database
        ours, bare = [], []
        for _ in range(RUNS):  # interleaved, so machine noise hits both alike
            ours.append(time_to_paint(dltui, b"dltui", env))
            bare.append(time_to_paint(hello, b"hello-from-textual", env))
    ours_ms, bare_ms = statistics.median(ours) * 1000, statistics.median(bare) * 1000
    print(f"| startup: dltui first paint | {ours_ms:.0f} | ms | median of {RUNS}, 80x24 pty, warm |")
    print(f"| startup: textual hello-world first paint | {bare_ms:.0f} | ms | same run |")
    print(f"| startup: ratio dltui / hello-world | {ours_ms / bare_ms:.2f} | x | lower is better |")


if __name__ == "__main__":
    main()
