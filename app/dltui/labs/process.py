"""Lab processes: started detached, recognised again later, and stopped as a group.

A lab runs in its own session (``start_new_session=True``): it has no controlling terminal, so
neither Ctrl-C in the TUI nor an SSH hang-up reaches it, and it outlives the TUI. Its process
group is its own pid, which is how `stop` reaches the lab and any workers it started.

A pid alone can be reused by the system after the lab exits, so the process's start time
(from /proc on Linux) is kept with it; a pid with a different start time is not our lab.

A run lasts as long as any process of its group: DataLoader workers, torchrun's ranks or any
child may outlive the lab's first process (and hold the GPU), so signals go to the group and
`alive` watches the group until it is empty. A zombie counts as gone: in a container the
process that should reap orphans may never do so.
"""

from __future__ import annotations

import os
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

from dltui.labs.run_folder import RunFolder


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


def group_members(pgid: int) -> list[int]:
    """Live (not zombie) processes of process group ``pgid``, from /proc on Linux."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # it ended while we looked
            continue
        fields = stat[stat.rfind(")") + 2 :].split()
        if len(fields) > 2 and fields[2] == str(pgid) and fields[0] not in ("Z", "X"):
            members.append(int(entry.name))
    return members


def _group_exists(pgid: int) -> bool:
    if Path("/proc").is_dir():
        return bool(group_members(pgid))
    try:
        os.killpg(pgid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True


@dataclass
class LabProcess:
    """A lab's process: ours (we hold the Popen) or one started by an earlier dltui."""

    pid: int
    marker: str | None = None
    popen: subprocess.Popen[bytes] | None = None

    def alive(self) -> bool:
        """True while the lab's first process, or any process of its group, still runs."""
        return self._leader_alive() or (self._group_is_ours() and _group_exists(self.pid))

    def _leader_alive(self) -> bool:
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

    def _group_is_ours(self) -> bool:
        """Whether the group named by our pid is still the lab's.

        The kernel does not hand out a pid while a process group of that id has members, so
        once the leader is gone the group's remaining members can only be the lab's. A leader
        that is alive but has a different start time means the pid (and its group) was reused.
        """
        if _state(self.pid) in (None, "Z", "X"):
            return True
        return self.marker is None or start_marker(self.pid) == self.marker

    def signal(self, signum: int) -> bool:
        """Send ``signum`` to the lab's whole process group; False when nothing of it is left."""
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

    def write_pid_file(self, folder: RunFolder) -> None:
        # First line is the plain pid (what any tool expects); the second says which process it was.
        folder.pid.write_text(f"{self.pid}\n{self.marker or ''}\n", encoding="utf-8")

    @classmethod
    def from_pid_file(cls, folder: RunFolder) -> "LabProcess | None":
        try:
            lines = folder.pid.read_text(encoding="utf-8").splitlines()
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
