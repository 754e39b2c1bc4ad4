"""The NumPy labs on this machine: the scratch MLP run to its 97.5% target on the real MNIST.

Runs labs/numpy-mlp/train.py with its lab.toml defaults (plus the gradient check) as a
subprocess, exactly as dltui would, and reads the numbers from its events.jsonl. The lab only
touches the test set once, at the end; to find the epoch where it first reached 97.5%, this
script scores every epoch's checkpoint on the test set itself. Also times the
XOR lab. MNIST comes from DLTUI_DATASETS (or the download cache); without it the MNIST rows are
skipped with a row that says so, since benchmarks never download.

    DLTUI_DATASETS=../shared/datasets python bench/bench_labs_numpy.py
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LABS = ROOT / "labs"
TARGET = 0.975
from labkit.datasets import status  # noqa: E402  (the lab kit, installed with dltui)


def row(name: str, value, unit: str, note: str = "") -> None:
    print(f"| {name} | {value} | {unit} | {note} |", flush=True)


def children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_lab(folder: str, argv: list[str], run_dir: Path) -> tuple[list[dict], float, float]:
    """Run a lab; returns its events, wall seconds and CPU seconds (all its threads)."""
    env = {**os.environ, "DLTUI_RUN_DIR": str(run_dir), "PYTHONPATH": str(LABS)}
    started, cpu_before = time.perf_counter(), children_cpu_s()
    done = subprocess.run([sys.executable, *argv], cwd=LABS / folder, env=env, capture_output=True, text=True)
    elapsed, cpu = time.perf_counter() - started, children_cpu_s() - cpu_before
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"{folder} {' '.join(argv)} exited with {done.returncode}")
    events = [json.loads(line) for line in (run_dir / "events.jsonl").read_text().splitlines() if line.strip()]
    return events, elapsed, cpu


def bench_xor(tmp: Path) -> None:
    events, elapsed, _ = run_lab("numpy-xor", ["xor.py"], tmp / "xor")
    end = events[-1]
    first_perfect = next((e["step"] for e in events if e["type"] == "metrics" and e["values"]["train/acc"] == 1.0), None)
    row("numpy-xor wall time (2000 epochs)", f"{elapsed:.2f}", "s", "process start to exit, hidden 8, lr 0.5, tanh")
    row("numpy-xor train accuracy", f"{end['summary']['train/acc']:.2f}", "fraction", f"100% first seen at epoch {first_perfect}")


def test_accuracy_of_checkpoints(checkpoint_dir: Path) -> list[tuple[int, float]]:
    """(epoch, test accuracy) of every epoch-N.npz, scored here with the lab's own network."""
    sys.path.insert(0, str(LABS / "numpy-mlp"))
    import numpy as np
    from labkit.datasets import load_mnist
    from mlp import MLP

    images, labels = load_mnist("test")
    pixels = images.reshape(len(images), -1).astype(np.float32) / 255.0
    scores = []
    for path in checkpoint_dir.glob("epoch-*.npz"):
        saved = np.load(path)
        net = MLP([int(s) for s in saved["sizes"]])
        net.load_state(saved)
        predicted = net.predict((pixels - saved["mean"]) / saved["std"])
        scores.append((int(saved["epoch"]), float((predicted == labels).mean())))
    return sorted(scores)


def bench_mlp(tmp: Path) -> None:
    events, elapsed, cpu = run_lab("numpy-mlp", ["train.py", "--gradcheck", "true"], tmp / "mlp")
    start, end = events[0], events[-1]
    params = start["params"]
    times = [e["values"]["time/epoch_s"] for e in events if e["type"] == "metrics" and "time/epoch_s" in e["values"]]
    scores = test_accuracy_of_checkpoints(tmp / "mlp" / "checkpoints")
    reached = next((epoch for epoch, acc in scores if acc >= TARGET), None)
    check = next(e["values"] for e in events if e["type"] == "metrics" and "gradcheck/max_rel_error" in e["values"])
    config = (
        f"784-{params['hidden'].replace(',', '-')}-10, batch {params['batch_size']}, "
        f"lr {params['lr']} {params['schedule']}, momentum {params['momentum']}"
    )
    cores = os.cpu_count()
    row(
        "numpy-mlp time per epoch",
        f"{sum(times) / len(times):.2f}",
        "s",
        f"mean of {len(times)} epochs (min {min(times):.2f}, max {max(times):.2f}), {cores} CPU cores, {config}",
    )
    test_acc = end["summary"]["test/acc"]
    met = "met" if test_acc >= TARGET else "NOT met"
    best = end["summary"]["best_epoch"]
    row("numpy-mlp test accuracy", f"{test_acc:.4f}", "fraction", f"best-val epoch {best} of {len(times)}; target {TARGET} {met}")
    row(
        "numpy-mlp epochs to 97.5% test",
        reached if reached is not None else "not reached",
        "epochs",
        "per-epoch test accuracy (checkpoints) " + " ".join(f"{acc:.4f}" for _, acc in scores),
    )
    row("numpy-mlp wall time", f"{elapsed:.1f}", "s", "whole run: loading MNIST, gradient check, training, evaluation")
    load = os.getloadavg()[0]
    row(
        "numpy-mlp CPU time",
        f"{cpu:.1f}",
        "s",
        f"all threads, whole run; compare with wall time: other load on the machine (1-min load average now {load:.1f})",
    )
    row(
        "numpy-mlp gradient check",
        f"{check['gradcheck/max_rel_error']:.1e}",
        "max rel error",
        "float64, centred differences, 20 entries per parameter (< 1e-5 passes)",
    )


def main() -> int:
    print("| name | value | unit | note |")
    print("|---|---|---|---|")
    with tempfile.TemporaryDirectory(prefix="bench-labs-numpy-") as tmp:
        bench_xor(Path(tmp))
        missing = [r["file"] for r in status("mnist") if r["source"] == "missing"]
        if missing:
            where = os.environ.get("DLTUI_DATASETS") or "DLTUI_DATASETS not set"
            row("numpy-mlp on MNIST", "skipped", "", f"no MNIST ({where}; missing {', '.join(missing)}); set DLTUI_DATASETS")
            return 0
        bench_mlp(Path(tmp))
    return 0


if __name__ == "__main__":
    sys.exit(main())
