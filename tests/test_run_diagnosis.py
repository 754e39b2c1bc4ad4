"""The tutor sees a lab run: curve-shape rules on full series, and the run record it reads."""

import json
import math
import random
import re

import pytest
from dltui.labs import records
from dltui.labs.diagnosis import LESSONS, STILL_FALLING_POINTS, CurveShape, diagnose
from dltui.labs.run_record import MAX_POINTS, compare_runs_text, read_run_record
from dltui.labs.runner import LabRunner
from dltui.store.models import LabRun, RunStatus
from dltui.tutor.matching import covered_points

CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # what terminal_safe removes

# numpy-xor at lr=10: the loss jumps between three values and ends where it started (100 points).
XOR_LR_10 = [6.18, 2.63, 6.13, 6.91, 2.50, 6.28, 6.91, 2.47, 6.30, 6.91, 2.48, 6.28, 6.91] + [2.48, 6.28, 6.91] * 29


def decay(n, start, end, tau, noise=0.0, seed=0):
    """An exponential fall from `start` towards `end`, with multiplicative noise of +-`noise`."""
    rng = random.Random(seed)
    return [(end + (start - end) * math.exp(-i / tau)) * (1 + rng.uniform(-noise, noise)) for i in range(n)]


HEALTHY = {
    "exponential decay, small noise": {"train/loss": decay(300, 2.3, 0.05, 60, noise=0.02)},
    "slow linear decrease (xor lr=0.01)": {"train/loss": [0.696 - 0.305 * i / 99 for i in range(100)]},
    "fast drop then flat near zero (xor lr=1.0)": {"train/loss": [0.42 / (1 + 3 * i) ** 1.2 for i in range(100)]},
    "flat near zero with jitter": {
        "train/loss": [0.42 / (1 + 3 * i) ** 1.2 * (1 + (0.4 if i % 2 else -0.4) * (i > 20)) for i in range(100)]
    },
    "mnist-like with mini-batch noise": {"train/loss": decay(1000, 2.3, 0.1, 150, noise=0.05, seed=1)},
    "mnist-like with a falling val loss": {
        "train/loss": decay(1000, 2.3, 0.1, 150, noise=0.05, seed=2),
        "val/loss": decay(10, 0.9, 0.12, 2, noise=0.05, seed=3),
        "train/acc": [min(0.99, 0.1 + i / 500) for i in range(1000)],
    },
    "val loss flat with evaluation noise": {
        "train/loss": decay(400, 2.0, 0.05, 80),
        "val/loss": [0.3 * (1 + random.Random(i).uniform(-0.05, 0.05)) for i in range(20)],
    },
    "only a val loss": {"val/loss": decay(20, 1.0, 0.2, 5)},
}


# -- the rules --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(HEALTHY))
def test_healthy_curves_are_never_called_unhealthy(name):
    diagnosis = diagnose(HEALTHY[name])
    assert diagnosis.shape is CurveShape.HEALTHY, diagnosis.evidence
    assert diagnosis.topic_id == "debugging-training"


def test_a_slow_healthy_curve_says_it_is_still_falling_and_a_converged_one_that_it_settled():
    slow = diagnose(HEALTHY["slow linear decrease (xor lr=0.01)"])
    assert "0.696" in slow.evidence and "0.391" in slow.evidence and "still falling" in slow.evidence
    assert slow.key_points == STILL_FALLING_POINTS
    fast = diagnose(HEALTHY["fast drop then flat near zero (xor lr=1.0)"])
    assert "settled" in fast.evidence and "0.42" in fast.evidence


def test_diverging_by_trend():
    diagnosis = diagnose({"train/loss": [2.3 * math.exp(i / 50) for i in range(100)]})
    assert diagnosis.shape is CurveShape.DIVERGING and diagnosis.topic_id == "gradient-descent"
    assert "2.3" in diagnosis.evidence and "higher than it started" in diagnosis.question


@pytest.mark.parametrize("bad", [math.nan, math.inf])
def test_diverging_by_a_non_finite_loss(bad):
    values = decay(50, 2.3, 0.1, 10) + [bad] * 3
    diagnosis = diagnose({"train/loss": values, "train/acc": [0.5] * 53})
    assert diagnosis.shape is CurveShape.DIVERGING
    assert "point 51 of 53" in diagnosis.evidence and str(bad) in diagnosis.evidence


def test_diverging_by_swinging_like_xor_at_lr_10():
    assert len(XOR_LR_10) == 100 and XOR_LR_10[-1] == 6.91
    diagnosis = diagnose({"train/loss": XOR_LR_10, "train/acc": [0.75] * 100})
    assert diagnosis.shape is CurveShape.DIVERGING
    assert "6.18" in diagnosis.evidence and "6.91" in diagnosis.evidence and "2.48" in diagnosis.evidence
    assert "learning rate too large" in diagnosis.key_points


