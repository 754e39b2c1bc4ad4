"""A small convolutional network on MNIST, trained the way real training runs are trained.

    python cnn.py --epochs 8                  # CPU or GPU, whichever this machine has
    python cnn.py --device cuda               # mixed precision (bf16, or fp16 + gradient scaling)
    python cnn.py --resume latest --epochs 12 # carry on from the newest checkpoint
    python cnn.py --procs 2                   # two processes, DistributedDataParallel

What it shows, in the order the code does it:
- the whole dataset lives on the device as one tensor, normalised once; a batch is an index slice
  of a random permutation (no DataLoader, no per-batch copies from the CPU);
- a held-out validation split taken from the training set picks the best epoch and decides when
  to stop early; the test set is touched once, at the end;
- a learning-rate schedule: linear warm-up, then cosine decay to zero;
- mixed precision on CUDA: matrix maths in 16-bit floats, weights and the optimizer in 32-bit;
- a checkpoint every epoch plus ``best.pt``; ``--resume`` continues model, optimizer, schedule and
  random state exactly where the checkpoint left off; SIGTERM saves a checkpoint and stops;
- a confusion matrix and some misclassified digits drawn in the terminal.

Beside this file: the network (convnet.py), scoring a split (evaluation.py), devices and multiple
processes (workers.py), finding earlier runs' checkpoints (past_runs.py) and the terminal pictures
(text_pictures.py).
Resuming with a larger --epochs extends training: the cosine schedule is stretched to the new end.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

HERE = Path(__file__).resolve().parent

import torch
import torch.nn.functional as F
from convnet import ConvNet
from evaluation import evaluate, misclassified_text
from labkit.checkpoints import BEST_NAME, load_checkpoint, save_checkpoint
from labkit.datasets import DatasetUnavailable, load_mnist
from labkit.events import Reporter
from labkit.params import parse_lab_args
from past_runs import checkpoint_to_resume
from text_pictures import confusion_matrix_text
from workers import DeviceUnavailable, SilentReporter, Workers, relaunch_under_torchrun, start_workers, under_torchrun

LAB = "torch-cnn"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The parameters declared in lab.toml, overridden by the command line (labkit/params.py)."""
    return parse_lab_args(HERE / "lab.toml", argv)


# ----------------------------------------------------------------------------- data on the device


def images_to_tensor(images, mean: float, std: float, device: torch.device) -> torch.Tensor:
    """uint8 (N, 28, 28) -> float (N, 1, 28, 28), zero mean and unit spread, on `device`."""
    x = torch.from_numpy(images).to(device).float().div_(255.0)
    return x.sub_(mean).div_(std).unsqueeze(1)


def load_data(val_size: int, seed: int, device: torch.device) -> dict:
    """Train / validation / test tensors on the device, normalised with the training split's stats."""
    images, labels = load_mnist("train")
    test_images, test_labels = load_mnist("test")
    # The same shuffle on every process (same seed), so they all agree on which images are held out.
    order = torch.randperm(len(labels), generator=torch.Generator().manual_seed(seed)).numpy()
    val_size = min(val_size, len(labels) // 5)
    train_idx, val_idx = order[val_size:], order[:val_size]
    train_pixels = images[train_idx].astype("float32") / 255.0
    mean, std = float(train_pixels.mean()), float(train_pixels.std())

    def as_labels(a):
        return torch.from_numpy(a.astype("int64")).to(device)

    return {
        "train": (images_to_tensor(images[train_idx], mean, std, device), as_labels(labels[train_idx])),
        "val": (images_to_tensor(images[val_idx], mean, std, device), as_labels(labels[val_idx])),
        "test": (images_to_tensor(test_images, mean, std, device), as_labels(test_labels)),
        "test_raw": test_images,  # the original pixels, to draw misclassified digits
        "normalise": (mean, std),
    }


def batch_indices(n: int, batch_size: int, epoch: int, seed: int, workers: Workers) -> list[torch.Tensor]:
    """This process's batches for one epoch: index slices of a random permutation of 0..n-1.

    The permutation depends only on (seed, epoch), so a resumed run sees the same batches, and all
    processes agree on it: process r takes every world_size-th image, a disjoint shard.
    """
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed * 10_007 + epoch))
    shard = order[workers.rank :: workers.world_size].to(workers.device)  # one copy; the slices are views
    per_process = max(1, batch_size // workers.world_size)
    steps = max(1, len(order) // workers.world_size // per_process)  # equal on every process
    return [shard[i * per_process : (i + 1) * per_process] for i in range(steps)]


# ----------------------------------------------------------------------------- learning-rate schedule


def learning_rate(step: int, total_steps: int, peak: float, warmup_steps: int, schedule: str) -> float:
    """Linear warm-up from ~0 to `peak`, then (cosine) a half cosine wave down to 0.

    Warm-up: Adam's first updates are large and noisy; starting gently avoids a bad early jump.
    Cosine: big steps while far from a minimum, small ones at the end to settle into it.
    """
    if step < warmup_steps:
        return peak * (step + 1) / warmup_steps
    if schedule == "constant":
        return peak
    progress = (step - warmup_steps) / max(1, total_steps - warmup_steps)
    return peak * 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))


