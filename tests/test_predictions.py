"""Predict, then run: the learner's guess filed before a run, scored when it ends, credited to one
topic, and shown in the session notes. Real SQLite, real run folders in the lab event protocol,
and a real learning-rate sweep of the XOR lab run by the runner with its on_finish hooks."""

from __future__ import annotations

import json
import math
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest
from dltui.labs import records
from dltui.labs.open import open_runner
from dltui.labs.prediction import (
    Guess,
    PredictedShape,
    metric_tolerance,
    prediction_for,
    predictions_for,
    save_prediction,
    score_prediction,
    tolerance_text,
)
from dltui.labs.registry import register_lab_folder
from dltui.labs.runner import LabRunner
from dltui.notes.sessions import begin_session, close_session
from dltui.srs.mastery import topic_mastery
from dltui.store import Store
from dltui.store.database import latest_version
from dltui.store.models import Assessment, AssessmentLevel, KnowledgeGap, LabRun, Prediction, RunKind, RunStatus
from dltui.store.types import utcnow
from sqlmodel import select

# numpy-xor at lr=10: the loss jumps between three values and ends where it started.
SWINGING = [6.18, 2.63, 6.13, 6.91, 2.50, 6.28, 6.91, 2.47, 6.30, 6.91, 2.48, 6.28, 6.91] * 8
HEALTHY = [0.7 * math.exp(-k / 15) + 0.001 for k in range(100)]


def make_run(
    context,
    run_id: str,
    losses: list[float],
    *,
    lab_id: str = "numpy-xor",
    extra: dict | None = None,
    end: str | None = "ok",
    session_id: int | None = None,
    kind: RunKind = RunKind.RUN,
) -> LabRun:
    """A run folder as a lab writes it (events.jsonl: start, metrics, end) and its row, still running
    as far as the database knows (the runner finishes it: `finish`)."""
    run_dir = Path(context.settings.runs_dir) / run_id
    run_dir.mkdir(parents=True)
    extra = extra or {}
    events = [{"v": 1, "type": "start", "lab": lab_id, "params": {}, "t": 0.0}]
    events += [
        {"v": 1, "type": "metrics", "step": i * 20, "epoch": i * 20, "values": {"train/loss": v}, "t": float(i)}
        for i, v in enumerate(losses)
    ]
    if end is not None:
        events.append({"v": 1, "type": "end", "status": end, "summary": {"train/loss": losses[-1], **extra}, "t": 99.0})
    (run_dir / "events.jsonl").write_text("".join(json.dumps(e) + "\n" for e in events))
    (run_dir / "stdout.log").write_text("")
    return records.add_run(
        context.store, LabRun(id=run_id, lab_id=lab_id, kind=kind, params={}, run_dir=str(run_dir), session_id=session_id)
    )


def finish(context, run: LabRun, status: RunStatus = RunStatus.OK, final: dict | None = None) -> LabRun:
    return records.finish_run(context.store, run.id, status, utcnow(), final or {}, None)


def assessments(context) -> list[Assessment]:
    with context.store.session() as db:
        return list(db.exec(select(Assessment).order_by(Assessment.id)))


def section(notes: str, heading: str) -> list[str]:
    lines = notes.splitlines()
    if f"### {heading}" not in lines:
        return []
    start = lines.index(f"### {heading}") + 2
    end = next((i for i in range(start, len(lines)) if not lines[i].strip()), len(lines))
    return lines[start:end]


