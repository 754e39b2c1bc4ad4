"""Train the NumPy MLP (mlp.py) on MNIST: mini-batches, momentum SGD, softmax cross-entropy.

Each epoch: shuffle, walk through mini-batches (forward, loss, backward, update), then measure
accuracy on a held-out validation set and save the weights as .npz. The test set is scored once,
at the end, with the weights of the best validation epoch: choosing anything by test accuracy
would make it an optimistic estimate of how the network does on new digits.
With --gradcheck true, a numerical gradient check of backward() runs first.

Run alone:  cd labs/numpy-mlp && python train.py --epochs 10
            python train.py --gradcheck true --epochs 0      (only the gradient check)
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # mlp.py and gradcheck.py next to this file
import gradcheck
import mlp
from labkit.datasets import DatasetUnavailable, IdxError, load_mnist
from labkit.events import Reporter  # the lab kit, installed with dltui
from labkit.params import parse_lab_args


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The parameters declared in lab.toml, overridden by the command line (labkit/params.py)."""
    return parse_lab_args(HERE / "lab.toml", argv)


def load_network_module(path: str):
    """The bundled mlp.py, or a learner's file with the same MLP class."""
    if not path:
        return mlp
    spec = importlib.util.spec_from_file_location("learner_mlp", Path(path).expanduser())
    if spec is None:
        raise SystemExit(f"cannot import {path}: is it a .py file?")
    module = importlib.util.module_from_spec(spec)
    sys.modules["learner_mlp"] = module  # as a normal import would (dataclasses need it)
    spec.loader.exec_module(module)
    return module


def to_vectors(images: np.ndarray) -> np.ndarray:
    """(N, 28, 28) uint8 in 0..255 -> (N, 784) float32 in 0..1: one row per image."""
    return images.reshape(len(images), -1).astype(np.float32) / 255.0


def evaluate(model, x: np.ndarray, y: np.ndarray, batch_size: int = 2048) -> tuple[float, float]:
    """Mean loss and accuracy over a whole set, in chunks."""
    total_loss, correct = 0.0, 0
    for i in range(0, len(x), batch_size):
        logits = model.forward(x[i : i + batch_size])
        loss, _ = mlp.softmax_cross_entropy(logits, y[i : i + batch_size])
        total_loss += loss * len(logits)
        correct += int((logits.argmax(axis=1) == y[i : i + batch_size]).sum())
    return total_loss / max(len(x), 1), correct / max(len(x), 1)


def learning_rate(args, step: int, total_steps: int) -> float:
    if args.schedule == "constant":
        return args.lr
    # Cosine: large steps early to move fast, small ones at the end to settle into a minimum.
    # A Python float, not np.float64: under NumPy 2's promotion rules a float64 scalar times a
    # float32 array gives float64, which silently doubles the cost of every update.
    return float(0.5 * args.lr * (1 + math.cos(math.pi * min(step / max(total_steps, 1), 1.0))))


