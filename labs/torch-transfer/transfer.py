"""Transfer learning: reuse what the MNIST CNN learned on a new task with few labels (Fashion-MNIST).

    python transfer.py                         # starts from best.pt of your newest torch-cnn run
    python transfer.py --checkpoint PATH       # or from a checkpoint file (or a run folder)
    python transfer.py --pretrain_epochs 1     # or pretrain on MNIST first, in this run

The CNN's convolution blocks (`features`) learned strokes, edges and blobs on digits. For clothes we
keep them and put a new classifier on top, then compare three ways of training on n labelled
clothing images, for a few values of n:

    frozen     features fixed, only the new classifier learns. Since the features never change,
               they are computed once per image and the classifier trains on those (fast).
    finetune   start from the pretrained features, new classifier, every weight learns.
    scratch    the same network from random weights: what the pretraining is worth.

Every run gets the same number of optimizer steps, and is scored on the 10,000 test images.
Expect pretraining to help most when n is small, and scratch to catch up as n grows.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "torch-cnn"))  # the CNN we transfer from

import numpy as np
import torch
import torch.nn.functional as F
from convnet import ConvNet
from labkit.checkpoints import best_checkpoint, load_checkpoint, save_checkpoint
from labkit.datasets import DatasetUnavailable, load_mnist
from labkit.events import Reporter
from labkit.params import parse_lab_args
from past_runs import runs_of, where_runs_were_looked_for
from torch import nn

LAB = "torch-transfer"
STRATEGIES = ("frozen", "finetune", "scratch")


class Stopped(Exception):
    """SIGTERM arrived: unwind to main(), which saves and ends the run as cancelled."""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The parameters declared in lab.toml, overridden by the command line (labkit/params.py)."""
    return parse_lab_args(HERE / "lab.toml", argv)


# ----------------------------------------------------------------------------- data


def to_tensors(images, labels, mean: float, std: float, device: torch.device):
    x = torch.from_numpy(images).to(device).float().div_(255.0).sub_(mean).div_(std).unsqueeze(1)
    return x, torch.from_numpy(labels.astype("int64")).to(device)


def balanced_subset(labels: np.ndarray, n: int, seed: int) -> np.ndarray:
    """Indices of n examples, as close to n/10 per class as the data allows: a fair small set."""
    rng = np.random.default_rng(seed)
    classes = np.unique(labels)
    per_class = [rng.permutation(np.flatnonzero(labels == c)) for c in classes]
    chosen = []
    for round_ in range(max(len(p) for p in per_class)):  # deal one per class, round after round
        for pool in per_class:
            if round_ < len(pool) and len(chosen) < n:
                chosen.append(pool[round_])
    return rng.permutation(np.array(chosen, dtype=np.int64))


# ----------------------------------------------------------------------------- training


def train_steps(
    model: nn.Module, params, x: torch.Tensor, y: torch.Tensor, steps: int, batch_size: int, lr: float, rep, key: str, progress: dict
) -> float:
    """`steps` AdamW steps on random batches of (x, y) with a cosine learning rate; returns the last loss."""
    optimizer = torch.optim.AdamW(params, lr=lr, weight_decay=1e-4)
    generator = torch.Generator().manual_seed(steps)
    batch_size = min(batch_size, len(y))
    report_every = max(1, steps // 20)
    order, position, loss_value = None, len(y), float("nan")
    for step in range(steps):
        if rep.stop_requested:
            raise Stopped()
        if position + batch_size > len(y):  # a new pass over the set: reshuffle
            order, position = torch.randperm(len(y), generator=generator).to(x.device), 0
        idx = order[position : position + batch_size]
        position += batch_size
        for group in optimizer.param_groups:
            group["lr"] = 0.5 * lr * (1 + math.cos(math.pi * step / steps))
        loss = F.cross_entropy(model(x[idx]), y[idx])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        progress["done"] += 1
        if (step + 1) % report_every == 0 or step == steps - 1:
            loss_value = loss.item()
            rep.metrics(progress["done"], {f"{key}/train/loss": loss_value})
            rep.progress(progress["done"], progress["total"])
    return loss_value


@torch.no_grad()
def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch: int = 1000) -> float:
    model.eval()
    correct = sum((model(x[i : i + batch]).argmax(dim=1) == y[i : i + batch]).sum().item() for i in range(0, len(y), batch))
    model.train()
    return correct / max(len(y), 1)