def test_a_learning_rate_sweep_predicted_run_by_run_is_scored_by_the_runner_and_noted(context):
    session = begin_session(context)
    runner = open_runner(context.settings, context.store)
    runs = runner.launch(runner.registry.get("numpy-lr-sweep"), values=[10.0, 1.0], session_id=session.id)
    diverging, fast = runs
    assert [run.params["lr"] for run in runs] == [10.0, 1.0] and {run.lab_id for run in runs} == {"numpy-xor"}
    save_prediction(context, diverging.id, Guess(shape=PredictedShape.DIVERGES))  # lr=10 diverges: right
    save_prediction(context, fast.id, Guess(shape=PredictedShape.DIVERGES))  # lr=1.0 diverges: wrong
    notes_path = close_session(context)  # the notes are written while the runs go on
    waiting = section(notes_path.read_text(), "Predictions")
    assert waiting == [
        f"- numpy-xor ({diverging.id}): predicted diverges — waiting for the run to end",
        f"- numpy-xor ({fast.id}): predicted diverges — waiting for the run to end",
    ]

    for run in runs:
        assert runner.wait(run, timeout=60).status is RunStatus.OK  # the installed on_finish hook scores it
    right, wrong = (prediction_for(context, run.id) for run in runs)
    assert right.scored_at is not None and right.session_id == session.id
    assert (right.shape_right, right.actual_shape, right.value_right) == (True, "diverges", None)
    assert right.outcome == "You predicted it would diverge; it diverged (train/loss 6.18 -> 6.91). Right shape."
    assert (wrong.shape_right, wrong.actual_shape) == (False, "converges")
    assert wrong.outcome.startswith("You predicted it would diverge; it converged (train/loss ")
    assert wrong.outcome.endswith(". Wrong shape.")
    assert set(predictions_for(context, [run.id for run in runs] + ["no-such-run"])) == {diverging.id, fast.id}

    made = assessments(context)  # one per run, in the order the runs ended
    by_run = {run.id: [(a.topic_id, a.level, a.confidence, a.assessor) for a in made if f"(run {run.id})" in a.evidence] for run in runs}
    assert by_run == {
        diverging.id: [("gradient-descent", AssessmentLevel.STRONG, 0.5, "prediction")],  # the diverging lesson's topic
        fast.id: [("debugging-training", AssessmentLevel.NEEDS_WORK, 0.5, "prediction")],  # a healthy run's lesson's topic
    }
    assert len(made) == 2 and all(a.session_id == session.id for a in made)
    with context.store.session() as db:
        assert db.exec(select(KnowledgeGap)).all() == []

    again = begin_session(context)  # within the idle gap: the same session; its notes are rewritten
    assert again.id == session.id
    lines = section(notes_path.read_text(), "Predictions")
    assert lines == [
        f"- numpy-xor ({diverging.id}): predicted diverges — {right.outcome}",
        f"- numpy-xor ({fast.id}): predicted diverges — {wrong.outcome}",
    ]
    close_session(context)


def test_metric_predictions_are_right_up_to_the_edge_of_their_tolerance(context, tmp_path):
    assert metric_tolerance("test/acc") == 0.01 and metric_tolerance("val/accuracy") == 0.01
    assert metric_tolerance("val/loss") == 0.10
    assert tolerance_text("train/acc", 0.97) == "within ±0.01"
    assert tolerance_text("val/loss", 0.5) == "within ±10% (±0.05)"
    # An accuracy: numpy-xor's target is train/acc; the edge (0.01 away) is right, past it wrong.
    guesses = {
        "edge": Guess(value=0.99),
        "past": Guess(value=0.989),
        "both": Guess(PredictedShape.CONVERGES, 1.0),
        "half": Guess(PredictedShape.DIVERGES, 1.0),
    }
    for name, guess in guesses.items():
        run = make_run(context, f"acc-{name}", HEALTHY, extra={"train/acc": 1.0})
        assert save_prediction(context, run.id, guess).metric == "train/acc"
        score_prediction(context, finish(context, run, final={"train/acc": 1.0}))
    scored = {name: prediction_for(context, f"acc-{name}") for name in guesses}
    assert [scored[n].value_right for n in guesses] == [True, False, True, True]
    assert scored["edge"].actual_value == 1.0 and scored["edge"].tolerance == 0.01
    assert scored["past"].outcome == (
        "You predicted train/acc 0.989 within ±0.01; it converged (train/loss 0.701 -> 0.00195) and train/acc ended at 1. Wrong value."
    )
    assert scored["half"].outcome.endswith("Wrong shape, right value.")
    assert [a.level for a in assessments(context)] == [
        AssessmentLevel.STRONG,
        AssessmentLevel.NEEDS_WORK,
        AssessmentLevel.STRONG,
        AssessmentLevel.PARTIAL,
    ]

    # A loss: ±10% of the prediction. A lab of the learner's own with a val/loss target.
    folder = tmp_path / "my-lab"
    folder.mkdir()
    (folder / "lab.toml").write_text('id = "my-lab"\ncommand = ["{python}", "train.py"]\ntarget = { metric = "val/loss", max = 0.6 }\n')
    register_lab_folder(context.settings.labs_dir, context.settings.data_dir, folder)
    for name, actual in (("in", 0.55), ("out", 0.5501), ("low", 0.45)):
        run = make_run(context, f"loss-{name}", HEALTHY, lab_id="my-lab", extra={"val/loss": actual})
        assert save_prediction(context, run.id, Guess(value=0.5)).tolerance == pytest.approx(0.05)
        finish(context, run)  # final metrics not on the row: read from the run's events
        score_prediction(context, records.get_run(context.store, run.id))
    assert [prediction_for(context, f"loss-{n}").value_right for n in ("in", "out", "low")] == [True, False, True]


