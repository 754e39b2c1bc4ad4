"""Finding the checkpoints of earlier runs: for ``--resume latest`` and for the transfer lab.

A run is a folder holding ``events.jsonl`` whose first event names the lab. Runs are looked for in

1. ``$DLTUI_RUNS_DIR`` (where dltui keeps its runs, when set),
2. the folder around ``$DLTUI_RUN_DIR`` (the runs next to the current one, when dltui started us),
3. only when run alone from a shell (no ``$DLTUI_RUN_DIR``): ``runs/`` inside the lab's own folder,
   where a lab run alone from a shell writes.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

LABS = Path(__file__).resolve().parents[1]


def _candidate_folders(lab: str) -> list[Path]:
    folders = []
    if os.environ.get("DLTUI_RUNS_DIR"):
        folders.append(Path(os.environ["DLTUI_RUNS_DIR"]).expanduser())
    if os.environ.get("DLTUI_RUN_DIR"):
        folders.append(Path(os.environ["DLTUI_RUN_DIR"]).expanduser().resolve().parent)
    else:
        folders.append(LABS / lab / "runs")
    return folders


def runs_folders(lab: str) -> list[Path]:
    """The existing folders that may hold runs of `lab`, in the order they are searched."""
    unique = []
    for folder in _candidate_folders(lab):
        if folder.is_dir() and folder.resolve() not in [u.resolve() for u in unique]:
            unique.append(folder)
    return unique


def _started(run: Path, lab: str) -> float | None:
    """The start time of `run` if its first event says it is a run of `lab`, else None."""
    try:
        with open(run / "events.jsonl", encoding="utf-8") as f:
            first = json.loads(f.readline())
    except (OSError, ValueError):
        return None
    if first.get("type") != "start" or first.get("lab") != lab:
        return None
    return float(first.get("t", 0.0))


def runs_of(lab: str, exclude: Path | None = None) -> list[Path]:
    """Run folders of `lab`, newest first (`exclude`: the current run, which is no 'earlier' run)."""
    found = []
    for folder in runs_folders(lab):
        for run in folder.iterdir():
            if exclude is not None and run.resolve() == Path(exclude).resolve():
                continue
            started = _started(run, lab) if run.is_dir() else None
            if started is not None:
                found.append((started, run))
    return [run for _, run in sorted(found, reverse=True)]


def where_runs_were_looked_for(lab: str) -> str:
    """The searched folders, for an error message that says where to put (or point to) runs."""
    folders = list(dict.fromkeys(f.resolve() for f in _candidate_folders(lab)))  # each folder once
    searched = [str(f) + ("" if f.is_dir() else " (missing)") for f in folders]
    hint = "" if os.environ.get("DLTUI_RUNS_DIR") else " (set DLTUI_RUNS_DIR to search another folder)"
    return "; ".join(searched) + hint


def checkpoint_to_resume(lab: str, resume: str, own_run: Path) -> Path:
    """The checkpoint file that ``--resume`` names: a path, or 'latest' (the newest checkpoint of
    this run, else of the newest earlier run of `lab` that has one)."""
    from labkit.checkpoints import latest_checkpoint

    if resume != "latest":
        path = Path(resume).expanduser()
        if not path.is_file():
            raise FileNotFoundError(f"--resume {resume}: no such checkpoint file")
        return path
    for run in [own_run, *runs_of(lab, exclude=own_run)]:
        found = latest_checkpoint(run / "checkpoints")
        if found is not None:
            return found
    raise FileNotFoundError(
        f"--resume latest: no {lab} checkpoint found. Looked in {where_runs_were_looked_for(lab)}. "
        f"Run the lab once first, or give --resume a checkpoint file."
    )
