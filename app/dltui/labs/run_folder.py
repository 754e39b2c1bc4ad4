"""One home for a run folder's layout: ``<data>/runs/<run-id>/`` and the files in it.

The folder is the run's source of truth (the `LabRun` row is its index card). Every reader and
writer (runner, monitor, process, MLflow export, the UI) asks `RunFolder` where a file lives
instead of spelling the file's name again.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dltui.store.models import LabRun


@dataclass(frozen=True)
class RunFolder:
    path: Path

    @classmethod
    def of(cls, run: LabRun) -> RunFolder:
        return cls(Path(run.run_dir))

    @property
    def events(self) -> Path:
        """The lab's events, one JSON object a line (see labs.events); appended as it runs."""
        return self.path / "events.jsonl"

    @property
    def stdout(self) -> Path:
        """The lab's stdout and stderr together."""
        return self.path / "stdout.log"

    @property
    def params(self) -> Path:
        """What the run was started with: parameters, command line, device, group, start time."""
        return self.path / "params.json"

    @property
    def pid(self) -> Path:
        """The lab's pid and its start marker (see labs.process), for re-attaching later."""
        return self.path / "pid"

    @property
    def stop(self) -> Path:
        """Present once a stop was asked for; holds the time after which it becomes SIGKILL."""
        return self.path / "stop-requested"

    @property
    def checkpoints(self) -> Path:
        """Where the lab saves its checkpoints."""
        return self.path / "checkpoints"