def test_scoring_happens_once_and_only_after_the_run_has_ended(context):
    assert score_prediction(context, make_run(context, "no-guess", SWINGING)) is None  # no prediction: nothing
    run = make_run(context, "swing", SWINGING)
    save_prediction(context, run.id, Guess(shape="Diverges"))  # the UI may pass the text
    assert score_prediction(context, run).scored_at is None  # still running
    assert assessments(context) == []
    finish(context, run)
    first = score_prediction(context, run)  # a stale row is read again: the run has ended
    second = score_prediction(context, records.get_run(context.store, run.id))
    assert first.scored_at is not None and second.scored_at == first.scored_at and second.outcome == first.outcome
    assert len(assessments(context)) == 1


def test_a_crash_is_an_outcome_and_a_curve_too_short_with_no_metric_records_nothing(context):
    crashed = make_run(context, "crashed", SWINGING, end=None)  # died without an end event
    save_prediction(context, crashed.id, Guess(PredictedShape.DIVERGES, 0.75))
    LabRunner(context.settings, context.store).reconcile()  # no process: the books are closed, no hooks here
    assert records.get_run(context.store, crashed.id).status is RunStatus.CRASHED
    scored = score_prediction(context, crashed)
    assert scored.shape_right is True and scored.value_right is None  # train/acc was never reported
    assert scored.outcome == (
        "You predicted it would diverge, with train/acc 0.75 within ±0.01; the run crashed, it diverged "
        "(train/loss 6.18 -> 6.91) and it never reported train/acc. Right shape, value not scored."
    )
    assert [(a.topic_id, a.level) for a in assessments(context)] == [("gradient-descent", AssessmentLevel.STRONG)]

    short = make_run(context, "short", [0.7, 0.6], end="failed")
    save_prediction(context, short.id, Guess(PredictedShape.CONVERGES, 0.9))
    scored = score_prediction(context, finish(context, short, RunStatus.FAILED))
    assert scored.scored_at is not None and (scored.shape_right, scored.value_right, scored.actual_shape) == (None, None, None)
    assert scored.outcome.endswith("Shape not scored, value not scored, nothing to score, so nothing was recorded.")
    assert "too short to show a shape (train/loss has only 2 point(s) so far)" in scored.outcome
    assert len(assessments(context)) == 1  # nothing more


def test_a_guess_that_cannot_be_scored_fairly_is_refused_with_the_reason(context):
    run = make_run(context, "xor-1", HEALTHY)
    cases = [
        (Guess(), "needs the curve's shape .* or both"),
        (Guess(value=math.nan), "nan is not a value a metric can end at"),
        (Guess(value=math.inf), "inf is not a value a metric can end at"),
        (Guess(value="high"), "'high' is not a number"),
        (Guess(value=True), "True is not a number"),
        (Guess(value=97), r"train/acc is an accuracy between 0 and 1 \(0.97 for 97%\), not 97"),
        (Guess(shape="explodes"), "'explodes' is not a shape to predict: choose converges, plateaus, diverges, overfits"),
    ]
    for guess, message in cases:
        with pytest.raises(ValueError, match=message):
            save_prediction(context, run.id, guess)
    transfer = make_run(context, "transfer-1", HEALTHY, lab_id="torch-transfer")  # a lab without a target
    with pytest.raises(ValueError, match="lab torch-transfer has no target metric .* predict the curve's shape instead"):
        save_prediction(context, transfer.id, Guess(value=0.9))
    save_prediction(context, transfer.id, Guess(PredictedShape.CONVERGES))  # its shape can be predicted
    with pytest.raises(ValueError, match="run transfer-1 already has a prediction"):
        save_prediction(context, transfer.id, Guess(PredictedShape.DIVERGES))
    with pytest.raises(ValueError, match="no run 'missing' to predict"):
        save_prediction(context, "missing", Guess(PredictedShape.CONVERGES))
    grader = make_run(context, "grader-1", [1.0], lab_id="numpy-mlp", kind=RunKind.EXERCISE)
    with pytest.raises(ValueError, match="grader run .* no training curve"):
        save_prediction(context, grader.id, Guess(PredictedShape.CONVERGES))
    finish(context, run)
    with pytest.raises(ValueError, match="run xor-1 has already ended \\(ok\\): a prediction is made before"):
        save_prediction(context, run.id, Guess(PredictedShape.CONVERGES))
    assert predictions_for(context, ["xor-1", "transfer-1", "grader-1"]).keys() == {"transfer-1"}


