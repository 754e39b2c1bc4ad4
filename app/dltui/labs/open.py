"""The composition root of Labs: the one place that builds a runner with its finish hooks.

The runner itself knows nothing of exercises, predictions or MLflow; what should happen when a
run ends is wired here, once, for the app and the CLI alike.
"""

from __future__ import annotations

from dltui.labs.exercise import install_exercise_recording
from dltui.labs.mlflow_export import install_mlflow_export
from dltui.labs.prediction import install_prediction_scoring
from dltui.labs.runner import LabRunner
from dltui.settings import Settings
from dltui.store import Store


def open_runner(settings: Settings, store: Store) -> LabRunner:
    """The runner the app and the CLI use: exercise passes recorded, predictions scored, MLflow
    export when enabled."""
    runner = LabRunner(settings, store)
    install_exercise_recording(runner)
    install_prediction_scoring(runner)
    if settings.mlflow:
        install_mlflow_export(runner)
    return runner
