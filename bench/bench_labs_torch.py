"""The PyTorch labs on this machine: the MLP run to 97.5% and the CNN to 99.0% on the real MNIST.

Runs labs/torch-mlp/mlp.py and labs/torch-cnn/cnn.py with their lab.toml defaults as
subprocesses, exactly as dltui would, and reads the numbers from their events.jsonl. The CNN lab
only touches the test set once, at the end; to find the epoch where it first reached 99%, this
script scores every epoch's checkpoint on the test set itself (the MLP's too: it also tests once). On a machine with CUDA the CNN's
rows say so, and a time-to-99% row is added (training time summed up to that epoch).

MNIST comes from DLTUI_DATASETS (or the download cache); without it the rows are skipped with a
row that says so, since benchmarks never download.

    DLTUI_DATASETS=../shared/datasets python bench/bench_labs_torch.py [--device cuda] [--procs 2] [--threads 1]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LABS = ROOT / "labs"
sys.path.insert(0, str(LABS / "torch-cnn"))  # the CNN's own modules

from labkit.datasets import status  # noqa: E402

MLP_TARGET, CNN_TARGET = 0.975, 0.99


def row(name: str, value, unit: str, note: str = "") -> None:
    print(f"| {name} | {value} | {unit} | {note} |", flush=True)


def run_lab(folder: str, argv: list[str], run_dir: Path) -> tuple[list[dict], float]:
    env = {**os.environ, "DLTUI_RUN_DIR": str(run_dir), "PYTHONPATH": str(LABS)}
    started = time.perf_counter()
    done = subprocess.run([sys.executable, *argv], cwd=LABS / folder, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        sys.stderr.write(done.stdout[-3000:] + done.stderr[-3000:])
        raise SystemExit(f"{folder} {' '.join(argv)} exited with {done.returncode}")
    events = [json.loads(line) for line in (run_dir / "events.jsonl").read_text().splitlines() if line.strip()]
    return events, elapsed


def per_epoch(events: list[dict], key: str) -> list[float]:
    return [e["values"][key] for e in events if e["type"] == "metrics" and key in e["values"]]


def bench_mlp(tmp: Path, device: str, threads: int) -> None:
    events, elapsed = run_lab("torch-mlp", ["mlp.py", "--device", device, "--threads", str(threads)], tmp / "mlp")
    start, end = events[0], events[-1]
    params = start["params"]
    times = per_epoch(events, "time/epoch_s")
    scores = mlp_test_accuracy_of_checkpoints(tmp / "mlp" / "checkpoints", device)
    reached = next((epoch for epoch, acc in scores if acc >= MLP_TARGET), None)
    config = (
        f"784-{params['hidden'].replace(',', '-')}-10, batch {params['batch_size']}, "
        f"lr {params['lr']} {params['schedule']}, momentum {params['momentum']}"
    )
    where = f"{start['device']}, {os.cpu_count()} CPU cores" if start["device"] == "cpu" else start["device"]
    row(
        "torch-mlp time per epoch",
        f"{sum(times) / len(times):.2f}",
        "s",
        f"mean of {len(times)} epochs (min {min(times):.2f}, max {max(times):.2f}), {where}, {config}",
    )
    test_acc, best = end["summary"]["test/acc"], end["summary"]["best_epoch"]
    row(
        "torch-mlp test accuracy",
        f"{test_acc:.4f}",
        "fraction",
        f"best-val epoch {best} of {len(times)}; target {MLP_TARGET} {'met' if test_acc >= MLP_TARGET else 'NOT met'}",
    )
    row(
        "torch-mlp epochs to 97.5% test",
        reached if reached is not None else "not reached",
        "epochs",
        "per-epoch test accuracy (checkpoints) " + " ".join(f"{acc:.4f}" for _, acc in scores),
    )
    row("torch-mlp wall time", f"{elapsed:.1f}", "s", "whole run: process start, loading MNIST, training, evaluation")


def accuracy(net, x, y) -> float:
    import torch

    net.eval()
    with torch.no_grad():
        correct = sum((net(x[i : i + 2000]).argmax(1) == y[i : i + 2000]).sum().item() for i in range(0, len(y), 2000))
    return correct / len(y)


def test_set(device: str):
    """The test images (uint8) and labels (a tensor on the device), and that device."""
    import torch
    from labkit.datasets import load_mnist

    dev = torch.device("cuda" if device != "cpu" and torch.cuda.is_available() else "cpu")
    images, labels = load_mnist("test")
    return images, torch.from_numpy(labels.astype("int64")).to(dev), dev


def test_accuracy_of_checkpoints(checkpoint_dir: Path, device: str) -> list[tuple[int, float]]:
    """(epoch, test accuracy) of every epoch-NNN.pt, scored here with the lab's own network."""
    from cnn import images_to_tensor
    from convnet import ConvNet
    from labkit.checkpoints import load_checkpoint

    images, y, dev = test_set(device)
    scores = []
    for path in sorted(checkpoint_dir.glob("epoch-[0-9][0-9][0-9].pt")):
        net = ConvNet().to(dev)
        state = load_checkpoint(path, net, map_location=dev)
        x = images_to_tensor(images, *state["extra"]["normalise"], dev)
        scores.append((state["epoch"], accuracy(net, x, y)))
    return scores