def test_a_prediction_is_the_topics_latest_assessment_and_an_exercise_row_is_not(context):
    with context.store.session() as db:
        db.add(
            Assessment(
                topic_id="gradient-descent", level=AssessmentLevel.STRONG, assessor="claude", created_at=utcnow() - timedelta(hours=1)
            )
        )
    assert topic_mastery(context, topics=["gradient-descent"])["gradient-descent"].assessment is AssessmentLevel.STRONG
    run = make_run(context, "swing", SWINGING)
    save_prediction(context, run.id, Guess(PredictedShape.CONVERGES))  # it diverges: needs work on gradient descent
    score_prediction(context, finish(context, run))
    with context.store.session() as db:  # an exercise pass afterwards is lab evidence, never the assessment
        db.add(Assessment(topic_id="gradient-descent", level=AssessmentLevel.STRONG, assessor="lab"))
    mastery = topic_mastery(context, topics=["gradient-descent"])["gradient-descent"]
    assert mastery.assessment is AssessmentLevel.NEEDS_WORK and mastery.lab_passed is True


def test_a_prediction_scored_after_the_notes_were_written_shows_its_outcome_next_time(context):
    session = begin_session(context)
    run = make_run(context, "swing", SWINGING, session_id=session.id)
    save_prediction(context, run.id, Guess(PredictedShape.DIVERGES))
    path = close_session(context)
    assert section(path.read_text(), "Predictions")[0].endswith("waiting for the run to end")
    LabRunner(context.settings, context.store).reconcile()  # a runner without the hook finished it
    assert prediction_for(context, run.id).scored_at is None
    begin_session(context)  # the next join scores it and rewrites the notes
    assert section(path.read_text(), "Predictions") == [
        f"- numpy-xor (swing): predicted diverges — {prediction_for(context, run.id).outcome}"
    ]
    assert prediction_for(context, run.id).outcome.endswith("Right shape.")
    close_session(context)


def test_the_migration_adds_the_prediction_table_to_an_older_database(tmp_path):
    fresh = tmp_path / "fresh.db"
    Store(fresh).close()
    path = tmp_path / "tutor.db"
    Store(path).close()
    with sqlite3.connect(path) as connection:  # as a version-2 file: no prediction table
        connection.execute(
            "INSERT INTO labrun (id, lab_id, kind, params, status, run_dir, started_at, final_metrics) "
            "VALUES ('old-run', 'numpy-xor', 'run', '{}', 'OK', '', '2026-01-01 10:00:00', '{}')"
        )
        connection.execute("DROP TABLE prediction")
        connection.execute("PRAGMA user_version=2")
    store = Store(path)
    assert store.schema_version() == latest_version() >= 3 and store.backup_path is not None

    def schema(db: Path) -> tuple[list, list]:
        with sqlite3.connect(db) as connection:
            columns = list(connection.execute("PRAGMA table_info(prediction)"))
            indexes = [(row[1], row[2]) for row in connection.execute("PRAGMA index_list(prediction)") if row[1].startswith("ix_")]
        return columns, indexes

    assert schema(path) == schema(fresh) and schema(path)[1] == [("ix_prediction_run_id", 1)]
    with store.session() as db:
        db.add(Prediction(run_id="old-run", lab_id="numpy-xor", shape="converges"))
    with store.session() as db:
        assert db.exec(select(Prediction)).one().created_at.tzinfo is not None
    store.close()