def run_strategy(strategy: str, pretrained: dict, train, test, test_features, args, rep, key: str, progress: dict) -> float:
    """Train one network the `strategy` way on `train`; return its test accuracy."""
    x, y = train
    model = ConvNet().to(x.device, memory_format=torch.channels_last)
    if strategy != "scratch":
        model.load_state_dict(pretrained)
        # A new classifier: the digits' last layers map features to digits, useless for clothes.
        model.classifier = model.new_classifier(10).to(x.device)
    if strategy == "frozen":
        # Features never change, so compute them once; eval() also keeps batch norm on the
        # statistics it learned on MNIST instead of updating them.
        model.features.eval().requires_grad_(False)
        with torch.no_grad():
            features = torch.cat([model.features(x[i : i + 1000]) for i in range(0, len(y), 1000)])
        train_steps(model.classifier, model.classifier.parameters(), features, y, args.steps, args.batch_size, args.lr, rep, key, progress)
        return accuracy(model.classifier, test_features, test[1])
    train_steps(model, model.parameters(), x, y, args.steps, args.batch_size, args.lr, rep, key, progress)
    return accuracy(model, *test)


def pretrain_on_mnist(epochs: int, device: torch.device, rep, progress: dict, batch_size: int = 128) -> tuple[nn.Module, float]:
    """A quick MNIST pretraining of the CNN (the torch-cnn lab does it properly): (model, test acc)."""
    images, labels = load_mnist("train")
    mean, std = float(images.mean()) / 255.0, float(images.std()) / 255.0
    x, y = to_tensors(images, labels, mean, std, device)
    model = ConvNet().to(device, memory_format=torch.channels_last)
    steps = epochs * max(1, len(y) // batch_size)
    progress["total"] += steps
    try:
        train_steps(model, model.parameters(), x, y, steps, batch_size, 3e-3, rep, "pretrain", progress)
    except Stopped:
        path = save_checkpoint(rep.checkpoint_dir / "pretrain-stopped.pt", model, None, 0, {}, {"steps_done": progress["done"]})
        rep.checkpoint(path, progress["done"])
        raise
    test_x, test_y = to_tensors(*load_mnist("test"), mean, std, device)
    acc = accuracy(model, test_x, test_y)
    rep.metrics(progress["done"], {"pretrain/mnist/test/acc": acc})
    return model, acc


def find_cnn_checkpoint(given: str) -> Path:
    """The checkpoint to start from: --checkpoint, else best.pt of the newest torch-cnn run."""
    if given:
        path = Path(given).expanduser()
        if path.is_dir():  # a run folder, or its checkpoints folder
            path = best_checkpoint(path / "checkpoints") or best_checkpoint(path) or path / "best.pt"
        if not path.is_file():
            raise FileNotFoundError(f"--checkpoint {given}: no checkpoint file there")
        return path
    for run in runs_of("torch-cnn"):
        found = best_checkpoint(run / "checkpoints")
        if found is not None:
            return found
    raise FileNotFoundError(
        "No torch-cnn checkpoint to transfer from: run the torch-cnn lab first (one epoch is enough), "
        "or pass --checkpoint PATH, or --pretrain_epochs 1 to pretrain here. "
        f"Looked for torch-cnn runs in: {where_runs_were_looked_for('torch-cnn')}."
    )


def results_table(results: dict, sizes: list[int], strategies: list[str], test_size: int) -> str:
    """Test accuracy per strategy (columns) and training-set size (rows)."""
    lines = [
        f"test accuracy on Fashion-MNIST ({test_size:,} test images), by labelled training images",
        "n labelled".rjust(10) + "".join(s.rjust(10) for s in strategies),
    ]
    for n in sizes:
        cells = "".join((f"{results[(s, n)]:.2%}" if (s, n) in results else "-").rjust(10) for s in strategies)
        lines.append(f"{n:>10}" + cells)
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    strategies = [s.strip() for s in args.strategies.split(",") if s.strip()]
    unknown = [s for s in strategies if s not in STRATEGIES]
    if unknown:
        raise SystemExit(f"error: unknown strategy {unknown[0]!r}; choose from {', '.join(STRATEGIES)}")
    if args.device == "cuda" and not torch.cuda.is_available():
        raise SystemExit("error: --device cuda was asked for, but PyTorch sees no CUDA device here. Use --device cpu.")
    device = torch.device("cuda" if args.device != "cpu" and torch.cuda.is_available() else "cpu")
    torch.manual_seed(args.seed)

    with Reporter(LAB) as rep:
        rep.start(vars(args), device=str(device))
        progress = {"done": 0, "total": len(sizes) * len(strategies) * args.steps}
        results: dict = {}
        try:
            if args.pretrain_epochs > 0:
                rep.log(f"pretraining the CNN on MNIST for {args.pretrain_epochs} epoch(s)")
                model, mnist_acc = pretrain_on_mnist(args.pretrain_epochs, device, rep, progress)
                pretrained = model.state_dict()
                path = save_checkpoint(rep.checkpoint_dir / "pretrained.pt", model, None, args.pretrain_epochs, {"test/acc": mnist_acc})
                rep.checkpoint(path, progress["done"], {"test/acc": mnist_acc})
                rep.log(f"pretrained: MNIST test/acc {mnist_acc:.4f}")
            else:
                path = find_cnn_checkpoint(args.checkpoint)
                pretrained = load_checkpoint(path, map_location=device)["model"]
                rep.log(f"starting from {path}")

            images, labels = load_mnist("train", "fashion-mnist")
            test_images, test_labels = load_mnist("test", "fashion-mnist")
        except (FileNotFoundError, ValueError, DatasetUnavailable) as exc:
            print(f"error: {exc}", file=sys.stderr)
            rep.log(str(exc), level="error")
            rep.end("failed", {"error": str(exc)})
            return 2
        except Stopped:  # during the pretraining, which saved what it had
            rep.end("cancelled", {})
            return 0

        mean, std = float(images.mean()) / 255.0, float(images.std()) / 255.0
        test = to_tensors(test_images, test_labels, mean, std, device)
        # The frozen features of the test images are the same for every n: compute them once.
        body = ConvNet().to(device)
        body.load_state_dict(pretrained)
        body.eval()
        with torch.no_grad():
            test_features = torch.cat([body.features(test[0][i : i + 1000]) for i in range(0, len(test[1]), 1000)])

        try:
            for n in sizes:
                subset = balanced_subset(labels, n, args.seed)
                train = to_tensors(images[subset], labels[subset], mean, std, device)
                for strategy in strategies:
                    key = f"{strategy}/n={n}"
                    started = time.perf_counter()
                    acc = run_strategy(strategy, pretrained, train, test, test_features, args, rep, key, progress)
                    results[(strategy, n)] = acc
                    seconds = time.perf_counter() - started
                    rep.metrics(progress["done"], {f"{key}/test/acc": acc, f"{key}/time_s": seconds})
                    rep.log(f"{strategy:>8} n={n:<6} test/acc {acc:.4f}  ({seconds:.1f} s)")
        except Stopped:
            # What is worth keeping: the results so far (in the checkpoint's metrics) and the body.
            done = {f"{s}/n={n}/test/acc": a for (s, n), a in results.items()}
            rep.artifact("transfer results (partial)", results_table(results, sizes, strategies, len(test_labels)))
            path = save_checkpoint(rep.checkpoint_dir / "stopped.pt", body, None, 0, done, {"steps_done": progress["done"]})
            rep.checkpoint(path, progress["done"], done)
            rep.end("cancelled", done)
            return 0

        rep.artifact("transfer results", results_table(results, sizes, strategies, len(test_labels)))
        rep.end("ok", {f"{s}/n={n}/test/acc": a for (s, n), a in results.items()})
    return 0


if __name__ == "__main__":
    sys.exit(main())