def test_plateau():
    rng = random.Random(0)
    diagnosis = diagnose({"train/loss": [0.693 + rng.uniform(-0.005, 0.005) for _ in range(200)]})
    assert diagnosis.shape is CurveShape.PLATEAU and diagnosis.topic_id == "debugging-training"


def test_overfitting():
    train = decay(400, 2.0, 0.05, 80)
    val = [math.exp(-i / 3) + 0.5 + 0.02 * max(0, i - 8) ** 1.3 for i in range(20)]  # lowest at 9, then up
    diagnosis = diagnose({"train/loss": train, "val/loss": val})
    assert diagnosis.shape is CurveShape.OVERFITTING and diagnosis.topic_id == "regularization"
    assert "evaluation 9 of 20" in diagnosis.evidence and "0.953" in diagnosis.evidence


def test_overfitting_needs_four_val_points_and_a_falling_train_loss():
    train = decay(400, 2.0, 0.05, 80)
    assert diagnose({"train/loss": train, "val/loss": [0.5, 0.4, 0.7]}).shape is CurveShape.HEALTHY
    flat_train = decay(400, 2.0, 0.5, 20)  # done falling by the time val turns up
    val = [1.0, 0.6, 0.5, 0.5, 0.5, 0.5, 0.5, 0.7, 0.8, 0.9]
    assert diagnose({"train/loss": flat_train, "val/loss": val}).shape is CurveShape.HEALTHY


def test_noisy():
    diagnosis = diagnose({"train/loss": decay(500, 2.3, 0.3, 100, noise=0.5, seed=4)})
    assert diagnosis.shape is CurveShape.NOISY and diagnosis.topic_id == "gradient-descent"
    assert "jumps by about" in diagnosis.evidence


@pytest.mark.parametrize("series", [{"train/loss": [2.3, 1.2, 0.9]}, {"train/loss": []}, {"train/acc": [0.1, 0.5, 0.7, 0.9, 0.95]}, {}])
def test_too_short(series):
    assert diagnose(series).shape is CurveShape.TOO_SHORT


def test_a_loss_with_another_name_is_read():
    assert diagnose({"acc": [0.1] * 10, "nll_loss": XOR_LR_10}).shape is CurveShape.DIVERGING


def test_each_lesson_asks_without_answering_and_cites_its_topics_own_source(bundled_curriculum):
    series = {
        CurveShape.DIVERGING: {"train/loss": XOR_LR_10},
        CurveShape.PLATEAU: {"train/loss": [0.69] * 50},
        CurveShape.OVERFITTING: {"train/loss": decay(400, 2.0, 0.05, 80), "val/loss": [1.0, 0.6, 0.5, 0.6, 0.8, 0.9]},
        CurveShape.NOISY: {"train/loss": decay(500, 2.3, 0.3, 100, noise=0.5)},
        CurveShape.HEALTHY: HEALTHY["mnist-like with mini-batch noise"],
        CurveShape.TOO_SHORT: {"train/loss": [1.0]},
    }
    assert set(series) == set(LESSONS) == set(CurveShape)
    for shape, values in series.items():
        d = diagnose(values)
        assert d.shape is shape
        topic = bundled_curriculum.topics[d.topic_id]
        cited = d.explanation.rsplit("Source: ", 1)[1].rstrip(".")
        assert cited in {source.title.rstrip(".") for source in topic.sources}, (shape, cited)
        assert d.question.endswith("?") and not any(covered_points(d.question, d.key_points)), shape
        assert not all(covered_points(d.hint, d.key_points)), shape
        assert 1 <= len(d.key_points) <= 3


def test_a_right_answer_covers_the_key_points_and_a_wrong_one_does_not():
    diagnosis = diagnose({"train/loss": XOR_LR_10})
    assert all(covered_points("The learning rate is too large, so each step overshoots the minimum.", diagnosis.key_points))
    assert not any(covered_points("It needs more epochs to learn.", diagnosis.key_points))


# -- the run record ---------------------------------------------------------------------------------


