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

Beside this file: the network (convnet.py), devices and multiple processes (workers.py), finding
earlier runs' checkpoints (past_runs.py) and the terminal pictures (text_pictures.py).
Resuming with a larger --epochs extends training: the cosine schedule is stretched to the new end.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # the labs folder, for `kit`, when run alone from a shell

import torch
import torch.nn.functional as F
from convnet import ConvNet
from kit.checkpoints import BEST_NAME, load_checkpoint, save_checkpoint
from kit.datasets import DatasetUnavailable, load_mnist
from kit.events import Reporter
from kit.params import parse_lab_args
from past_runs import checkpoint_to_resume
from text_pictures import confusion_matrix_text, images_side_by_side
from workers import DeviceUnavailable, SilentReporter, Workers, relaunch_under_torchrun, start_workers, under_torchrun

LAB = "torch-cnn"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The parameters declared in lab.toml, overridden by the command line (kit/params.py)."""
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
    shard = order[workers.rank::workers.world_size].to(workers.device)  # one copy; the slices are views
    per_process = max(1, batch_size // workers.world_size)
    steps = max(1, len(order) // workers.world_size // per_process)  # equal on every process
    return [shard[i * per_process:(i + 1) * per_process] for i in range(steps)]


# ----------------------------------------------------------------------------- schedule, evaluation


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


@torch.no_grad()
def evaluate(net: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, workers: Workers, autocast, batch: int = 1000) -> dict:
    """Loss, accuracy and confusion matrix of `net` on (x, y), shared out over the processes.

    Each process scores its own slice; the sums are added up across processes at the end.
    `net` is the plain model, not the DDP wrapper: the slices may differ in size, and DDP would
    wait for the same number of forward passes on every process.
    """
    net.eval()
    mine_x, mine_y = x[workers.rank::workers.world_size], y[workers.rank::workers.world_size]
    confusion = torch.zeros(10, 10, dtype=torch.float64, device=x.device)
    loss_sum = torch.zeros(1, dtype=torch.float64, device=x.device)
    predicted, confidence = [], []
    for i in range(0, len(mine_y), batch):
        with autocast():
            logits = net(mine_x[i:i + batch]).float()
        target = mine_y[i:i + batch]
        loss_sum += F.cross_entropy(logits, target, reduction="sum").double()
        probs = logits.softmax(dim=1)
        conf, pred = probs.max(dim=1)
        confusion += torch.bincount(target * 10 + pred, minlength=100).view(10, 10).double()
        predicted.append(pred)
        confidence.append(conf)
    workers.sum(confusion)
    workers.sum(loss_sum)
    net.train()
    total = confusion.sum().item()
    return {
        "loss": loss_sum.item() / max(total, 1),
        "acc": confusion.trace().item() / max(total, 1),
        "confusion": confusion.long().cpu(),
        # this process's slice only: enough to pick a few mistakes to show
        "predicted": torch.cat(predicted).cpu() if predicted else torch.zeros(0, dtype=torch.long),
        "confidence": torch.cat(confidence).float().cpu() if confidence else torch.zeros(0),
    }


def misclassified_text(raw_images, labels: torch.Tensor, result: dict, workers: Workers, count: int = 6) -> str:
    """The `count` mistakes the model was most sure about, drawn with shade characters."""
    mine = torch.arange(workers.rank, len(labels), workers.world_size)
    truth = labels.cpu()[mine]
    wrong = (result["predicted"] != truth).nonzero().flatten()
    wrong = wrong[result["confidence"][wrong].argsort(descending=True)][:count]
    if len(wrong) == 0:
        return "(no mistakes)"
    images = [raw_images[int(mine[i])] for i in wrong]
    captions = [f"{int(truth[i])} → said {int(result['predicted'][i])} {result['confidence'][i]:.0%}" for i in wrong]
    return "true digit → what the model said, and how sure it was\n" + images_side_by_side(images, captions)


# ----------------------------------------------------------------------------- checkpoints


def training_state(epoch: int, batches_done: int, step: int, best: dict, args, normalise) -> dict:
    """What, beside weights and optimizer, a resumed run needs to carry on exactly."""
    return {
        "batches_done": batches_done,  # within `epoch` (0 at an epoch boundary)
        "step": step,
        "best_val_acc": best["acc"],
        "best_epoch": best["epoch"],
        "epochs_without_gain": best["stale"],
        "rng": torch.get_rng_state(),  # dropout masks continue as if never interrupted
        "cuda_rng": torch.cuda.get_rng_state() if torch.cuda.is_initialized() else None,
        "normalise": list(normalise),
        "params": vars(args),
    }


# ----------------------------------------------------------------------------- the run


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


def train(args: argparse.Namespace, workers: Workers, rep) -> int:
    device = workers.device
    if args.threads > 0:
        # Every CPU operation is split over this many threads, which wait for each other at its
        # end: if another program holds one of the cores, all of them wait for it.
        torch.set_num_threads(args.threads)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True  # try the conv algorithms once, keep the fastest
    precision = args.precision
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

    rep.start(params={**vars(args), "world_size": workers.world_size, "precision": precision}, device=str(device))
    if device.type == "cuda":
        rep.log(f"GPU: {torch.cuda.get_device_name(device)}, precision {precision}")
    run_dir = Path(workers.share(str(rep.run_dir) if workers.is_main else None))  # only rank 0 chose it
    checkpoint_dir = run_dir / "checkpoints"

    try:
        data = load_data(args.val_size, args.seed, device)
    except DatasetUnavailable as exc:
        rep.log(str(exc), level="error")
        print(f"error: {exc}", file=sys.stderr)
        rep.end("failed", {"error": "MNIST not available"})
        return 2
    x_train, y_train = data["train"]
    x_val, y_val = data["val"]
    x_test, y_test = data["test"]

    # channels_last (pixels stored as HWC) lets the CPU and tensor-core convolution kernels run
    # without reshuffling memory; the maths is unchanged.
    net = ConvNet().to(device, memory_format=torch.channels_last)
    model = net
    if workers.distributed:
        model = torch.nn.parallel.DistributedDataParallel(net, device_ids=[device.index] if device.type == "cuda" else None)
    optimizer = torch.optim.AdamW(net.parameters(), lr=args.lr, weight_decay=args.weight_decay)

    steps_per_epoch = len(batch_indices(len(y_train), args.batch_size, 0, args.seed, workers))
    total_steps = args.epochs * steps_per_epoch
    warmup_steps = int(args.warmup_epochs * steps_per_epoch)
    log_every = max(1, steps_per_epoch // 50)  # ~50 points per epoch on the live plot

    # --- resume: weights, optimizer moments, where we were in the schedule, the best so far
    start_epoch, skip_batches, step = 0, 0, 0
    best = {"acc": -1.0, "epoch": 0, "stale": 0, "weights": None}
    if args.resume:
        try:
            path = checkpoint_to_resume(LAB, args.resume, run_dir)
            state = load_checkpoint(path, net, optimizer, map_location=device)
        except (FileNotFoundError, ValueError) as exc:
            rep.log(str(exc), level="error")
            print(f"error: {exc}", file=sys.stderr)
            rep.end("failed", {"error": str(exc)})
            return 2
        extra = state["extra"]
        start_epoch, skip_batches, step = state["epoch"], extra["batches_done"], extra["step"]
        best.update(acc=extra["best_val_acc"], epoch=extra["best_epoch"], stale=extra["epochs_without_gain"])
        torch.set_rng_state(extra["rng"].cpu())  # map_location may have moved it to the GPU
        if device.type == "cuda" and extra.get("cuda_rng") is not None:
            torch.cuda.set_rng_state(extra["cuda_rng"].cpu())
        # The best weights so far live in best.pt next to the checkpoint we resume from.
        best_file = path.parent / BEST_NAME
        if best_file.is_file():
            best["weights"] = load_checkpoint(best_file, map_location=device)["model"]
            if workers.is_main and best_file.resolve() != (checkpoint_dir / BEST_NAME).resolve():
                shutil.copyfile(best_file, checkpoint_dir / BEST_NAME)
        rep.log(f"resumed from {path} at epoch {start_epoch}" + (f", batch {skip_batches}" if skip_batches else ""))

    def save(name: str, epoch: int, batches_done: int, metrics: dict) -> Path:
        extra = training_state(epoch, batches_done, step, best, args, data["normalise"])
        return save_checkpoint(checkpoint_dir / name, net, optimizer, epoch, metrics, extra)

    rep.log(f"{len(y_train)} training, {len(y_val)} validation, {len(y_test)} test images; "
            f"{steps_per_epoch} steps per epoch on {workers.world_size} process(es), {device}, {precision}")
    epoch_times = []
    stopped = False
    model.train()
    for epoch in range(start_epoch, args.epochs):
        started = time.perf_counter()
        loss_sum = torch.zeros((), device=device)  # summed on the device: no GPU->CPU sync per step
        correct = torch.zeros((), device=device)
        seen = 0
        batches = batch_indices(len(y_train), args.batch_size, epoch, args.seed, workers)
        for i, idx in enumerate(batches):
            if i < skip_batches:
                continue  # done before the interruption we resume from
            if workers.any(rep.stop_requested):
                stopped = True
                break
            lr = learning_rate(step, total_steps, args.lr, warmup_steps, args.schedule)
            for group in optimizer.param_groups:
                group["lr"] = lr
            xb, yb = x_train[idx], y_train[idx]
            with autocast():
                logits = model(xb)
                loss = F.cross_entropy(logits, yb)
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()  # DDP averages the gradients of all processes here
            scaler.step(optimizer)
            scaler.update()
            step += 1
            loss_sum += loss.detach() * len(yb)
            correct += (logits.argmax(dim=1) == yb).sum()
            seen += len(yb)
            if step % log_every == 0 or i == len(batches) - 1:
                rep.metrics(step, {"train/loss": loss_sum.item() / seen, "train/acc": correct.item() / seen, "lr": lr},
                            epoch=epoch + (i + 1) / len(batches))
                rep.progress(step, total_steps)
                loss_sum.zero_(), correct.zero_()
                seen = 0
        if stopped:
            if workers.is_main:  # `i` batches of this epoch were done before the stop
                path = save(f"epoch-{epoch:03d}-stopped.pt", epoch, i, {})
                rep.checkpoint(path, step)
                rep.log(f"stop requested: saved {path.name}; resume with --resume {path}")
            rep.end("cancelled", {"epochs": epoch, "step": step})
            return 0
        skip_batches = 0

        # --- end of epoch: validate, checkpoint, decide whether to go on
        if device.type == "cuda":
            torch.cuda.synchronize()
        seconds = time.perf_counter() - started
        epoch_times.append(seconds)
        val = evaluate(net, x_val, y_val, workers, autocast)
        improved = val["acc"] > best["acc"]
        if improved:
            best.update(acc=val["acc"], epoch=epoch + 1, stale=0, weights={k: v.clone() for k, v in net.state_dict().items()})
        else:
            best["stale"] += 1
        values = {"val/loss": val["loss"], "val/acc": val["acc"], "time/epoch_s": seconds,
                  "time/images_per_s": len(batches) * args.batch_size / seconds}
        rep.metrics(step, values, epoch=epoch + 1)
        rep.log(f"epoch {epoch + 1}/{args.epochs}: {seconds:.1f} s, val/acc {val['acc']:.4f}" + (" (best)" if improved else ""))
        if workers.is_main:
            path = save(f"epoch-{epoch + 1:03d}.pt", epoch + 1, 0, values)
            rep.checkpoint(path, step, values)
            if improved:
                save(BEST_NAME, epoch + 1, 0, values)
        if args.patience and best["stale"] >= args.patience:
            rep.log(f"early stop: no better val/acc for {args.patience} epochs (best {best['acc']:.4f} at epoch {best['epoch']})")
            break

    # --- the test set, once, with the best weights (by validation accuracy)
    if best["weights"] is not None:
        net.load_state_dict(best["weights"])
    test = evaluate(net, x_test, y_test, workers, autocast)
    summary = {"test/acc": test["acc"], "test/loss": test["loss"], "val/acc": max(best["acc"], 0.0),
               "best_epoch": best["epoch"], "epochs": len(epoch_times) + start_epoch}
    if epoch_times:
        summary["time/epoch_s"] = sum(epoch_times) / len(epoch_times)
    rep.metrics(step, {"test/acc": test["acc"], "test/loss": test["loss"]})
    rep.artifact("confusion matrix (test set)", confusion_matrix_text(test["confusion"]))
    rep.artifact("misclassified digits", misclassified_text(data["test_raw"], y_test, test, workers))
    rep.end("ok", summary)
    return 0


if __name__ == "__main__":
    code = main()
    if under_torchrun():
        # Every event is written and the process group is gone: leave without running C++
        # destructors, where a gloo thread still winding down can abort a rank on a busy machine
        # ("terminate called without an active exception") after a run that finished well.
        sys.stdout.flush(), sys.stderr.flush()
        os._exit(code)
    sys.exit(code)
