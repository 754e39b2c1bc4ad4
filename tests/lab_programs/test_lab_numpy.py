"""The NumPy labs as real programs on tiny generated data, the gradient check, and the grader."""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from fake_mnist import write_dataset
from lab_runs import LABS, lab_env, read_events, run_lab

MLP_DIR = LABS / "numpy-mlp"


def load(name: str, path):
    """Import a lab module under a unique name (several labs have an mlp.py)."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


mlp = load("numpy_mlp_reference", MLP_DIR / "mlp.py")
gradcheck = load("numpy_mlp_gradcheck", MLP_DIR / "gradcheck.py")


def ends(events):
    return [e for e in events if e["type"] == "end"]


# ----------------------------------------------------------------------------- gradient check


def test_gradient_check_passes_on_backward_and_catches_a_broken_one():
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((8, 12)), rng.integers(0, 4, size=8)
    model = mlp.MLP([12, 10, 7, 4], seed=1, dtype=np.float64)
    for b in model.b:
        b[...] = 0.1  # away from ReLU kinks
    results = gradcheck.gradient_check(model, x, y, mlp.softmax_cross_entropy)
    assert [r.name for r in results] == ["W0", "W1", "W2", "b0", "b1", "b2"]
    assert all(r.passed for r in results), gradcheck.report(results)
    assert max(r.max_rel_error for r in results) < 1e-6

    # A backward that forgets the ReLU's slope in the first hidden layer must be caught there.
    correct_backward = model.backward

    def forgetful_backward(dlogits):
        model.pre_activations[0] = np.abs(model.pre_activations[0]) + 1  # every unit looks "on"
        return correct_backward(dlogits)

    model.backward = forgetful_backward
    results = {r.name: r for r in gradcheck.gradient_check(model, x, y, mlp.softmax_cross_entropy)}
    assert not results["W0"].passed and results["W0"].max_rel_error > 1e-3
    assert results["W2"].passed  # the output layer's gradient is untouched


def test_softmax_cross_entropy_is_stable_for_huge_logits():
    logits = np.array([[1000.0, 0.0, -1000.0], [5.0, 5.0, 5.0]])
    loss, grad = mlp.softmax_cross_entropy(logits, np.array([0, 2]))
    assert np.isfinite(loss) and np.all(np.isfinite(grad))
    assert loss == pytest.approx(np.log(3) / 2)
    np.testing.assert_allclose(grad.sum(axis=1), 0, atol=1e-12)  # softmax - one_hot sums to 0


# ----------------------------------------------------------------------------- numpy-xor


def test_xor_learns_and_writes_the_protocol(tmp_path):
    result = run_lab("numpy-xor", ["--epochs", "600", "--lr", "1.0", "--activation", "tanh"], tmp_path)
    assert result.returncode == 0, result.stderr
    events = read_events(tmp_path)
    assert events[0]["type"] == "start" and events[0]["params"]["lr"] == 1.0
    assert ends(events)[-1]["status"] == "ok"
    assert ends(events)[-1]["summary"]["train/acc"] == 1.0
    metrics = [e for e in events if e["type"] == "metrics"]
    assert 50 <= len(metrics) <= 110  # a moderate rate, not one event per step
    assert metrics[-1]["values"]["train/loss"] < metrics[0]["values"]["train/loss"] / 5
    progress = [e for e in events if e["type"] == "progress"]
    assert progress[-1]["done"] == progress[-1]["total"] == 600
    assert (tmp_path / "checkpoints" / "final.npz").is_file()


def test_xor_with_a_huge_learning_rate_still_ends_cleanly(tmp_path):
    result = run_lab("numpy-xor", ["--epochs", "200", "--lr", "50", "--activation", "sigmoid"], tmp_path)
    assert result.returncode == 0, result.stderr
    end = ends(read_events(tmp_path))[-1]
    assert end["status"] == "ok" and end["summary"]["train/acc"] < 1.0


# ----------------------------------------------------------------------------- numpy-mlp


def test_mlp_two_epochs_with_gradcheck_on_tiny_data(tmp_path):
    datasets = tmp_path / "datasets"
    write_dataset(datasets / "mnist", n_train=160, n_test=40)
    args = ["--epochs", "2", "--hidden", "32,16", "--batch_size", "32", "--val_size", "32", "--gradcheck", "true"]
    result = run_lab("numpy-mlp", args, tmp_path / "run", datasets)
    assert result.returncode == 0, result.stderr
    events = read_events(tmp_path / "run")
    end = ends(events)[-1]
    assert end["status"] == "ok"
    assert set(end["summary"]) >= {"test/acc", "val/acc", "time/epoch_s"}
    checked = [e for e in events if e["type"] == "metrics" and "gradcheck/max_rel_error" in e["values"]]
    assert checked and checked[0]["values"]["gradcheck/passed"] == 1.0
    assert checked[0]["values"]["gradcheck/max_rel_error"] < 1e-5
    # every epoch is scored on the validation split; the test set once, at the end
    epoch_metrics = [e for e in events if e["type"] == "metrics" and "val/acc" in e["values"]]
    assert [e["epoch"] for e in epoch_metrics] == [1, 2]
    assert all({"val/acc", "val/loss", "time/epoch_s"} <= set(e["values"]) for e in epoch_metrics)
    tested = [i for i, e in enumerate(events) if e["type"] == "metrics" and "test/acc" in e["values"]]
    assert len(tested) == 1 and tested[0] > events.index(epoch_metrics[-1])
    assert not any("test/acc" in (e.get("values") or {}) for e in events if e["type"] == "checkpoint")
    saved = np.load(tmp_path / "run" / "checkpoints" / "epoch-2.npz")
    assert saved["W0"].shape == (784, 32) and saved["W2"].shape == (16, 10)
    assert (tmp_path / "run" / "checkpoints" / "best.npz").is_file()
    assert any(e["type"] == "artifact" and e["name"].startswith("confusion matrix") for e in events)


def test_mlp_without_data_fails_with_the_instructions(tmp_path):
    result = run_lab("numpy-mlp", ["--epochs", "1"], tmp_path / "run", tmp_path / "empty", DLTUI_CACHE=str(tmp_path / "cache"))
    assert result.returncode != 0
    end = ends(read_events(tmp_path / "run"))[-1]
    assert end["status"] == "failed" and "DLTUI_DATASETS" in end["summary"]["error"]


def test_mlp_sigterm_saves_a_checkpoint_and_ends_cancelled(tmp_path):
    datasets = tmp_path / "datasets"
    write_dataset(datasets / "mnist", n_train=1000, n_test=20)
    run_dir = tmp_path / "run"
    process = subprocess.Popen(
        [sys.executable, "train.py", "--epochs", "500", "--hidden", "16", "--batch_size", "16"],
        cwd=MLP_DIR,
        env=lab_env(run_dir, datasets),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # wait until training is under way
            events_file = run_dir / "events.jsonl"
            if events_file.exists() and '"progress"' in events_file.read_text():
                break
            time.sleep(0.05)
        else:
            pytest.fail("the lab never reported progress")
        os.kill(process.pid, signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, stderr
    events = read_events(run_dir)
    assert ends(events)[-1]["status"] == "cancelled"
    checkpoint = [e for e in events if e["type"] == "checkpoint"][-1]
    saved = np.load(run_dir / checkpoint["path"])
    assert saved["W0"].shape == (784, 16) and int(saved["step"]) == checkpoint["step"] > 0


# ----------------------------------------------------------------------------- the grader


def grade(path, run_dir, flag: bool = True):
    return subprocess.run(
        [sys.executable, "grade.py", *(["--file"] if flag else []), str(path)],
        cwd=MLP_DIR,
        env=lab_env(run_dir),
        capture_output=True,
        text=True,
        timeout=90,
    )


def test_grader_passes_the_reference_solution(tmp_path):
    result = grade(MLP_DIR / "mlp.py", tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    end = ends(read_events(tmp_path))[-1]
    assert end["summary"]["passed"] is True
    assert {"forward_values", "backward_values", "gradient_check", "momentum_step", "learns"} <= set(end["summary"]["checks"])
    assert "FAIL" not in result.stdout


def test_grader_fails_the_untouched_template_with_helpful_messages(tmp_path):
    result = grade(MLP_DIR / "exercise" / "mlp.py", tmp_path)
    assert result.returncode == 1
    assert "forward() is not written yet" in result.stdout and "step() is not written yet" in result.stdout
    summary = ends(read_events(tmp_path))[-1]["summary"]
    assert summary["passed"] is False
    assert summary["checks"]["imports"]["passed"] is True
    assert summary["checks"]["forward_shape"]["status"] == "fail"
    assert summary["checks"]["gradient_check"]["status"] == "skip"


def test_grader_names_the_mistake_in_a_learners_backward(tmp_path):
    source = (MLP_DIR / "mlp.py").read_text()
    mistake = "grad = grad * (self.pre_activations[i - 1] > 0)"
    assert mistake in source
    learner = tmp_path / "mlp.py"
    learner.write_text(source.replace(mistake, "grad = grad"))  # forgot the ReLU's slope
    result = grade(tmp_path, tmp_path / "run", flag=False)  # the workspace folder form
    assert result.returncode == 1
    assert str(learner) in result.stdout
    checks = ends(read_events(tmp_path / "run"))[-1]["summary"]["checks"]
    assert checks["forward_values"]["passed"] and checks["momentum_step"]["passed"]
    assert not checks["gradient_check"]["passed"] and "finite differences" in checks["gradient_check"]["message"]
    assert "ReLU" in checks["backward_values"]["message"]


def test_cosine_learning_rate_keeps_the_float32_training_in_float32():
    # np.float64 * float32 array is float64 under NumPy 2: the velocities would silently double in
    # size and the update would cost twice as much. The schedule hands out a plain Python float.
    train = load("numpy_mlp_train", MLP_DIR / "train.py")
    args = type("Args", (), {"schedule": "cosine", "lr": 0.1})()
    lr = train.learning_rate(args, step=10, total_steps=100)
    assert type(lr) is float
    model = mlp.MLP([6, 5, 3], seed=0)
    grads = [np.ones_like(w) for w in model.W], [np.ones_like(b) for b in model.b]
    model.step(*grads, lr=lr)
    assert {v.dtype for v in model.vW + model.vb + model.W} == {np.dtype(np.float32)}
