"""A multi-layer perceptron in plain NumPy: forward, backward and a momentum update, by hand.

    x (N, 784) -> [Linear -> ReLU] x (hidden layers) -> Linear -> logits (N, 10)
    loss = softmax cross-entropy of the logits against the labels

This file is also the reference solution of the exercise in exercise/mlp.py: grade.py checks a
learner's version against the same interface (MLP.forward, MLP.backward, MLP.step).
"""

from __future__ import annotations

import numpy as np


def he_init(fan_in: int, fan_out: int, rng: np.random.Generator, dtype=np.float32) -> np.ndarray:
    """Weights drawn from N(0, 2 / fan_in) (He et al., 2015).

    A ReLU zeroes half its inputs on average; the factor 2 makes up for that, so the variance of
    the activations stays about the same from layer to layer instead of shrinking or exploding.
    """
    return (rng.standard_normal((fan_in, fan_out)) * np.sqrt(2.0 / fan_in)).astype(dtype)


def softmax_cross_entropy(logits: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean cross-entropy of softmax(logits) against integer labels, and its gradient dL/dlogits.

    exp(1000) overflows, so we use log-sum-exp: subtracting each row's maximum changes no
    probability (it cancels between numerator and denominator) but keeps every exponent <= 0.
    """
    n = logits.shape[0]
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -log_probs[np.arange(n), labels].mean()
    # d(loss)/d(logits) = softmax - one_hot, averaged over the batch
    dlogits = np.exp(log_probs)
    dlogits[np.arange(n), labels] -= 1.0
    return float(loss), dlogits / n


class MLP:
    """Fully connected ReLU network. `sizes` = [inputs, hidden..., classes], e.g. [784, 256, 10]."""

    def __init__(self, sizes: list[int], seed: int = 0, dtype=np.float32):
        rng = np.random.default_rng(seed)
        self.sizes = list(sizes)
        self.W = [he_init(m, n, rng, dtype) for m, n in zip(sizes[:-1], sizes[1:])]
        self.b = [np.zeros(n, dtype=dtype) for n in sizes[1:]]
        # Momentum keeps a running "velocity" per parameter: steps that agree add up,
        # steps that zig-zag cancel out.
        self.vW = [np.zeros_like(W) for W in self.W]
        self.vb = [np.zeros_like(b) for b in self.b]

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Logits (N, classes) for inputs x (N, inputs). Keeps what backward needs."""
        self.inputs = []  # the input of each layer (for dW = input.T @ grad)
        self.pre_activations = []  # z of each hidden layer (ReLU's slope is 1 where z > 0)
        a = x
        last = len(self.W) - 1
        for i, (W, b) in enumerate(zip(self.W, self.b)):
            self.inputs.append(a)
            z = a @ W + b
            if i == last:
                return z  # no ReLU on the output: softmax takes the raw logits
            self.pre_activations.append(z)
            a = np.maximum(z, 0)
        raise AssertionError("unreachable")

    def backward(self, dlogits: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Gradients (dW, db) for every layer, given dL/dlogits of the last forward call."""
        dW = [np.zeros_like(W) for W in self.W]
        db = [np.zeros_like(b) for b in self.b]
        grad = dlogits  # dL/dz of the current layer, starting at the output
        for i in reversed(range(len(self.W))):
            dW[i] = self.inputs[i].T @ grad  # z = a @ W + b  =>  dL/dW = a.T @ dL/dz
            db[i] = grad.sum(axis=0)  # b is added to every row: sum over the batch
            if i > 0:
                grad = grad @ self.W[i].T  # dL/da of the layer below
                grad = grad * (self.pre_activations[i - 1] > 0)  # through ReLU: pass where z > 0
        return dW, db

    def step(self, dW: list[np.ndarray], db: list[np.ndarray], lr: float, momentum: float = 0.9, weight_decay: float = 0.0) -> None:
        """One SGD-with-momentum update, in place: v = momentum * v - lr * g;  param += v."""
        for i in range(len(self.W)):
            # Weight decay adds wd * W to the gradient (an L2 penalty); biases are left alone.
            self.vW[i] = momentum * self.vW[i] - lr * (dW[i] + weight_decay * self.W[i])
            self.vb[i] = momentum * self.vb[i] - lr * db[i]
            self.W[i] += self.vW[i]
            self.b[i] += self.vb[i]

    def predict(self, x: np.ndarray, batch_size: int = 2048) -> np.ndarray:
        """Predicted class per row, computed in chunks to keep memory small."""
        return np.concatenate([self.forward(x[i : i + batch_size]).argmax(axis=1) for i in range(0, len(x), batch_size)])

    def state(self) -> dict[str, np.ndarray]:
        """Every array needed to resume, by name (for np.savez)."""
        state = {"sizes": np.array(self.sizes)}
        for i in range(len(self.W)):
            state.update({f"W{i}": self.W[i], f"b{i}": self.b[i], f"vW{i}": self.vW[i], f"vb{i}": self.vb[i]})
        return state

    def load_state(self, state) -> None:
        if list(state["sizes"]) != self.sizes:
            raise ValueError(f"checkpoint is for layer sizes {list(state['sizes'])}, this network has {self.sizes}")
        for i in range(len(self.W)):
            self.W[i][...], self.b[i][...] = state[f"W{i}"], state[f"b{i}"]
            self.vW[i][...], self.vb[i][...] = state[f"vW{i}"], state[f"vb{i}"]
