"""Predict, then run: before a run starts the learner says what it will do; once it ends, we score it.

A prediction is the curve's shape and/or the final value of the lab's target metric (lab.toml
``target``), one per run (a sweep: one per value). Once the run has ended, whatever its status (a
crash is an outcome too: the shape is read from the curve), it is scored against the diagnosis
(`labs.diagnosis`) and final metrics, in one sentence on the row and one assessment (`srs.mastery`).

Tolerances, shown before the run (`tolerance_text`); a band's edge counts as inside. An accuracy
(``...acc``, ``...accuracy``) means the same on [0, 1] in every lab: ±0.01 absolute (one point).
Anything else is a loss, whose scale depends on the loss and the data (10-class cross-entropy
starts at 2.3, an MSE anywhere), so its band is relative: ±10% of the predicted value (at least
0.001, so a predicted 0 can be right): the learner is judged on the size, not on the digits.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlmodel import col, select

from dltui.labs import records
from dltui.labs.diagnosis import CurveShape, loss_name
from dltui.labs.registry import load_registry
from dltui.labs.run_record import RunRecord, RunSource, read_run_record
from dltui.labs.series import as_number
from dltui.srs.mastery import PREDICTION_ASSESSOR
from dltui.store.models import Assessment, AssessmentLevel, LabRun, Prediction, RunKind, RunStatus
from dltui.store.types import utcnow

if TYPE_CHECKING:
    from dltui.labs.runner import LabRunner

log = logging.getLogger("dltui.labs")


class PredictedShape(StrEnum):
    CONVERGES = "converges"
    PLATEAUS = "plateaus"
    DIVERGES = "diverges"
    OVERFITS = "overfits"


# What a diagnosis counts as; None: the curve is too short to show a shape (not scorable).
OUTCOME_SHAPE: dict[CurveShape, PredictedShape | None] = {
    CurveShape.HEALTHY: PredictedShape.CONVERGES,
    CurveShape.NOISY: PredictedShape.CONVERGES,
    CurveShape.PLATEAU: PredictedShape.PLATEAUS,
    CurveShape.DIVERGING: PredictedShape.DIVERGES,
    CurveShape.OVERFITTING: PredictedShape.OVERFITS,
    CurveShape.TOO_SHORT: None,
}
WILL = {
    PredictedShape.CONVERGES: "converge",
    PredictedShape.PLATEAUS: "plateau",
    PredictedShape.DIVERGES: "diverge",
    PredictedShape.OVERFITS: "overfit",
}
DID = {
    CurveShape.HEALTHY: "converged",
    CurveShape.NOISY: "converged (noisily)",
    CurveShape.PLATEAU: "plateaued",
    CurveShape.DIVERGING: "diverged",
    CurveShape.OVERFITTING: "overfit",
}
ENDED = {RunStatus.FAILED: "the run failed", RunStatus.CANCELLED: "the run was stopped", RunStatus.CRASHED: "the run crashed"}

ACCURACY_TOLERANCE = 0.01  # absolute
LOSS_TOLERANCE, LOSS_TOLERANCE_FLOOR = 0.10, 1e-3  # relative to the predicted value; at least the floor
EDGE = 1e-9  # float noise: 1.0 - 0.99 is 0.010000000000000009, which is on the edge, so inside
CONFIDENCE = 0.5  # a guess is weaker evidence than an explanation (see srs.mastery)


@dataclass(frozen=True)
class Guess:
    shape: PredictedShape | None = None
    value: float | None = None  # the final value of the lab's target metric


def is_accuracy(metric: str) -> bool:
    return metric.lower().endswith(("acc", "accuracy"))


def metric_tolerance(metric: str) -> float:
    """The band for ``metric``: 0.01 absolute for an accuracy, else 0.10 of the predicted value."""
    return ACCURACY_TOLERANCE if is_accuracy(metric) else LOSS_TOLERANCE


def absolute_tolerance(metric: str, value: float) -> float:
    """How far from ``value`` the final ``metric`` may land and the prediction still be right."""
    return ACCURACY_TOLERANCE if is_accuracy(metric) else max(LOSS_TOLERANCE * abs(value), LOSS_TOLERANCE_FLOOR)


def tolerance_text(metric: str, value: float) -> str:
    """What the learner reads before the run: "within ±0.01", "within ±10% (±0.05)"."""
    if is_accuracy(metric):
        return f"within ±{ACCURACY_TOLERANCE:g}"
    return f"within ±{LOSS_TOLERANCE:.0%} (±{absolute_tolerance(metric, value):.3g})"


def _value_text(p: Prediction) -> list[str]:
    return [] if p.value is None or not p.metric else [f"{p.metric} {p.value:.4g} {tolerance_text(p.metric, p.value)}"]


def guess_text(prediction: Prediction) -> str:
    """What was predicted, in words: "diverges; train/acc 0.75 within ±0.01"."""
    return "; ".join(([prediction.shape] if prediction.shape else []) + _value_text(prediction))


def _shape(raw: object) -> PredictedShape | None:
    try:
        return None if raw is None else PredictedShape(str(raw).strip().lower())
    except ValueError:
        raise ValueError(f"{raw!r} is not a shape to predict: choose {', '.join(s.value for s in PredictedShape)}") from None


def _number(raw: object) -> float:
    value = as_number(raw)
    if value is None:
        raise ValueError(f"{raw!r} is not a number")
    if not math.isfinite(value):
        raise ValueError(f"{value} is not a value a metric can end at: give a finite number")
    return value


def save_prediction(context: RunSource, run_id: str, guess: Guess) -> Prediction:
    """File the learner's guess for a run that has not ended yet; ValueError says what is wrong."""
    shape = _shape(guess.shape)
    if shape is None and guess.value is None:
        raise ValueError(
            "a prediction needs the curve's shape (converges, plateaus, diverges, overfits), "
            "the final value of the lab's target metric, or both"
        )
    run = records.get_run(context.store, run_id)
    if run is None:
        raise ValueError(f"no run {run_id!r} to predict")
    if run.kind is RunKind.EXERCISE:
        raise ValueError(f"run {run_id} is a grader run ({run.lab_name}): it has no training curve to predict")
    if run.status is not RunStatus.RUNNING:
        raise ValueError(f"run {run_id} has already ended ({run.status.value}): a prediction is made before the outcome is known")
    metric = value = tolerance = None
    if guess.value is not None:
        value = _number(guess.value)
        lab = load_registry(context.settings.labs_dir, context.settings.data_dir).labs.get(run.lab_id)
        if lab is None or lab.target is None:
            raise ValueError(f"lab {run.lab_id} has no target metric to predict a value of; predict the curve's shape instead")
        metric = lab.target.metric
        if is_accuracy(metric) and not 0 <= value <= 1:
            raise ValueError(f"{metric} is an accuracy between 0 and 1 (0.97 for 97%), not {value:g}")
        tolerance = absolute_tolerance(metric, value)
    row = Prediction(
        run_id=run.id,
        lab_id=run.lab_id,
        shape=shape.value if shape else None,
        metric=metric,
        value=value,
        tolerance=tolerance,
        session_id=run.session_id,
    )
    with context.store.session() as db:  # one write transaction: the check and the insert together
        if db.exec(select(Prediction.id).where(Prediction.run_id == run.id)).first() is not None:
            raise ValueError(f"run {run_id} already has a prediction (one per run, made before it starts)")
        db.add(row)
    return row