def save_npz(path: Path, arrays: dict) -> Path:
    """np.savez to a temporary file, then rename: a crash never leaves half a checkpoint."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    with os.fdopen(fd, "wb") as f:
        np.savez(f, **arrays)
    os.replace(tmp, path)
    return path


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, classes: int = 10) -> str:
    counts = np.zeros((classes, classes), dtype=int)
    np.add.at(counts, (y_true, y_pred), 1)
    lines = ["true\\pred " + "".join(f"{c:>6}" for c in range(classes))]
    lines += [f"{t:>9} " + "".join(f"{v:>6}" for v in row) for t, row in enumerate(counts)]
    return "\n".join(lines)


def draw_digit(image: np.ndarray) -> list[str]:
    """A 28x28 image as 14 lines of 28 characters (two pixel rows per line)."""
    ramp = " .:-=+*#%@"
    halves = image.reshape(14, 2, 28).mean(axis=1)
    return ["".join(ramp[int(v / 256 * len(ramp))] for v in row) for row in halves]


def run_gradcheck(rep: Reporter, net_module, sizes: list[int], x: np.ndarray, y: np.ndarray, seed: int) -> dict:
    # float64: in float32 the rounding noise of the loss swamps the finite difference.
    model = net_module.MLP(sizes, seed=seed, dtype=np.float64)
    results = gradcheck.gradient_check(model, x.astype(np.float64), y, mlp.softmax_cross_entropy)
    worst = max(r.max_rel_error for r in results)
    passed = all(r.passed for r in results)
    rep.artifact("gradient check", gradcheck.report(results))
    rep.metrics(0, {"gradcheck/max_rel_error": worst, "gradcheck/passed": float(passed)})
    rep.log(f"gradient check {'passed' if passed else 'FAILED'}: max relative error {worst:.2e}", "info" if passed else "error")
    return {"gradcheck/max_rel_error": worst, "gradcheck/passed": passed}


def main(argv=None) -> int:
    args = parse_args(argv)
    hidden = [int(h) for h in args.hidden.split(",") if h.strip()]
    net_module = load_network_module(args.mlp_file)

    with Reporter("numpy-mlp") as rep:
        rep.start(vars(args), device="cpu (numpy)")
        try:
            images, labels = load_mnist("train")
            test_images, test_labels = load_mnist("test")
        except (DatasetUnavailable, IdxError) as exc:  # the learner can fix these: no traceback
            print(f"error: {exc}", file=sys.stderr)
            rep.log(str(exc), "error")
            rep.end("failed", {"error": str(exc)})
            return 1
        # The last val_size training images are held out: we tune on them, never on the test set.
        n_train = len(images) - min(args.val_size, len(images) // 5)
        x_all, y_all = to_vectors(images), labels.astype(np.int64)
        # Inputs shifted and scaled to mean 0, std 1 suit He init; the statistics come from the
        # training part only, so nothing about the validation or test images leaks into training.
        mean, std = float(x_all[:n_train].mean()), float(x_all[:n_train].std())
        x_all = (x_all - mean) / std
        x_train, y_train = x_all[:n_train], y_all[:n_train]
        x_val, y_val = x_all[n_train:], y_all[n_train:]
        x_test, y_test = (to_vectors(test_images) - mean) / std, test_labels.astype(np.int64)
        sizes = [x_train.shape[1], *hidden, 10]
        rep.log(f"{len(x_train)} training, {len(x_val)} validation, {len(x_test)} test images; layers {sizes}")

        summary: dict = {}
        if args.gradcheck:
            summary = run_gradcheck(rep, net_module, sizes, x_train[:16], y_train[:16], args.seed)
            if not summary["gradcheck/passed"]:
                rep.end("failed", summary)
                return 1

        model = net_module.MLP(sizes, seed=args.seed)
        rng = np.random.default_rng(args.seed)

        def snapshot(epoch: int) -> dict:
            """What a checkpoint holds: weights, momentum, and the input shift new images need."""
            return {**model.state(), "mean": mean, "std": std, "epoch": epoch, "step": step}

        steps_per_epoch = -(-len(x_train) // args.batch_size)  # ceiling division
        total_steps = args.epochs * steps_per_epoch
        report_every = max(1, min(50, steps_per_epoch // 4))  # ~4+ points per epoch, <= a few per second
        step, best_val, best_epoch, epoch_times = 0, -1.0, 0, []

        for epoch in range(1, args.epochs + 1):
            started = time.perf_counter()
            order = rng.permutation(len(x_train))  # a new shuffle every epoch
            seen = loss_sum = correct = 0
            for start in range(0, len(x_train), args.batch_size):
                batch = order[start : start + args.batch_size]
                xb, yb = x_train[batch], y_train[batch]
                lr = learning_rate(args, step, total_steps)
                logits = model.forward(xb)
                loss, dlogits = mlp.softmax_cross_entropy(logits, yb)
                dW, db = model.backward(dlogits)
                model.step(dW, db, lr=lr, momentum=args.momentum, weight_decay=args.weight_decay)
                step += 1
                seen += len(batch)
                loss_sum += loss * len(batch)
                correct += int((logits.argmax(axis=1) == yb).sum())

                if step % report_every == 0:
                    values = {"train/loss": loss_sum / seen, "train/acc": correct / seen, "lr": lr}
                    rep.metrics(step, values, epoch=epoch - 1 + seen / len(x_train))
                    rep.progress(step, total_steps)
                if not np.isfinite(loss):
                    rep.log(f"the loss became {loss}: try a smaller --lr", "error")
                    rep.end("failed", {"error": "loss diverged", "step": step})
                    return 1
                if rep.stop_requested:  # SIGTERM from dltui: keep what we have, then stop
                    path = save_npz(rep.checkpoint_dir / f"stopped-step-{step}.npz", snapshot(epoch - 1))
                    rep.checkpoint(path, step, {"train/loss": loss_sum / seen})
                    rep.end("cancelled", {**summary, "step": step})
                    return 0

            epoch_times.append(time.perf_counter() - started)
            val_loss, val_acc = evaluate(model, x_val, y_val)
            values = {"val/loss": val_loss, "val/acc": val_acc, "time/epoch_s": epoch_times[-1]}
            rep.metrics(step, values, epoch=epoch)
            rep.progress(step, total_steps)
            path = save_npz(rep.checkpoint_dir / f"epoch-{epoch}.npz", snapshot(epoch))
            rep.checkpoint(path, step, {"val/acc": val_acc})
            if val_acc > best_val:
                best_val, best_epoch = val_acc, epoch
                save_npz(rep.checkpoint_dir / "best.npz", snapshot(epoch))
            summary.update({"val/acc": val_acc, "best_val/acc": best_val, "epochs": epoch, "time/epoch_s": float(np.mean(epoch_times))})

        if args.epochs > 0:
            # The test set, once: the weights of the best validation epoch, scored on unseen digits.
            model.load_state(np.load(rep.checkpoint_dir / "best.npz"))
            test_loss, test_acc = evaluate(model, x_test, y_test)
            rep.metrics(step, {"test/loss": test_loss, "test/acc": test_acc}, epoch=args.epochs)
            summary.update({"test/acc": test_acc, "test/loss": test_loss, "best_epoch": best_epoch})
            predictions = model.predict(x_test)
            rep.artifact("confusion matrix (test set)", confusion_matrix(y_test, predictions))
            wrong = np.flatnonzero(predictions != y_test)[:3]
            if len(wrong):
                pictures = [draw_digit(test_images[i]) for i in wrong]
                lines = ["   ".join(f"true {y_test[i]} said {predictions[i]}".ljust(28) for i in wrong)]
                lines += ["   ".join(rows) for rows in zip(*pictures)]
                rep.artifact("misclassified test digits", "\n".join(lines))
        rep.end("ok", summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
