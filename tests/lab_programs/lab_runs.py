"""Running lab programs the way the runtime does: a subprocess, cwd = the lab folder, env set."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

LABS = Path(__file__).resolve().parents[2] / "labs"


def lab_env(run_dir: Path, datasets: Path | None = None, **extra) -> dict:
    env = {**os.environ, "DLTUI_RUN_DIR": str(run_dir), "PYTHONPATH": str(LABS), "DLTUI_MIRRORS": "http://127.0.0.1:9/"}
    if datasets is not None:
        env["DLTUI_DATASETS"] = str(datasets)
    env.update(extra)
    return env


def run_lab(lab: str, args: list[str], run_dir: Path, datasets: Path | None = None, timeout: float = 60, **env):
    """Run a lab program as the runtime would (cwd = its folder); returns the CompletedProcess."""
    script = {"numpy-xor": "xor.py", "numpy-mlp": "train.py"}[lab]
    return subprocess.run(
        [sys.executable, script, *args],
        cwd=LABS / lab,
        env=lab_env(run_dir, datasets, **env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def read_events(run_dir: Path) -> list[dict]:
    path = run_dir / "events.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
