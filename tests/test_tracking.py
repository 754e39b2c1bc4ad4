"""Experiment tracking: runs compared side by side, and logged to a local MLflow store."""

import dataclasses
import json
import time
from pathlib import Path

import pytest
from dltui.cli import main
from dltui.labs import records
from dltui.labs.compare import compare_runs
from dltui.labs.mlflow_export import MARKER, store_paths
from dltui.labs.open import open_runner
from dltui.store import Store
from dltui.store.models import RunStatus


@pytest.fixture
def tracked(settings, fixture_labs):
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    lab_settings = dataclasses.replace(settings, labs_dir=fixture_labs, mlflow=True)
    store = Store(lab_settings.db_path)
    yield lab_settings, store
    store.close()


def finished_run(runner, params):
    run = runner.start(runner.registry.get("steady"), params)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        runner.poll()
        current = records.get_run(runner.store, run.id)
        if current.status is not RunStatus.RUNNING:
            return current
        time.sleep(0.05)
    raise AssertionError("the run did not finish")


def test_a_finished_run_appears_in_the_mlflow_store_with_its_metrics(tracked):
    mlflow = pytest.importorskip("mlflow", reason="the dltui[mlflow] extra is what `make test` installs")
    settings, store = tracked
    run = finished_run(open_runner(settings, store), {"steps": "6", "lr": "0.5"})
    marker = Path(run.run_dir) / MARKER
    deadline = time.monotonic() + 120  # the export runs in its own process (mlflow imports slowly)
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert marker.exists(), (Path(run.run_dir) / "mlflow.log").read_text()
    mlflow_run_id = json.loads(marker.read_text())["mlflow_run_id"]
    client = mlflow.MlflowClient(tracking_uri=store_paths(settings.data_dir)[0])
    logged = client.get_run(mlflow_run_id)
    assert logged.data.params["lr"] == "0.5" and logged.data.params["steps"] == "6"
    assert logged.info.run_name == run.id and logged.info.status == "FINISHED"
    history = client.get_metric_history(mlflow_run_id, "train/loss")
    assert [m.step for m in history] == [1, 2, 3, 4, 5, 6]
    assert history[0].value > history[-1].value  # the falling loss the lab reported
    assert client.get_experiment(logged.info.experiment_id).name == "steady"


def test_runs_are_compared_by_parameters_and_final_metrics(tracked, capsys):
    settings, store = tracked
    runner = open_runner(dataclasses.replace(settings, mlflow=False), store)
    slow = finished_run(runner, {"steps": "5", "lr": "0.1"})
    fast = finished_run(runner, {"steps": "5", "lr": "0.9"})
    comparison = compare_runs([slow, fast])
    assert comparison.differing == [("lr", ["0.1", "0.9"])]
    assert comparison.shared["steps"] == "5"
    metrics = dict(comparison.metrics)
    assert "val/acc" in metrics and metrics["val/acc"][0] != metrics["val/acc"][1]
    assert main(["--db", str(settings.db_path), "lab", "compare", slow.id, fast.id]) == 0
    out = capsys.readouterr().out
    assert "param lr" in out and slow.id in out and fast.id in out