# ----------------------------------------------------------------------------- the run


@dataclass
class Run:
    """What every step of training uses: the parameters, processes, model, optimizer and data."""

    args: argparse.Namespace
    workers: Workers
    rep: Reporter
    net: torch.nn.Module  # the plain model: evaluation and checkpoints
    model: torch.nn.Module  # what training calls: `net`, or its DistributedDataParallel wrapper
    optimizer: torch.optim.Optimizer
    scaler: torch.amp.GradScaler
    autocast: Callable
    data: dict
    run_dir: Path
    steps_per_epoch: int

    @property
    def total_steps(self) -> int:
        return self.args.epochs * self.steps_per_epoch

    @property
    def checkpoint_dir(self) -> Path:
        return self.run_dir / "checkpoints"


@dataclass
class Progress:
    """Where training stands: what a checkpoint holds so that a resumed run carries on exactly."""

    epoch: int = 0  # epochs finished
    batches_done: int = 0  # batches of the next epoch already trained (a run stopped mid-epoch)
    step: int = 0  # optimizer steps so far: the learning-rate schedule's clock
    best_acc: float = -1.0  # the best validation accuracy so far, its epoch and weights
    best_epoch: int = 0
    best_weights: dict | None = None
    stale: int = 0  # epochs since the validation accuracy last improved
    epoch_times: list = field(default_factory=list)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.procs > 1 and not under_torchrun():
        relaunch_under_torchrun(args.procs)  # does not return
    try:
        workers = start_workers(args.device)
    except DeviceUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    torch.manual_seed(args.seed + workers.rank)  # same start weights (DDP copies rank 0's anyway), own dropout
    reporter = Reporter(LAB) if workers.is_main else SilentReporter()
    try:
        with reporter as rep:
            return train(args, workers, rep)
    finally:
        workers.close()


def fail(rep, message: str) -> int:
    """End the run as failed, with a message the learner can act on (no traceback)."""
    rep.log(message, level="error")
    print(f"error: {message}", file=sys.stderr)
    rep.end("failed", {"error": message})
    return 2