def write_run(context, run_id="numpy-xor-20250101-120000-abcd", status=RunStatus.OK, steps=500, end=True):
    """A run folder the way a lab writes one (the event protocol), plus its row."""
    run_dir = context.settings.runs_dir / run_id
    (run_dir / "checkpoints").mkdir(parents=True)
    losses = decay(steps, 0.7, 0.01, steps / 8, noise=0.02)
    events = [{"v": 1, "type": "start", "lab": "numpy-xor", "params": {"lr": 0.5}, "device": "cpu", "t": 1.0}]
    for i, loss in enumerate(losses, start=1):
        events.append(
            {"v": 1, "type": "metrics", "step": i * 4, "epoch": i / 100, "values": {"train/loss": loss, "train/acc": min(1.0, i / 300)}}
        )
        if i % 50 == 0:
            events.append({"v": 1, "type": "metrics", "step": i * 4, "values": {"val/loss": loss * 1.1}})
        if i % 10 == 0:
            events.append({"v": 1, "type": "progress", "done": i * 4, "total": 2000, "unit": "step"})
    events.append({"v": 1, "type": "checkpoint", "path": "checkpoints/step-2000.npz", "step": steps * 4, "values": {"train/acc": 1.0}})
    if end:
        events.append({"v": 1, "type": "end", "status": "ok", "summary": {"train/acc": 1.0}, "t": 2.0})
    (run_dir / "events.jsonl").write_text("".join(json.dumps(e) + "\n" for e in events), encoding="utf-8")
    (run_dir / "stdout.log").write_text("starting\n\x1b]0;TITLE\x07\x1b[2Jepoch 1 done\x07\r\nfinished \x9b31mred\n", encoding="utf-8")
    final = {"train/loss": losses[-1], "train/acc": 1.0} if end else {}
    row = LabRun(id=run_id, lab_id="numpy-xor", params={"lr": 0.5, "hidden": 8}, status=status, run_dir=str(run_dir), final_metrics=final)
    records.add_run(context.store, row)
    return row


def test_read_run_record_from_a_run_folder(context):
    run = write_run(context)
    record = read_run_record(context, run.id)
    assert record.lab_title.startswith("XOR with a two-layer network") and "backpropagation" in record.topics
    assert record.target == {"metric": "train/acc", "min": 1.0} and record.status == "ok" and record.progress is None
    loss = record.curves["train/loss"]
    assert len(loss.points) == MAX_POINTS
    assert loss.points[0] == (4.0, 0.01, pytest.approx(decay(500, 0.7, 0.01, 62.5, noise=0.02)[0]))
    assert loss.points[-1][:2] == (2000.0, 5.0)
    assert record.curves["val/loss"].points[0][1] is None and len(record.curves["val/loss"].points) == 10
    assert record.checkpoints == [{"step": 2000, "path": "step-2000.npz", "values": {"train/acc": 1.0}}]
    assert record.diagnosis.shape is CurveShape.HEALTHY and record.final_metrics["train/acc"] == 1.0
    assert any("epoch 1 done" in line for line in record.output_tail)
    assert not any(CONTROL.search(line) for line in record.output_tail), record.output_tail

    full = record.to_text()
    assert len(full) <= 6000 and full.count("\n  ") > 100 and not CONTROL.search(full.replace("\n", " "))
    short = record.to_text(2000)
    assert len(short) <= 2000 and "rows left out" in short
    for words in (f"run: {run.id}", "lab: numpy-xor (XOR", "status: ok", "diagnosis: healthy", "evidence: train/loss went from"):
        assert words in short, words
    assert len(record.to_text(300)) <= 300


def test_a_running_run_shows_its_progress(context):
    run = write_run(context, status=RunStatus.RUNNING, steps=30, end=False)
    record = read_run_record(context, run.id)
    assert record.status == "running" and record.progress == "step 120 of 2000 (6%)"
    assert "status: running, step 120 of 2000 (6%)" in record.to_text()


def test_an_unknown_run_id_gives_none_and_only_an_exact_id_counts(context):
    run = write_run(context)
    assert read_run_record(context, "no-such-run") is None
    assert read_run_record(context, run.id[:-2]) is None


def test_a_learning_rate_sweep_of_the_real_xor_lab(context):
    runner = LabRunner(context.settings, context.store)
    runs = runner.sweep(runner.registry.get("numpy-xor"), "lr", [10.0, 0.01, 1.0])
    for run in runs:
        assert runner.wait(run, timeout=30).status is RunStatus.OK
    diverging, slow, fast = (read_run_record(context, run.id) for run in runs)
    assert diverging.diagnosis.shape is CurveShape.DIVERGING, diverging.diagnosis.evidence
    assert slow.diagnosis.shape is CurveShape.HEALTHY and "still falling" in slow.diagnosis.evidence
    assert fast.diagnosis.shape is CurveShape.HEALTHY, fast.diagnosis.evidence
    assert len(diverging.curves["train/loss"].points) <= MAX_POINTS
    assert diverging.curves["train/loss"].points[-1][0] == 2000

    table = compare_runs_text(context, [run.id for run in runs] + ["missing-run"])
    lines = table.splitlines()
    assert lines[0].split() == ["run", "param", "lr", "final", "loss", "diagnosis"]
    for run, shape in zip(runs, ("diverging", "healthy", "healthy")):
        row = next(line for line in lines if line.startswith(run.id))
        assert row.split()[-1] == shape and format(run.params["lr"], ".4g") in row.split()
    assert lines[-1] == "no run 'missing-run'"
    assert len(compare_runs_text(context, [run.id for run in runs], max_chars=120)) <= 120
