"""The NumPy lab's MLP again, in PyTorch: same network, same data, same training recipe.

    python mlp.py --epochs 6                 # compare with: cd ../numpy-mlp && python train.py

    x (N, 784) -> [Linear -> ReLU] x (hidden layers) -> Linear -> logits (N, 10)
    loss = softmax cross-entropy; He initialisation; SGD with momentum; cosine learning rate

What PyTorch takes off your hands, compared with the NumPy version:
- autograd: `loss.backward()` computes every gradient; no backward() written by hand;
- nn.Module keeps the parameters; torch.optim.SGD keeps the momentum buffers;
- F.cross_entropy does the log-sum-exp trick for you.
The data is held as tensors on the device and sliced by a random permutation each epoch, which is
what a DataLoader would do for in-memory data, without the per-batch Python overhead.
The metric keys are the NumPy lab's, so the two runs can be laid over each other; as there, the
test set is scored once, at the end, with the weights of the best validation epoch.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

import torch
import torch.nn.functional as F
from labkit.checkpoints import BEST_NAME, save_checkpoint
from labkit.datasets import DatasetUnavailable, load_mnist
from labkit.events import Reporter
from labkit.params import parse_lab_args
from torch import nn

LAB = "torch-mlp"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The parameters declared in lab.toml, overridden by the command line (labkit/params.py)."""
    return parse_lab_args(HERE / "lab.toml", argv)