def prediction_for(context: RunSource, run_id: str) -> Prediction | None:
    with context.store.read() as db:
        found: Prediction | None = db.exec(select(Prediction).where(Prediction.run_id == run_id)).first()
    return found


def predictions_for(context: RunSource, run_ids: list[str]) -> dict[str, Prediction]:
    """The predictions of these runs (a sweep's), by run id; runs without one are left out."""
    with context.store.read() as db:
        return {p.run_id: p for p in db.exec(select(Prediction).where(col(Prediction.run_id).in_(list(run_ids))))}


def _actual_value(record: RunRecord, metric: str) -> float | None:
    """The run's final ``metric``: its final metrics, else the last point of its curve (NaN kept)."""
    raw = record.final_metrics.get(metric)
    if raw is None and metric in record.curves and record.curves[metric].points:
        raw = record.curves[metric].points[-1][2]
    return as_number(raw)  # "nan" (a run that blew up) is kept: it is no value a guess is near


def _judge(prediction: Prediction, record: RunRecord, status: RunStatus) -> tuple[dict[str, object], AssessmentLevel | None]:
    """The scored fields of the row, and the assessment's level (None: nothing could be scored)."""
    diagnosis, said, seen, verdict = record.diagnosis, _value_text(prediction), [], []
    actual_shape = OUTCOME_SHAPE[diagnosis.shape]
    shape_right = None if prediction.shape is None or actual_shape is None else prediction.shape == actual_shape.value
    actual = _actual_value(record, prediction.metric) if said and prediction.metric else None
    value_right = None
    if actual is not None and prediction.value is not None and prediction.tolerance is not None:
        value_right = math.isfinite(actual) and abs(actual - prediction.value) <= prediction.tolerance + EDGE
    if status in ENDED:
        seen.append(ENDED[status])
    if actual_shape is None:
        seen.append(f"its curve was too short to show a shape ({diagnosis.evidence})")
    else:
        loss = loss_name(record.curves)
        points = record.curves[loss].points if loss else []
        seen.append(f"it {DID[diagnosis.shape]}" + (f" ({loss} {points[0][2]:.3g} -> {points[-1][2]:.3g})" if points else ""))
    if prediction.shape:
        said.insert(0, f"it would {WILL[PredictedShape(prediction.shape)]}")
        verdict.append("shape not scored" if shape_right is None else f"{'right' if shape_right else 'wrong'} shape")
    if prediction.value is not None:
        seen.append(f"it never reported {prediction.metric}" if actual is None else f"{prediction.metric} ended at {actual:.4g}")
        verdict.append("value not scored" if value_right is None else f"{'right' if value_right else 'wrong'} value")
    parts = [p for p in (shape_right, value_right) if p is not None]
    level = (
        None
        if not parts
        else AssessmentLevel.STRONG
        if all(parts)
        else AssessmentLevel.PARTIAL
        if any(parts)
        else AssessmentLevel.NEEDS_WORK
    )
    if level is None:
        verdict.append("nothing to score, so nothing was recorded")
    seen_text, summary = seen[0] if len(seen) == 1 else f"{', '.join(seen[:-1])} and {seen[-1]}", ", ".join(verdict)
    fields: dict[str, object] = {
        "shape_right": shape_right,
        "value_right": value_right,
        "actual_shape": actual_shape and actual_shape.value,
        "actual_value": actual if actual is not None and math.isfinite(actual) else None,
        "outcome": f"You predicted {', with '.join(said)}; {seen_text}. {summary[0].upper()}{summary[1:]}.",
    }
    return fields, level


