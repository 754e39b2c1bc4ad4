"""The Labs pane's side of "predict, then run": keep the learner's predictions, show them over the
curves, and when one turns out wrong, open the Chat on that run.

Scoring and recording are the domain's (`labs.prediction`, an on_finish hook of the runner): this
mixin only reads the result. Predictions are read once per change of what is shown, not per frame.
"""

from __future__ import annotations

from typing import Any

from dltui.labs.prediction import Guess, predictions_for, save_prediction
from dltui.labs.registry import Lab
from dltui.store.models import LabRun
from dltui.ui.labs.metric_plot import PredictionMark
from dltui.ui.labs.pane_parts import LabsPaneParts
from dltui.ui.requests import TalkAboutRun


class PredictionFollowUp(LabsPaneParts):
    """Mixed into LabsPane, which holds the predictions read so far (see `LabsPaneParts`)."""

    def save_guesses(self, lab: Lab, runs: list[LabRun], guesses: dict[Any, Guess]) -> None:
        """File each run's prediction (a sweep's by the value the run was given)."""
        swept = lab.sweep.param if lab.sweep is not None else None
        for run in runs:
            guess = guesses.get(run.params.get(swept) if swept else None)
            if guess is None:
                continue
            try:
                self._predictions[run.id] = save_prediction(self.context, run.id, guess)
            except ValueError as err:
                self.notify(f"Prediction not saved: {err}", severity="warning", timeout=8)

    def read_predictions(self, run_ids: list[str]) -> None:
        self._predictions.update(predictions_for(self.context, run_ids))

    def labelled(self, run_id: str, label: str) -> str:
        """The run's legend label, with what the learner said it would do (and whether it did)."""
        prediction = self._predictions.get(run_id)
        if prediction is None or prediction.shape is None:
            return label
        verdict = "" if prediction.shape_right is None else (" ✓" if prediction.shape_right else " ✗")
        return f"{label} (you said: {prediction.shape}{verdict})"

    def marks(self, run_ids: list[str]) -> list[PredictionMark]:
        """Horizontal lines at the predicted metric values, one per shown run that has one."""
        return [
            PredictionMark(index, p.metric, p.value)
            for index, run_id in enumerate(run_ids)
            if (p := self._predictions.get(run_id)) is not None and p.metric and p.value is not None
        ]

    def follow_up_prediction(self, run: LabRun) -> None:
        """A run ended: re-read its (now scored) prediction; a wrong one opens the Chat on it."""
        self.read_predictions([run.id])
        prediction = self._predictions.get(run.id)
        if prediction is None or prediction.scored_at is None:
            return
        wrong = prediction.shape_right is False or prediction.value_right is False
        self.notify(prediction.outcome or "Prediction scored.", severity="warning" if wrong else "information", timeout=10)
        key = run.group_id or run.id
        if wrong and key not in self._asked_about:
            self._asked_about.add(key)  # once per sweep: the tutor asks about the first surprise
            self.post_message(TalkAboutRun(run.id))
