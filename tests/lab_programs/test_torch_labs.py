"""The PyTorch labs (torch-mlp, torch-cnn, torch-transfer), run as the runtime runs them.

Each test starts the real lab program as a subprocess (cwd = its folder, DLTUI_RUN_DIR set) on a
tiny generated MNIST / Fashion-MNIST, then reads the events and checkpoint files it left behind.
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("torch")

from fake_mnist import write_dataset
from lab_runs import LABS, lab_env, read_events

# Its module-scoped fixture is costly: under pytest-xdist the module stays on one worker.
pytestmark = pytest.mark.xdist_group("test_torch_labs")

SCRIPTS = {"torch-mlp": "mlp.py", "torch-cnn": "cnn.py", "torch-transfer": "transfer.py"}
TINY_CNN = ["--batch_size", "32", "--val_size", "40"]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A tiny MNIST and Fashion-MNIST, a runs folder, and an environment pointing at them."""
    root = tmp_path_factory.mktemp("torch-labs")
    write_dataset(root / "datasets" / "mnist", n_train=200, n_test=60, seed=0)
    write_dataset(root / "datasets" / "fashion-mnist", n_train=200, n_test=60, seed=7)
    (root / "runs").mkdir()
    return root


def start_lab(world: Path, lab: str, run: str, args: list[str], **env) -> tuple[subprocess.Popen, Path]:
    run_dir = world / "runs" / run
    extra = {"DLTUI_CACHE": str(world / "cache"), "DLTUI_RUNS_DIR": str(world / "runs"), **env}
    process = subprocess.Popen(
        [sys.executable, SCRIPTS[lab], *args],
        cwd=LABS / lab,
        env=lab_env(run_dir, world / "datasets", **extra),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    return process, run_dir


def run_lab(world: Path, lab: str, run: str, args: list[str], timeout: float = 60, **env):
    process, run_dir = start_lab(world, lab, run, args, **env)
    out, err = process.communicate(timeout=timeout)
    return process.returncode, run_dir, out + err


def of_type(events: list[dict], kind: str) -> list[dict]:
    return [e for e in events if e["type"] == kind]


def metric_keys(events: list[dict]) -> set[str]:
    return {key for e in of_type(events, "metrics") for key in e["values"]}


def model_weights(path: Path) -> dict:
    from labkit.checkpoints import load_checkpoint

    return load_checkpoint(path)["model"]


# ----------------------------------------------------------------------------- torch-mlp


def test_mlp_trains_with_the_numpy_labs_metric_keys_and_tests_once(world):
    rc, run_dir, output = run_lab(world, "torch-mlp", "mlp", ["--epochs", "2", "--batch_size", "32", "--val_size", "40"])
    assert rc == 0, output
    events = read_events(run_dir)
    assert events[0]["type"] == "start" and events[0]["lab"] == "torch-mlp"
    # the keys numpy-mlp emits, so the two runs can be laid over each other
    assert {"train/loss", "train/acc", "lr", "val/loss", "val/acc", "test/acc", "time/epoch_s"} <= metric_keys(events)
    end = events[-1]
    assert end["type"] == "end" and end["status"] == "ok", output
    assert 0.0 <= end["summary"]["test/acc"] <= 1.0
    assert (run_dir / "checkpoints" / "epoch-2.pt").is_file()
    # every epoch is scored on the validation split; the test set once, at the end
    per_epoch = [i for i, e in enumerate(events) if e["type"] == "metrics" and "val/acc" in e["values"]]
    tested = [i for i, e in enumerate(events) if e["type"] == "metrics" and "test/acc" in e["values"]]
    assert len(per_epoch) == 2 and len(tested) == 1 and tested[0] > per_epoch[-1]


# ----------------------------------------------------------------------------- torch-cnn


@pytest.fixture(scope="module")
def cnn_run(world):
    """Two tiny epochs of the CNN lab: the run the checkpoint and resume tests build on."""
    rc, run_dir, output = run_lab(world, "torch-cnn", "cnn-a", ["--epochs", "2", *TINY_CNN])
    assert rc == 0, output
    return run_dir


def test_cnn_without_data_fails_with_the_instructions(world, tmp_path):
    rc, run_dir, output = run_lab(world, "torch-cnn", "cnn-no-data", ["--epochs", "1"], DLTUI_DATASETS=str(tmp_path / "empty"))
    assert rc != 0
    end = read_events(run_dir)[-1]
    assert end["status"] == "failed" and "DLTUI_DATASETS" in end["summary"]["error"]


def test_cnn_writes_checkpoints_metrics_and_pictures(cnn_run):
    events = read_events(cnn_run)
    end = events[-1]
    assert end["status"] == "ok"
    assert {"train/loss", "train/acc", "lr", "val/acc", "val/loss", "time/epoch_s", "test/acc"} <= metric_keys(events)
    names = sorted(p.name for p in (cnn_run / "checkpoints").glob("*.pt"))
    assert names == ["best.pt", "epoch-001.pt", "epoch-002.pt"]
    assert [e["path"] for e in of_type(events, "checkpoint")] == ["checkpoints/epoch-001.pt", "checkpoints/epoch-002.pt"]
    # progress counts up to its total, so the TUI can show an ETA
    progress = of_type(events, "progress")
    assert progress[-1]["done"] == progress[-1]["total"] > 0

    artifacts = {e["name"]: e["text"] for e in of_type(events, "artifact")}
    matrix = artifacts["confusion matrix (test set)"].splitlines()
    assert len(matrix) == 1 + 10 + 1  # header, one row per digit, accuracy line
    assert matrix[-1].startswith("accuracy") and "/60 =" in matrix[-1]
    assert "misclassified digits" in artifacts

    # best.pt holds the epoch with the highest validation accuracy
    from labkit.checkpoints import load_checkpoint

    best = load_checkpoint(cnn_run / "checkpoints" / "best.pt")
    val_accs = [e["values"]["val/acc"] for e in of_type(events, "metrics") if "val/acc" in e["values"]]
    assert best["metrics"]["val/acc"] == max(val_accs)
    assert best["epoch"] == 1 + val_accs.index(max(val_accs))


def test_cnn_resume_continues_from_the_saved_epoch_with_the_same_weights(world, cnn_run):
    rc, run_dir, output = run_lab(
        world, "torch-cnn", "cnn-resumed", ["--epochs", "2", *TINY_CNN, "--resume", str(cnn_run / "checkpoints" / "epoch-001.pt")]
    )
    assert rc == 0, output
    events = read_events(run_dir)
    assert events[-1]["status"] == "ok"
    assert any("resumed from" in e["message"] and "epoch-001.pt" in e["message"] for e in of_type(events, "log"))
    # epoch 1 is not trained again: the first step logged continues the original run's count
    first_run_steps = of_type(read_events(cnn_run), "checkpoint")[0]["step"]
    assert of_type(events, "metrics")[0]["step"] > first_run_steps
    assert sorted(p.name for p in (run_dir / "checkpoints").glob("epoch-*.pt")) == ["epoch-002.pt"]
    # Same weights, optimizer moments, schedule, shuffles and dropout masks: epoch 2 comes out
    # exactly as in the run that never stopped.
    import torch

    original = model_weights(cnn_run / "checkpoints" / "epoch-002.pt")
    resumed = model_weights(run_dir / "checkpoints" / "epoch-002.pt")
    assert original.keys() == resumed.keys()
    for name in original:
        torch.testing.assert_close(resumed[name], original[name], rtol=1e-5, atol=1e-6, msg=name)


def test_cnn_mixed_precision_runs_and_an_fp16_resume_keeps_its_gradient_scale(world, tmp_path):
    # The code a GPU runs (autocast; fp16 with a gradient scaler), here on the CPU: no CUDA machine
    # tests it otherwise. The scaler's scale is training state, as the optimizer's moments are: a
    # resume without it starts again at 65536, and on a GPU the first steps overflow and are skipped.
    import torch
    from labkit.checkpoints import load_checkpoint

    rc, bf16_dir, output = run_lab(world, "torch-cnn", "cnn-bf16", ["--epochs", "1", *TINY_CNN, "--precision", "bf16"])
    assert rc == 0, output
    assert of_type(read_events(bf16_dir), "start")[0]["params"]["precision"] == "bf16"
    rc, whole, output = run_lab(world, "torch-cnn", "cnn-fp16", ["--epochs", "2", *TINY_CNN, "--precision", "fp16"])
    assert rc == 0, output
    first = load_checkpoint(whole / "checkpoints" / "epoch-001.pt")
    assert first["extra"]["scaler"]["scale"] > 0
    first["extra"]["scaler"]["scale"] = 1024.0  # as a long run might have left it
    moved = tmp_path / "epoch-001.pt"
    torch.save(first, moved)
    rc, resumed, output = run_lab(
        world, "torch-cnn", "cnn-fp16-resumed", ["--epochs", "2", *TINY_CNN, "--precision", "fp16", "--resume", str(moved)]
    )
    assert rc == 0, output
    # Too few steps to grow it (every 2,000) and none overflowed at that scale: the resumed run kept it.
    assert load_checkpoint(resumed / "checkpoints" / "epoch-002.pt")["extra"]["scaler"]["scale"] == 1024.0


def freeze_mid_epoch(process: subprocess.Popen, events_file: Path, steps_per_epoch: int) -> None:
    """SIGSTOP the lab at a moment when its next step is neither the first nor the last of an epoch."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        text = events_file.read_text() if events_file.exists() else ""
        done = [int(n) for n in re.findall(r'"type":"progress","done":(\d+)', text)]
        if done and 1 <= done[-1] % steps_per_epoch <= steps_per_epoch - 2:
            process.send_signal(signal.SIGSTOP)
            time.sleep(0.05)  # let a line being written land
            done = [int(n) for n in re.findall(r'"type":"progress","done":(\d+)', events_file.read_text())]
            if 1 <= done[-1] % steps_per_epoch <= steps_per_epoch - 2:
                return
            process.send_signal(signal.SIGCONT)
        time.sleep(0.01)
    raise AssertionError("the lab never reached the middle of an epoch")


def test_cnn_sigterm_mid_epoch_saves_a_checkpoint_and_resume_latest_ends_as_if_never_stopped(world, cnn_run):
    # 160 training images in batches of 4: 40 steps an epoch. A constant learning rate, so that
    # the schedule does not depend on --epochs: the stopped run, its resumed continuation and a
    # run that never stopped all train the same way.
    same = ["--batch_size", "4", "--val_size", "40", "--patience", "0", "--schedule", "constant", "--warmup_epochs", "0"]
    process, run_dir = start_lab(world, "torch-cnn", "cnn-stopped", ["--epochs", "1000", *same])
    freeze_mid_epoch(process, run_dir / "events.jsonl", steps_per_epoch=40)
    process.send_signal(signal.SIGTERM)
    process.send_signal(signal.SIGCONT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, out + err

    events = read_events(run_dir)
    assert events[-1]["type"] == "end" and events[-1]["status"] == "cancelled"
    saved = run_dir / of_type(events, "checkpoint")[-1]["path"]
    assert saved.is_file() and saved.name.endswith("-stopped.pt")
    from labkit.checkpoints import load_checkpoint

    assert 0 < load_checkpoint(saved)["extra"]["batches_done"] < 40  # stopped inside an epoch

    # `--resume latest` (in a new run folder next to it) picks the stopped checkpoint up, mid-epoch
    # if that is where it stopped, and ends exactly where a run that never stopped ends.
    epochs = str(int(saved.name.split("-")[1]) + 1)
    rc, resumed_dir, output = run_lab(world, "torch-cnn", "cnn-after-stop", ["--epochs", epochs, *same, "--resume", "latest"])
    assert rc == 0, output
    resumed = read_events(resumed_dir)
    assert any(saved.name in e["message"] for e in of_type(resumed, "log") if "resumed from" in e["message"])
    assert resumed[-1]["status"] == "ok"
    rc, straight_dir, output = run_lab(world, "torch-cnn", "cnn-never-stopped", ["--epochs", epochs, *same])
    assert rc == 0, output
    import torch

    final = f"epoch-{int(epochs):03d}.pt"
    straight, after_stop = model_weights(straight_dir / "checkpoints" / final), model_weights(resumed_dir / "checkpoints" / final)
    for name in straight:
        torch.testing.assert_close(after_stop[name], straight[name], rtol=1e-5, atol=1e-6, msg=name)


def test_cnn_two_process_gloo_run_only_rank0_writes(world):
    # --procs 2 makes the lab re-launch itself under torchrun (the runtime starts one command)
    rc, run_dir, output = run_lab(world, "torch-cnn", "cnn-ddp", ["--epochs", "1", *TINY_CNN, "--procs", "2"], timeout=120)
    assert rc == 0, output
    events = read_events(run_dir)
    assert [e["type"] for e in events].count("start") == 1
    assert [e["type"] for e in events].count("end") == 1
    assert events[0]["params"]["world_size"] == 2
    assert events[-1]["status"] == "ok"
    steps = [e["step"] for e in of_type(events, "metrics") if "train/loss" in e["values"]]
    assert steps == sorted(set(steps)), "a metrics step was written twice: more than one rank writes"
    assert (run_dir / "checkpoints" / "epoch-001.pt").is_file()
    assert (run_dir / "checkpoints" / "best.pt").is_file()


# ----------------------------------------------------------------------------- torch-transfer


def test_transfer_compares_three_strategies_at_each_size(world):
    rc, run_dir, output = run_lab(
        world, "torch-transfer", "transfer-pretrain", ["--pretrain_epochs", "1", "--sizes", "20,40", "--steps", "3"]
    )
    assert rc == 0, output
    events = read_events(run_dir)
    assert events[-1]["status"] == "ok", output
    keys = metric_keys(events)
    for strategy in ("frozen", "finetune", "scratch"):
        for n in (20, 40):
            assert f"{strategy}/n={n}/test/acc" in keys
            assert 0.0 <= events[-1]["summary"][f"{strategy}/n={n}/test/acc"] <= 1.0
    table = {e["name"]: e["text"] for e in of_type(events, "artifact")}["transfer results"]
    assert "frozen" in table and "finetune" in table and "scratch" in table
    assert [line.split()[0] for line in table.splitlines()[2:]] == ["20", "40"]
    assert (run_dir / "checkpoints" / "pretrained.pt").is_file()


def test_transfer_starts_from_the_newest_cnn_runs_best_checkpoint(world, cnn_run):
    rc, run_dir, output = run_lab(world, "torch-transfer", "transfer-auto", ["--sizes", "20", "--steps", "2", "--strategies", "frozen"])
    assert rc == 0, output
    logs = [e["message"] for e in of_type(read_events(run_dir), "log")]
    used = next(m for m in logs if m.startswith("starting from"))
    assert used.endswith("best.pt") and str(world / "runs") in used


def test_transfer_without_a_cnn_checkpoint_says_to_run_the_cnn_lab_first(world, tmp_path):
    rc, run_dir, output = run_lab(
        world,
        "torch-transfer",
        "unused",
        ["--sizes", "20", "--steps", "1"],
        DLTUI_RUNS_DIR=str(tmp_path),
        DLTUI_RUN_DIR=str(tmp_path / "lonely" / "run"),
    )
    assert rc == 2
    assert "run the torch-cnn lab first" in output
    events = read_events(tmp_path / "lonely" / "run")
    assert events[-1]["type"] == "end" and events[-1]["status"] == "failed"
