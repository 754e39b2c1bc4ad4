"""The MLflow export: its background start leaves no file of ours open (the child keeps its own),
and what a lab may leave out of its events does not stop a run from being logged."""

from __future__ import annotations

import gc
import json
import warnings

import pytest
from dltui.labs import mlflow_export


def test_export_in_background_closes_its_log_file(tmp_path, monkeypatch):
    monkeypatch.setattr(mlflow_export, "mlflow_installed", lambda: True)  # the child may then fail: fine
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        child = mlflow_export.export_in_background(tmp_path, run_dir)
        gc.collect()
    child.kill()
    child.wait(timeout=30)
    assert not [w for w in caught if issubclass(w.category, ResourceWarning) and "mlflow.log" in str(w.message)]
    assert (run_dir / "mlflow.log").exists()


def test_a_run_whose_events_carry_no_time_is_still_exported(tmp_path):
    """`t` is optional for a lab; MLflow refuses a metric without a timestamp, so one is supplied."""
    mlflow = pytest.importorskip("mlflow", reason="the dltui[mlflow] extra is what `make test` installs")
    run_dir = tmp_path / "steady-20261201-080000-abcd"
    run_dir.mkdir()
    events = [
        {"type": "start", "lab": "steady"},
        {"type": "metrics", "step": 1, "values": {"train/loss": 0.5}},
        {"type": "end", "status": "ok", "summary": {"train/loss": 0.5}},
    ]
    (run_dir / "events.jsonl").write_text("".join(json.dumps(e) + "\n" for e in events))
    uri, artifacts = mlflow_export.store_paths(tmp_path)

    run_id = mlflow_export.export_run(run_dir, uri, artifacts)

    history = mlflow.MlflowClient(uri).get_metric_history(run_id, "train/loss")
    assert [(m.step, m.value) for m in history] == [(1, 0.5)]