def score_prediction(context: RunSource, run: LabRun) -> Prediction | None:
    """Score the run's prediction once it has ended, once only (None: no prediction). ``context``: a
    StudyContext or the LabRunner. One assessment of the outcome's topic (srs.mastery); no gaps."""
    prediction = prediction_for(context, run.id)
    if prediction is None or prediction.scored_at is not None:
        return prediction
    run = records.get_run(context.store, run.id) or run
    record = read_run_record(context, run.id) if run.status is not RunStatus.RUNNING else None
    if record is None:
        return prediction  # still running: scored when it ends
    fields, level = _judge(prediction, record, run.status)
    with context.store.session() as db:
        row = db.get(Prediction, prediction.id)
        if row is None or row.scored_at is not None:  # another process scored (or deleted) it meanwhile
            return row
        for name, value in fields.items():
            setattr(row, name, value)
        row.scored_at = utcnow()
        db.add(row)
        if level is not None:
            db.add(
                Assessment(
                    topic_id=record.diagnosis.topic_id,
                    level=level,
                    confidence=CONFIDENCE,
                    evidence=f"{row.outcome} (run {run.id})",
                    assessor=PREDICTION_ASSESSOR,
                    session_id=row.session_id,
                )
            )
    return row


def _score_logged(context: RunSource, run: LabRun) -> Prediction | None:
    try:
        return score_prediction(context, run)
    except Exception:  # noqa: BLE001 (the run is recorded whatever happens; its score can come later)
        log.exception("scoring the prediction of run %s failed", run.id)
        return None


def score_ended_predictions(context: RunSource) -> list[Prediction]:
    """Score the predictions of runs that ended unscored (a hook that failed); returns them."""
    with context.store.read() as db:
        runs = list(
            db.exec(
                select(LabRun)
                .join(Prediction, col(Prediction.run_id) == col(LabRun.id))
                .where(col(Prediction.scored_at).is_(None), LabRun.status != RunStatus.RUNNING)
            )
        )
    return [p for p in (_score_logged(context, run) for run in runs) if p is not None]


def install_prediction_scoring(runner: LabRunner) -> None:
    """Score each run's prediction when this runner finishes it (an `on_finish` hook). The runner
    is the context (a run record needs settings and store only). A failure is logged and leaves
    the prediction unscored, for the next session join or leave (`score_ended_predictions`)."""
    runner.on_finish.append(lambda run: _score_logged(runner, run))
