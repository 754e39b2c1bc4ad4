"""Lab processes: started detached, recognised again later, and stopped as a group.

A lab runs in its own session (``start_new_session=True``): it has no controlling terminal, so
neither Ctrl-C in the TUI nor an SSH hang-up reaches it, and it outlives the TUI. Its process
group is its own pid, which is how `stop` reaches the lab and any workers it started.

A pid alone can be reused by the system after the lab exits, so the process's start time
(from /proc on Linux) is kept with it; a pid with a different start time is not our lab.
"""

from __future__ import annotations

import os
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

PID_FILE = "pid"


def start_marker(pid: int) -> str | None:
    """The kernel's start time of ``pid`` (clock ticks since boot), or None where unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may contain spaces and parentheses: split after its last ")".
    fields = stat[stat.rfind(")") + 2 :].split()
    return fields[19] if len(fields) > 19 else None  # field 22 overall


def _state(pid: int) -> str | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat[stat.rfind(")") + 2 :].split()[0]


@dataclass
class LabProcess:
    """A lab's process: ours (we hold the Popen) or one started by an earlier dltui."""

    pid: int
    marker: str | None = None
    popen: subprocess.Popen | None = None

    def alive(self) -> bool:
        if self.popen is not None:
            return self.popen.poll() is None
        if Path("/proc").is_dir():
            if _state(self.pid) in (None, "Z", "X"):  # gone, or a zombie nobody reaped yet
                return False
            return self.marker is None or start_marker(self.pid) == self.marker
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:  # the pid now belongs to another user: not our lab
            return False
        return True

    @property
    def exit_code(self) -> int | None:
        return None if self.popen is None else self.popen.returncode

    def signal(self, signum: int) -> bool:
        """Send ``signum`` to the lab's whole process group; False when it is already gone."""
        if not self.alive():
            return False
        try:
            os.killpg(self.pid, signum)
            return True
        except PermissionError:
            return False
        except ProcessLookupError:  # not a group leader after all (it moved itself): just the lab
            pass
        try:
            os.kill(self.pid, signum)
        except (ProcessLookupError, PermissionError):
            return False
        return True

    def write_pid_file(self, run_dir: Path) -> None:
        # First line is the plain pid (what any tool expects); the second says which process it was.
        (run_dir / PID_FILE).write_text(f"{self.pid}\n{self.marker or ''}\n", encoding="utf-8")

    @classmethod
    def from_pid_file(cls, run_dir: Path) -> "LabProcess | None":
        try:
            lines = (run_dir / PID_FILE).read_text(encoding="utf-8").splitlines()
            pid = int(lines[0])
        except (OSError, ValueError, IndexError):
            return None
        marker = lines[1].strip() if len(lines) > 1 and lines[1].strip() else None
        return cls(pid=pid, marker=marker)


def spawn(argv: list[str], cwd: Path, env: dict[str, str], log_path: Path) -> LabProcess:
    """Start ``argv`` detached, stdout and stderr into ``log_path``; raises OSError if it cannot start."""
    with open(log_path, "ab") as log:
        popen = subprocess.Popen(
            argv,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # own session and process group: survives the TUI and SIGHUP
            close_fds=True,
        )
    return LabProcess(pid=popen.pid, marker=start_marker(popen.pid), popen=popen)


STOP_SIGNAL = signal.SIGTERM
KILL_SIGNAL = signal.SIGKILL