def train(args: argparse.Namespace, workers: Workers, rep) -> int:
    """Set up, resume if asked, train epoch by epoch, then score the test set once."""
    device = workers.device
    if args.threads > 0:
        # Every CPU operation is split over this many threads, which wait for each other at its
        # end: if another program holds one of the cores, all of them wait for it.
        torch.set_num_threads(args.threads)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True  # try the conv algorithms once, keep the fastest
    precision, autocast, scaler = mixed_precision(args.precision, device)
    rep.start(params={**vars(args), "world_size": workers.world_size, "precision": precision}, device=str(device))
    if device.type == "cuda":
        rep.log(f"GPU: {torch.cuda.get_device_name(device)}, precision {precision}")
    run_dir = Path(workers.share(str(rep.run_dir) if workers.is_main else None))  # only rank 0 chose it
    try:
        data = load_data(args.val_size, args.seed, device)
    except DatasetUnavailable as exc:
        return fail(rep, str(exc))  # the message says where to put the files

    # channels_last (pixels stored as HWC) lets the CPU and tensor-core convolution kernels run
    # without reshuffling memory (on a CPU it trains this network 1.6x faster); the maths is unchanged.
    net = ConvNet().to(device, memory_format=torch.channels_last)
    model = net
    if workers.distributed:
        model = torch.nn.parallel.DistributedDataParallel(net, device_ids=[device.index] if device.type == "cuda" else None)
    optimizer = torch.optim.AdamW(net.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    steps_per_epoch = len(batch_indices(len(data["train"][1]), args.batch_size, 0, args.seed, workers))
    run = Run(args, workers, rep, net, model, optimizer, scaler, autocast, data, run_dir, steps_per_epoch)

    progress = Progress()
    if args.resume:
        try:
            progress = resume(run)
        except (FileNotFoundError, ValueError) as exc:
            return fail(rep, str(exc))
    rep.log(
        f"{len(data['train'][1])} training, {len(data['val'][1])} validation, {len(data['test'][1])} test images; "
        f"{steps_per_epoch} steps per epoch on {workers.world_size} process(es), {device}, {precision}"
    )
    model.train()
    for epoch in range(progress.epoch, args.epochs):
        if not train_one_epoch(run, progress, epoch):
            if workers.is_main:
                path = save(run, progress, f"epoch-{epoch:03d}-stopped.pt", {})
                rep.checkpoint(path, progress.step)
                rep.log(f"stop requested: saved {path.name}; resume with --resume {path}")
            rep.end("cancelled", {"epochs": epoch, "step": progress.step})
            return 0
        if not end_of_epoch(run, progress):
            break
    test_once(run, progress)
    return 0


def mixed_precision(choice: str, device: torch.device) -> tuple[str, Callable, torch.amp.GradScaler]:
    """The precision to train in, a context that switches it on, and the fp16 gradient scaler."""
    precision = choice
    if precision == "auto":
        precision = "fp32" if device.type == "cpu" else ("bf16" if torch.cuda.is_bf16_supported() else "fp16")
    amp_dtype = {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}[precision]

    def autocast():
        # Inside autocast, convolutions and matrix products run in 16 bits (tensor cores);
        # reductions such as the loss stay in fp32.
        return torch.autocast(device.type, dtype=amp_dtype, enabled=amp_dtype is not None)

    # fp16 can underflow small gradients to zero: scale the loss up before backward, the
    # gradients down before the step. bf16 has fp32's exponent range and needs no scaling.
    scaler = torch.amp.GradScaler(device.type, enabled=amp_dtype is torch.float16)
    return precision, autocast, scaler


def train_one_epoch(run: Run, progress: Progress, epoch: int) -> bool:
    """One pass over the training split; False when a stop was requested (`progress` says where)."""
    args, rep, device = run.args, run.rep, run.workers.device
    x_train, y_train = run.data["train"]
    started = time.perf_counter()
    loss_sum = torch.zeros((), device=device)  # summed on the device: no GPU->CPU sync per step
    correct = torch.zeros((), device=device)
    seen = 0
    log_every = max(1, run.steps_per_epoch // 50)  # ~50 points per epoch on the live plot
    warmup_steps = int(args.warmup_epochs * run.steps_per_epoch)
    batches = batch_indices(len(y_train), args.batch_size, epoch, args.seed, run.workers)
    for i in range(progress.batches_done, len(batches)):  # a resumed run skips what was done
        if run.workers.any(rep.stop_requested):
            progress.batches_done = i
            return False
        lr = learning_rate(progress.step, run.total_steps, args.lr, warmup_steps, args.schedule)
        for group in run.optimizer.param_groups:
            group["lr"] = lr
        xb, yb = x_train[batches[i]], y_train[batches[i]]
        with run.autocast():
            logits = run.model(xb)
            loss = F.cross_entropy(logits, yb)
        run.optimizer.zero_grad(set_to_none=True)
        run.scaler.scale(loss).backward()  # DDP averages the gradients of all processes here
        run.scaler.step(run.optimizer)
        run.scaler.update()
        progress.step += 1
        loss_sum += loss.detach() * len(yb)
        correct += (logits.argmax(dim=1) == yb).sum()
        seen += len(yb)
        if progress.step % log_every == 0 or i == len(batches) - 1:
            rep.metrics(
                progress.step,
                {"train/loss": loss_sum.item() / seen, "train/acc": correct.item() / seen, "lr": lr},
                epoch=epoch + (i + 1) / len(batches),
            )
            rep.progress(progress.step, run.total_steps)
            loss_sum.zero_(), correct.zero_()
            seen = 0
    if device.type == "cuda":
        torch.cuda.synchronize()
    progress.epoch_times.append(time.perf_counter() - started)
    progress.epoch, progress.batches_done = epoch + 1, 0
    return True


def end_of_epoch(run: Run, progress: Progress) -> bool:
    """Validate, checkpoint, and say whether to go on (False: early stop)."""
    args, rep = run.args, run.rep
    seconds = progress.epoch_times[-1]
    val = evaluate(run.net, *run.data["val"], run.workers, run.autocast)
    improved = val["acc"] > progress.best_acc
    if improved:
        progress.best_acc, progress.best_epoch, progress.stale = val["acc"], progress.epoch, 0
        progress.best_weights = {k: v.clone() for k, v in run.net.state_dict().items()}
    else:
        progress.stale += 1
    values = {
        "val/loss": val["loss"],
        "val/acc": val["acc"],
        "time/epoch_s": seconds,
        "time/images_per_s": run.steps_per_epoch * args.batch_size / seconds,
    }
    rep.metrics(progress.step, values, epoch=progress.epoch)
    rep.log(f"epoch {progress.epoch}/{args.epochs}: {seconds:.1f} s, val/acc {val['acc']:.4f}" + (" (best)" if improved else ""))
    if run.workers.is_main:
        path = save(run, progress, f"epoch-{progress.epoch:03d}.pt", values)
        rep.checkpoint(path, progress.step, values)
        if improved:
            save(run, progress, BEST_NAME, values)
    if args.patience and progress.stale >= args.patience:
        rep.log(f"early stop: no better val/acc for {args.patience} epochs (best {progress.best_acc:.4f} at epoch {progress.best_epoch})")
        return False
    return True


def test_once(run: Run, progress: Progress) -> None:
    """The test set, once, with the best weights (by validation accuracy); then the run's summary."""
    if progress.best_weights is not None:
        run.net.load_state_dict(progress.best_weights)
    x_test, y_test = run.data["test"]
    test = evaluate(run.net, x_test, y_test, run.workers, run.autocast)
    summary = {
        "test/acc": test["acc"],
        "test/loss": test["loss"],
        "val/acc": max(progress.best_acc, 0.0),
        "best_epoch": progress.best_epoch,
        "epochs": progress.epoch,
    }
    if progress.epoch_times:
        summary["time/epoch_s"] = sum(progress.epoch_times) / len(progress.epoch_times)
    run.rep.metrics(progress.step, {"test/acc": test["acc"], "test/loss": test["loss"]})
    run.rep.artifact("confusion matrix (test set)", confusion_matrix_text(test["confusion"]))
    run.rep.artifact("misclassified digits", misclassified_text(run.data["test_raw"], y_test, test, run.workers))
    run.rep.end("ok", summary)


# ----------------------------------------------------------------------------- checkpoints


def save(run: Run, progress: Progress, name: str, metrics: dict) -> Path:
    """Weights, optimizer and `progress` (with the random state) in checkpoints/`name`."""
    extra = {
        "batches_done": progress.batches_done,
        "step": progress.step,
        "best_val_acc": progress.best_acc,
        "best_epoch": progress.best_epoch,
        "epochs_without_gain": progress.stale,
        "rng": torch.get_rng_state(),  # dropout masks continue as if never interrupted
        "cuda_rng": torch.cuda.get_rng_state() if torch.cuda.is_initialized() else None,
        # fp16's loss scale is training state, as Adam's moments are (empty when not in fp16).
        "scaler": run.scaler.state_dict(),
        "normalise": list(run.data["normalise"]),
        "params": vars(run.args),
    }
    return save_checkpoint(run.checkpoint_dir / name, run.net, run.optimizer, progress.epoch, metrics, extra)


def resume(run: Run) -> Progress:
    """Weights, optimizer moments, the schedule's position and the best so far, from --resume."""
    device = run.workers.device
    path = checkpoint_to_resume(LAB, run.args.resume, run.run_dir)
    state = load_checkpoint(path, run.net, run.optimizer, map_location=device)
    extra = state["extra"]
    progress = Progress(
        epoch=state["epoch"],
        batches_done=extra["batches_done"],
        step=extra["step"],
        best_acc=extra["best_val_acc"],
        best_epoch=extra["best_epoch"],
        stale=extra["epochs_without_gain"],
    )
    torch.set_rng_state(extra["rng"].cpu())  # map_location may have moved it to the GPU
    if extra.get("scaler"):  # an fp16 run's scale; older checkpoints and other precisions have none
        run.scaler.load_state_dict(extra["scaler"])
    if device.type == "cuda" and extra.get("cuda_rng") is not None:
        torch.cuda.set_rng_state(extra["cuda_rng"].cpu())
    # The best weights so far live in best.pt next to the checkpoint we resume from.
    best_file = path.parent / BEST_NAME
    if best_file.is_file():
        progress.best_weights = load_checkpoint(best_file, map_location=device)["model"]
        if run.workers.is_main and best_file.resolve() != (run.checkpoint_dir / BEST_NAME).resolve():
            shutil.copyfile(best_file, run.checkpoint_dir / BEST_NAME)
    run.rep.log(f"resumed from {path} at epoch {progress.epoch}" + (f", batch {progress.batches_done}" if progress.batches_done else ""))
    return progress


if __name__ == "__main__":
    code = main()
    if under_torchrun():
        # Every event is written and the process group is gone: leave without running C++
        # destructors, where a gloo thread still winding down can abort a rank on a busy machine
        # ("terminate called without an active exception") after a run that finished well.
        sys.stdout.flush(), sys.stderr.flush()
        os._exit(code)
    sys.exit(code)
