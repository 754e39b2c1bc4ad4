"""The MLflow export's background start leaves no file of ours open (the child keeps its own)."""

from __future__ import annotations

import gc
import warnings

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
