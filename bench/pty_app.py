"""A program in a real pseudo-terminal, as a learner's terminal runs it: keys in, screen bytes out,
and the CPU time its threads have used (for "the TUI's CPU from a key to the screen")."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import termios
import time
from pathlib import Path


class PtyApp:
    def __init__(self, argv: list[str], env: dict[str, str], size: tuple[int, int] = (80, 24)):
        self.started = time.perf_counter()
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # child
            os.execvpe(argv[0], argv, env)
        columns, rows = size
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
        self.seen = b""

    def read(self, wait: float) -> bytes:
        """What the program wrote within ``wait`` seconds (b"" if nothing)."""
        ready, _, _ = select.select([self.fd], [], [], wait)
        if not ready:
            return b""
        try:
            chunk = os.read(self.fd, 65536)
        except OSError:  # the program has exited
            raise RuntimeError("the program exited") from None
        self.seen += chunk
        return chunk

    def wait_for(self, marker: bytes, timeout: float = 30.0, since: int = 0) -> float:
        """Seconds since launch when ``marker`` is in the output after offset ``since``."""
        deadline = time.perf_counter() + timeout
        while marker not in self.seen[since:]:
            if time.perf_counter() > deadline:
                raise RuntimeError(f"{marker!r} did not appear within {timeout} s")
            self.read(0.05)
        return time.perf_counter() - self.started

    def first_output(self, timeout: float) -> bool:
        """Wait until the program writes something; False if it wrote nothing within ``timeout`` seconds."""
        deadline = time.perf_counter() + timeout
        while not self.read(0.02):
            if time.perf_counter() > deadline:
                return False
        return True

    def settle(self, quiet: float = 0.15, timeout: float = 10.0) -> None:
        """Read until the program has written nothing for ``quiet`` seconds."""
        deadline = time.perf_counter() + timeout
        while self.read(quiet) and time.perf_counter() < deadline:
            pass

    def send(self, keys: str) -> None:
        os.write(self.fd, keys.encode())

    def cpu_seconds(self) -> float:
        """CPU time used so far by all the program's threads (schedstat: nanoseconds, not 10 ms ticks)."""
        total = 0
        for task in Path(f"/proc/{self.pid}/task").iterdir():
            try:
                total += int((task / "schedstat").read_text().split()[0])
            except (OSError, ValueError, IndexError):  # a thread that just ended
                pass
        return total / 1e9

    def close(self) -> None:
        os.kill(self.pid, 9)
        os.waitpid(self.pid, 0)
        os.close(self.fd)