class MLP(nn.Module):
    """Fully connected ReLU network; `sizes` = [inputs, hidden..., classes], e.g. [784, 256, 10]."""

    def __init__(self, sizes: list[int]):
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(m, n) for m, n in zip(sizes[:-1], sizes[1:]))
        for layer in self.layers:
            # He initialisation, as in the NumPy lab: N(0, 2 / fan_in) keeps the activations'
            # variance steady through ReLUs. (PyTorch's default would be a uniform, smaller init.)
            nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
            nn.init.zeros_(layer.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.layers[:-1]:
            x = F.relu(layer(x))
        return self.layers[-1](x)  # no ReLU on the output: the loss takes raw logits


def pick_device(choice: str) -> torch.device:
    if choice == "cuda" and not torch.cuda.is_available():
        raise SystemExit("error: --device cuda was asked for, but PyTorch sees no CUDA device here. Use --device cpu.")
    if choice == "cpu" or not torch.cuda.is_available():
        return torch.device("cpu")
    return torch.device("cuda")


def learning_rate(args: argparse.Namespace, step: int, total_steps: int) -> float:
    if args.schedule == "constant":
        return args.lr
    return 0.5 * args.lr * (1 + math.cos(math.pi * min(step / max(total_steps, 1), 1.0)))


@torch.no_grad()
def evaluate(model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch: int = 4096) -> tuple[float, float]:
    """Mean loss and accuracy over a whole set."""
    loss, correct = 0.0, 0
    for i in range(0, len(y), batch):
        logits = model(x[i : i + batch])
        loss += F.cross_entropy(logits, y[i : i + batch], reduction="sum").item()
        correct += (logits.argmax(dim=1) == y[i : i + batch]).sum().item()
    return loss / max(len(y), 1), correct / max(len(y), 1)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    device = pick_device(args.device)
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    with Reporter(LAB) as rep:
        rep.start(vars(args), device=str(device))
        try:
            images, labels = load_mnist("train")
            test_images, test_labels = load_mnist("test")
        except DatasetUnavailable as exc:
            print(f"error: {exc}", file=sys.stderr)
            rep.log(str(exc), level="error")
            rep.end("failed", {"error": "MNIST not available"})
            return 2

        # As in the NumPy lab: the last val_size training images are held out, and the inputs are
        # scaled to mean 0, std 1 with the statistics of the training part.
        n_train = len(images) - min(args.val_size, len(images) // 5)
        mean, std = float(images[:n_train].mean()) / 255.0, float(images[:n_train].std()) / 255.0

        def to_tensors(imgs, labs):
            x = torch.from_numpy(imgs.reshape(len(imgs), -1)).to(device).float().div_(255.0)
            return x.sub_(mean).div_(std), torch.from_numpy(labs.astype("int64")).to(device)

        x_train, y_train = to_tensors(images[:n_train], labels[:n_train])
        x_val, y_val = to_tensors(images[n_train:], labels[n_train:])
        x_test, y_test = to_tensors(test_images, test_labels)

        sizes = [784, *(int(h) for h in args.hidden.split(",") if h.strip()), 10]
        model = MLP(sizes).to(device)
        # Weight decay on the weights only, not the biases (as in the NumPy lab).
        # Note: torch's momentum is v = m*v + g; w -= lr*v. The NumPy lab's v = m*v - lr*g; w += v
        # is the same update while lr is constant, and nearly the same under a slow schedule.
        weights = [p for name, p in model.named_parameters() if name.endswith("weight")]
        biases = [p for name, p in model.named_parameters() if name.endswith("bias")]
        optimizer = torch.optim.SGD(
            [{"params": weights, "weight_decay": args.weight_decay}, {"params": biases, "weight_decay": 0.0}],
            lr=args.lr,
            momentum=args.momentum,
        )
        rep.log(f"{len(y_train)} training, {len(y_val)} validation, {len(y_test)} test images; layers {sizes}; {device}")

        steps_per_epoch = -(-len(y_train) // args.batch_size)  # ceiling division
        total_steps = args.epochs * steps_per_epoch
        report_every = max(1, min(50, steps_per_epoch // 4))
        generator = torch.Generator().manual_seed(args.seed)  # the shuffles, reproducible
        step, best_val, best_epoch, best_weights, epoch_times, summary = 0, -1.0, 0, None, [], {}
        for epoch in range(1, args.epochs + 1):
            started = time.perf_counter()
            order = torch.randperm(len(y_train), generator=generator).to(device)
            loss_sum = torch.zeros((), device=device)  # kept on the device: no sync every step
            correct = torch.zeros((), device=device)
            seen = 0
            for start in range(0, len(y_train), args.batch_size):
                idx = order[start : start + args.batch_size]
                xb, yb = x_train[idx], y_train[idx]
                lr = learning_rate(args, step, total_steps)
                for group in optimizer.param_groups:
                    group["lr"] = lr

                logits = model(xb)  # forward: autograd records every operation
                loss = F.cross_entropy(logits, yb)  # softmax + log-likelihood, numerically stable
                optimizer.zero_grad(set_to_none=True)
                loss.backward()  # backward: fills p.grad for every parameter
                optimizer.step()  # momentum update (and weight decay)

                step += 1
                seen += len(yb)
                loss_sum += loss.detach() * len(yb)
                correct += (logits.argmax(dim=1) == yb).sum()
                if step % report_every == 0:
                    train_loss = loss_sum.item() / seen
                    rep.metrics(
                        step,
                        {"train/loss": train_loss, "train/acc": correct.item() / seen, "lr": lr},
                        epoch=epoch - 1 + (start + len(yb)) / len(y_train),
                    )
                    rep.progress(step, total_steps)
                    if not math.isfinite(train_loss):
                        rep.log(f"the loss became {train_loss}: try a smaller --lr", "error")
                        rep.end("failed", {"error": "loss diverged", "step": step})
                        return 1
                    loss_sum.zero_(), correct.zero_()
                    seen = 0
                if rep.stop_requested:  # SIGTERM: keep what we have, then stop
                    path = save_checkpoint(
                        rep.checkpoint_dir / f"stopped-step-{step}.pt", model, optimizer, epoch - 1, {}, {"step": step, "sizes": sizes}
                    )
                    rep.checkpoint(path, step)
                    rep.end("cancelled", {**summary, "step": step})
                    return 0

            if device.type == "cuda":
                torch.cuda.synchronize()
            epoch_times.append(time.perf_counter() - started)
            val_loss, val_acc = evaluate(model, x_val, y_val)
            values = {"val/loss": val_loss, "val/acc": val_acc, "time/epoch_s": epoch_times[-1]}
            rep.metrics(step, values, epoch=epoch)
            rep.progress(step, total_steps)
            rep.log(f"epoch {epoch}/{args.epochs}: {epoch_times[-1]:.2f} s, val/acc {val_acc:.4f}")
            extra = {"step": step, "sizes": sizes, "normalise": [mean, std]}
            path = save_checkpoint(rep.checkpoint_dir / f"epoch-{epoch}.pt", model, optimizer, epoch, values, extra)
            rep.checkpoint(path, step, {"val/acc": val_acc})
            if val_acc > best_val:
                best_val, best_epoch = val_acc, epoch
                best_weights = {k: v.clone() for k, v in model.state_dict().items()}
                save_checkpoint(rep.checkpoint_dir / BEST_NAME, model, optimizer, epoch, values, extra)
            summary = {"val/acc": val_acc, "best_val/acc": best_val, "epochs": epoch, "time/epoch_s": sum(epoch_times) / len(epoch_times)}

        if best_weights is not None:
            # The test set, once: the weights of the best validation epoch, scored on unseen digits.
            model.load_state_dict(best_weights)
            test_loss, test_acc = evaluate(model, x_test, y_test)
            rep.metrics(step, {"test/loss": test_loss, "test/acc": test_acc}, epoch=args.epochs)
            summary.update({"test/acc": test_acc, "test/loss": test_loss, "best_epoch": best_epoch})
        rep.end("ok", summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
