"""A two-layer network learns XOR, with the forward and backward pass written out by hand.

XOR is the classic problem a single layer cannot solve: no straight line separates
{(0,1), (1,0)} from {(0,0), (1,1)}. One hidden layer bends the space so that a line can.

    input x (4, 2) -> hidden h = act(x @ W1 + b1) (4, H) -> p = sigmoid(h @ W2 + b2) (4, 1)
    loss = binary cross-entropy between p and the targets y

Run alone:  cd labs/numpy-xor && python xor.py --lr 0.5 --activation tanh
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
from labkit.events import Reporter  # the lab kit, installed with dltui
from labkit.params import parse_lab_args

X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
Y = np.array([[0], [1], [1], [0]], dtype=np.float64)


# Each activation comes with its derivative, written in terms of the pre-activation z.
def tanh(z):
    return np.tanh(z)


def tanh_grad(z):
    return 1.0 - np.tanh(z) ** 2


def sigmoid(z):
    # Same as 1 / (1 + exp(-z)), but exp never overflows for large negative z.
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def sigmoid_grad(z):
    s = sigmoid(z)
    return s * (1.0 - s)


def relu(z):
    return np.maximum(z, 0.0)


def relu_grad(z):
    return (z > 0).astype(z.dtype)


ACTIVATIONS = {"tanh": (tanh, tanh_grad), "sigmoid": (sigmoid, sigmoid_grad), "relu": (relu, relu_grad)}


def init_params(hidden: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    # Small random weights break the symmetry: if all hidden units started equal they would
    # get equal gradients and stay copies of each other forever.
    return {
        "W1": rng.normal(0.0, 1.0, size=(2, hidden)),
        "b1": np.zeros(hidden),
        "W2": rng.normal(0.0, 1.0 / np.sqrt(hidden), size=(hidden, 1)),
        "b2": np.zeros(1),
    }


def forward(params: dict, x: np.ndarray, activation: str) -> dict[str, np.ndarray]:
    """Run the network and keep every intermediate value: backward needs them."""
    act, _ = ACTIVATIONS[activation]
    z1 = x @ params["W1"] + params["b1"]  # (N, H) pre-activation of the hidden layer
    h = act(z1)  # (N, H) hidden features
    z2 = h @ params["W2"] + params["b2"]  # (N, 1) logit
    p = sigmoid(z2)  # (N, 1) probability that the answer is 1
    return {"x": x, "z1": z1, "h": h, "z2": z2, "p": p}


def bce_loss(p: np.ndarray, y: np.ndarray) -> float:
    p = np.clip(p, 1e-12, 1 - 1e-12)  # log(0) would be -inf
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def backward(params: dict, cache: dict, y: np.ndarray, activation: str) -> dict[str, np.ndarray]:
    """Gradients of the mean binary cross-entropy, one chain-rule step per line."""
    _, act_grad = ACTIVATIONS[activation]
    n = y.shape[0]
    # sigmoid followed by cross-entropy simplifies beautifully: dL/dz2 = p - y (averaged over N)
    dz2 = (cache["p"] - y) / n  # (N, 1)
    dW2 = cache["h"].T @ dz2  # (H, 1): each weight's gradient = its input times the error
    db2 = dz2.sum(axis=0)  # (1,)
    dh = dz2 @ params["W2"].T  # (N, H): send the error back through W2
    dz1 = dh * act_grad(cache["z1"])  # (N, H): and through the activation's slope
    dW1 = cache["x"].T @ dz1  # (2, H)
    db1 = dz1.sum(axis=0)  # (H,)
    return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}


def decision_map(params: dict, activation: str, size: int = 11) -> str:
    """The network's answer over the unit square, drawn in characters (# = 1, . = 0)."""
    ticks = np.linspace(0, 1, size)
    rows = []
    for x2 in ticks[::-1]:  # top row is x2 = 1
        grid = np.stack([ticks, np.full(size, x2)], axis=1)
        p = forward(params, grid, activation)["p"][:, 0]
        rows.append(f"{x2:3.1f} " + " ".join("#" if v > 0.5 else "." for v in p))
    rows.append("    " + " ".join("0" if t == 0 else ("1" if t == 1 else " ") for t in ticks) + "   (x1 across, x2 up)")
    return "\n".join(rows)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The parameters declared in lab.toml, overridden by the command line (labkit/params.py)."""
    return parse_lab_args(HERE / "lab.toml", argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    rng = np.random.default_rng(args.seed)
    params = init_params(args.hidden, rng)
    every = max(1, args.epochs // 100)  # about 100 points on the plot, whatever the length

    with Reporter("numpy-xor") as rep:
        rep.start(vars(args), device="cpu")
        loss = acc = float("nan")
        epoch = 0
        for epoch in range(1, args.epochs + 1):
            cache = forward(params, X, args.activation)
            loss = bce_loss(cache["p"], Y)
            acc = float(np.mean((cache["p"] > 0.5) == Y))
            grads = backward(params, cache, Y, args.activation)
            for name in params:  # plain gradient descent: step downhill
                params[name] -= args.lr * grads[name]

            if epoch % every == 0 or epoch == args.epochs:
                rep.metrics(epoch, {"train/loss": loss, "train/acc": acc, "lr": args.lr}, epoch=epoch)
                rep.progress(epoch, args.epochs, unit="epoch")
            if not np.isfinite(loss):
                rep.log(f"the loss became {loss} at epoch {epoch}: the learning rate {args.lr} is too large", "warning")
                break
            if rep.stop_requested:
                break

        weights = rep.checkpoint_dir / "final.npz"
        np.savez(weights, **params)
        rep.checkpoint(weights, epoch, {"train/acc": acc})

        cache = forward(params, X, args.activation)
        table = ["x1 x2 | target | p(1)  | answer"]
        for x, y, p in zip(X, Y[:, 0], cache["p"][:, 0]):
            table.append(f" {x[0]:.0f}  {x[1]:.0f} |   {y:.0f}    | {p:.3f} |   {int(p > 0.5)}")
        rep.artifact("truth table", "\n".join(table))
        rep.artifact("decision map", decision_map(params, args.activation))
        final_acc = float(np.mean((cache["p"] > 0.5) == Y))
        summary = {"train/loss": bce_loss(cache["p"], Y), "train/acc": final_acc, "epochs": epoch}
        rep.end("cancelled" if rep.stop_requested else "ok", summary)


if __name__ == "__main__":
    main()