def mlp_test_accuracy_of_checkpoints(checkpoint_dir: Path, device: str) -> list[tuple[int, float]]:
    """(epoch, test accuracy) of the torch-mlp lab's every epoch-N.pt."""
    import importlib.util

    from labkit.checkpoints import load_checkpoint

    spec = importlib.util.spec_from_file_location("torch_mlp", LABS / "torch-mlp" / "mlp.py")
    lab = importlib.util.module_from_spec(spec)
    sys.modules["torch_mlp"] = lab
    spec.loader.exec_module(lab)
    images, y, dev = test_set(device)
    scores = []
    for path in checkpoint_dir.glob("epoch-*.pt"):
        state = load_checkpoint(path, map_location=dev)
        net = lab.MLP(state["extra"]["sizes"]).to(dev)
        net.load_state_dict(state["model"])
        mean, std = state["extra"]["normalise"]
        x = (lab.torch.from_numpy(images.reshape(len(images), -1)).to(dev).float() / 255.0 - mean) / std
        scores.append((state["epoch"], accuracy(net, x, y)))
    return sorted(scores)


def bench_cnn(tmp: Path, device: str, procs: int, epochs: int | None, threads: int) -> None:
    argv = ["cnn.py", "--device", device, "--procs", str(procs), "--threads", str(threads)]
    if epochs:
        argv += ["--epochs", str(epochs)]
    run_dir = tmp / f"cnn-{procs}"
    events, elapsed = run_lab("torch-cnn", argv, run_dir)
    start, end = events[0], events[-1]
    params = start["params"]
    times = per_epoch(events, "time/epoch_s")
    scores = test_accuracy_of_checkpoints(run_dir / "checkpoints", device)
    reached = next((epoch for epoch, acc in scores if acc >= CNN_TARGET), None)
    on = (
        start["device"]
        + (f" x{procs} processes" if procs > 1 else "")
        + (f", {os.cpu_count()} CPU cores" if start["device"] == "cpu" else "")
    )
    config = f"batch {params['batch_size']}, AdamW lr {params['lr']} {params['schedule']}, {params['precision']}"
    name = "torch-cnn" + (f" ({procs} procs)" if procs > 1 else "") + (" [cuda]" if start["device"].startswith("cuda") else "")
    row(
        f"{name} time per epoch",
        f"{sum(times) / len(times):.2f}",
        "s",
        f"mean of {len(times)} epochs (min {min(times):.2f}, max {max(times):.2f}), {on}, {config}",
    )
    test_acc = end["summary"]["test/acc"]
    row(
        f"{name} test accuracy",
        f"{test_acc:.4f}",
        "fraction",
        f"best-val epoch {end['summary']['best_epoch']} of {end['summary']['epochs']}; "
        f"target {CNN_TARGET} {'met' if test_acc >= CNN_TARGET else 'NOT met'}",
    )
    row(
        f"{name} epochs to 99% test",
        reached if reached is not None else "not reached",
        "epochs",
        "per-epoch test accuracy (checkpoints) " + " ".join(f"{acc:.4f}" for _, acc in scores),
    )
    if reached is not None:
        row(
            f"{name} time to 99% test",
            f"{sum(times[:reached]):.1f}",
            "s",
            f"training time of the first {reached} epoch(s) (no start-up, no validation)",
        )
    row(f"{name} wall time", f"{elapsed:.1f}", "s", "whole run: process start, loading MNIST, training, validation, test")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    parser.add_argument("--procs", type=int, default=1, help="also run the CNN with this many processes (DDP) when > 1")
    parser.add_argument("--cnn-epochs", type=int, default=None, help="override the CNN lab's default epochs")
    parser.add_argument("--threads", type=int, default=0, help="CPU threads per lab process (0: PyTorch's default)")
    parser.add_argument("--skip-mlp", action="store_true")
    args = parser.parse_args()

    print("| name | value | unit | note |")
    print("|---|---|---|---|")
    missing = [r["file"] for r in status("mnist") if r["source"] == "missing"]
    if missing:
        where = os.environ.get("DLTUI_DATASETS") or "DLTUI_DATASETS not set"
        row("torch labs on MNIST", "skipped", "", f"no MNIST ({where}; missing {', '.join(missing)}); set DLTUI_DATASETS")
        return 0
    try:
        import torch  # noqa: F401
    except ImportError:
        row("torch labs on MNIST", "skipped", "", "PyTorch is not installed")
        return 0
    with tempfile.TemporaryDirectory(prefix="bench-labs-torch-") as tmp:
        if not args.skip_mlp:
            bench_mlp(Path(tmp), args.device, args.threads)
        bench_cnn(Path(tmp), args.device, 1, args.cnn_epochs, args.threads)
        if args.procs > 1:
            bench_cnn(Path(tmp), args.device, args.procs, args.cnn_epochs, args.threads)
    return 0


if __name__ == "__main__":
    sys.exit(main())
