"""Optional MLflow logging: a finished run's parameters, metrics and checkpoints, into a local store.

Enabled with ``mlflow = true`` in settings.toml (or ``DLTUI_MLFLOW=1``) once the extra is installed
(``pip install 'dltui[mlflow]'``). The store is ``<data>/mlflow/mlflow.db`` (SQLite) with artifacts
beside it; browse it with ``mlflow ui --backend-store-uri sqlite:///data/mlflow/mlflow.db``.

mlflow is heavy, so it is only ever imported in a child process: ``python -m
dltui.labs.mlflow_export RUN_DIR ...``. A run is logged once; ``mlflow.json`` in the run folder
records the MLflow run id.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from dltui.labs.run_folder import RunFolder
from dltui.labs.series import as_number

if TYPE_CHECKING:
    from dltui.labs.event_tail import Event
    from dltui.labs.runner import LabRunner

MARKER = "mlflow.json"
BATCH = 1000  # metrics per log_batch call


def store_paths(data_dir: Path) -> tuple[str, Path]:
    """The tracking URI and the artifact folder under the data folder."""
    root = data_dir / "mlflow"
    return f"sqlite:///{root / 'mlflow.db'}", root / "artifacts"


def mlflow_installed() -> bool:
    from importlib.util import find_spec

    return find_spec("mlflow") is not None


def export_in_background(data_dir: Path, run_dir: Path) -> subprocess.Popen[bytes] | None:
    """Log a finished run without making anyone wait; None when mlflow is not installed."""
    if not mlflow_installed() or (run_dir / MARKER).exists():
        return None
    uri, artifacts = store_paths(data_dir)
    with open(run_dir / "mlflow.log", "ab") as log:  # the child has its own copy of the file
        return subprocess.Popen(
            [sys.executable, "-m", "dltui.labs.mlflow_export", str(run_dir), "--uri", uri, "--artifacts", str(artifacts)],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )


def export_run(run_dir: Path, uri: str, artifact_root: Path) -> str:
    """Log one run folder to MLflow (in this process) and return the MLflow run id."""
    import mlflow

    from dltui.labs.event_tail import read_all

    marker = run_dir / MARKER
    if marker.exists():
        return str(json.loads(marker.read_text())["mlflow_run_id"])
    folder = RunFolder(run_dir)
    params: object = json.loads(folder.params.read_text()) if folder.params.exists() else {}
    if not isinstance(params, dict):
        params = {}
    events, _tail = read_all(folder.events)
    start: Event = next((e for e in events if e.get("type") == "start"), {})
    end: Event = next((e for e in reversed(events) if e.get("type") == "end"), {})
    lab = str(start.get("lab") or params.get("lab") or run_dir.name.rsplit("-", 2)[0])
    mlflow.set_tracking_uri(uri)
    client = mlflow.MlflowClient()
    experiment = client.get_experiment_by_name(lab)
    experiment_id = (
        experiment.experiment_id
        if experiment
        else client.create_experiment(lab, artifact_location=(artifact_root / lab).resolve().as_uri())
    )
    from mlflow.entities import Metric, Param, RunTag

    run = client.create_run(experiment_id, run_name=run_dir.name, start_time=_ms(start.get("t")))
    run_id: str = run.info.run_id
    lab_params = params.get("params", params)
    if not isinstance(lab_params, dict):
        lab_params = {}
    client.log_batch(
        run_id,
        params=[Param(str(k), str(v)[:500]) for k, v in lab_params.items()],
        tags=[RunTag("dltui.run_dir", str(run_dir)), RunTag("dltui.device", str(start.get("device", "")))],
    )
    # MLflow refuses a metric without a timestamp; a lab may leave "t" out: then the export's time.
    now = int(time.time() * 1000)
    metrics = [
        Metric(key, float(value), _ms_or(event.get("t"), now), _step(event.get("step")))
        for event in events
        if event.get("type") == "metrics"
        for key, value in _numbers(event.get("values"))
    ]
    last_step = max((m.step for m in metrics), default=0)
    metrics += [Metric(f"final/{key}", value, _ms_or(end.get("t"), now), last_step) for key, value in _numbers(end.get("summary"))]
    for first in range(0, len(metrics), BATCH):
        client.log_batch(run_id, metrics=metrics[first : first + BATCH])
    checkpoints = folder.checkpoints
    if checkpoints.is_dir() and any(checkpoints.iterdir()):
        client.log_artifacts(run_id, str(checkpoints), artifact_path="checkpoints")
    status = {"ok": "FINISHED", "cancelled": "KILLED"}.get(str(end.get("status")), "FAILED")
    client.set_terminated(run_id, status=status, end_time=_ms(end.get("t")))
    marker.write_text(json.dumps({"mlflow_run_id": run_id, "tracking_uri": uri}))
    return run_id


def _ms(seconds: object) -> int | None:
    return int(seconds * 1000) if isinstance(seconds, (int, float)) else None


def _ms_or(seconds: object, default: int) -> int:
    ms = _ms(seconds)
    return default if ms is None else ms


def _step(value: object) -> int:
    number = as_number(value)
    return int(number) if number is not None and math.isfinite(number) else 0


def _numbers(values: object) -> list[tuple[str, float]]:
    """The numeric entries of an event's ``values`` (or ``summary``), as MLflow takes them."""
    if not isinstance(values, dict):
        return []
    return [(str(k), float(v)) for k, v in values.items() if isinstance(v, (int, float)) and not isinstance(v, bool)]


def install_mlflow_export(runner: LabRunner) -> None:
    """Log every run this runner finishes (the export runs in its own process)."""
    data_dir = runner.settings.data_dir
    runner.on_finish.append(lambda run: export_in_background(data_dir, RunFolder.of(run).path))


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description="log finished dltui runs to a local MLflow store")
    parser.add_argument("run_dirs", nargs="+", type=Path)
    parser.add_argument("--uri", required=True)
    parser.add_argument("--artifacts", required=True, type=Path)
    args = parser.parse_args(argv)
    for run_dir in args.run_dirs:
        print(f"{run_dir.name}: MLflow run {export_run(run_dir, args.uri, args.artifacts)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
