"""EXERCISE: write the forward pass, the backward pass and the momentum update of an MLP.

    x (N, inputs) -> [Linear -> ReLU] x (hidden layers) -> Linear -> logits (N, classes)
    loss = softmax cross-entropy of the logits against the labels   (given below)

Three methods are left to you, marked TODO: `MLP.forward`, `MLP.backward` and `MLP.step`.
Everything else is written. Keep the names and signatures: the grader calls them.

Check your work with the grader: press g in dltui's Labs area (numpy-mlp highlighted).

It runs shape tests, compares values with a reference on tiny data, runs a numerical gradient
check on your backward(), checks two momentum steps, and trains a tiny problem. When it passes,
train your network on the real digits: run numpy-mlp with mlp_file set to this file (r in the
Labs area, or  dltui lab run numpy-mlp -p mlp_file=path/to/this/mlp.py).

Hints, in order of need:
  * Linear layer: z = a @ W + b, with a (N, fan_in), W (fan_in, fan_out), b (fan_out,).
  * ReLU: relu(z) = max(z, 0); its slope is 1 where z > 0 and 0 elsewhere.
  * Going back through z = a @ W + b, given g = dL/dz (N, fan_out):
        dL/dW = a.T @ g      dL/db = g summed over the batch      dL/da = g @ W.T
  * Momentum: v = momentum * v - lr * gradient;  then parameter += v.
"""

from __future__ import annotations

import numpy as np


def he_init(fan_in: int, fan_out: int, rng: np.random.Generator, dtype=np.float32) -> np.ndarray:
    """Weights drawn from N(0, 2 / fan_in): keeps the activations' variance steady through ReLUs."""
    return (rng.standard_normal((fan_in, fan_out)) * np.sqrt(2.0 / fan_in)).astype(dtype)


def softmax_cross_entropy(logits: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean cross-entropy of softmax(logits) against integer labels, and dL/dlogits (given).

    Subtracting each row's maximum before exp() (the log-sum-exp trick) avoids overflow.
    """
    n = logits.shape[0]
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -log_probs[np.arange(n), labels].mean()
    dlogits = np.exp(log_probs)  # softmax probabilities ...
    dlogits[np.arange(n), labels] -= 1.0  # ... minus the one-hot labels
    return float(loss), dlogits / n


class MLP:
    """Fully connected ReLU network. `sizes` = [inputs, hidden..., classes], e.g. [784, 256, 10]."""

    def __init__(self, sizes: list[int], seed: int = 0, dtype=np.float32):
        rng = np.random.default_rng(seed)
        self.sizes = list(sizes)
        # self.W[i] has shape (sizes[i], sizes[i+1]); self.b[i] has shape (sizes[i+1],)
        self.W = [he_init(m, n, rng, dtype) for m, n in zip(sizes[:-1], sizes[1:])]
        self.b = [np.zeros(n, dtype=dtype) for n in sizes[1:]]
        # One velocity per parameter, for momentum (same shapes as W and b).
        self.vW = [np.zeros_like(W) for W in self.W]
        self.vb = [np.zeros_like(b) for b in self.b]

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Return the logits (N, classes) for inputs x (N, inputs).

        Also remember what backward() will need, in two lists:
          self.inputs[i]          the input `a` of layer i (x itself for layer 0)
          self.pre_activations[i] the value z of hidden layer i before its ReLU
        The last layer has no ReLU: return its z as the logits.
        """
        self.inputs = []
        self.pre_activations = []
        # TODO: loop over the layers (zip(self.W, self.b)); for each one store its input,
        # compute z = a @ W + b, and unless it is the last layer store z and apply the ReLU.
        raise NotImplementedError("TODO: write MLP.forward")

    def backward(self, dlogits: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Given dL/dlogits (N, classes) from the last forward call, return (dW, db):
        lists with the gradient of every weight matrix and bias vector, same shapes as W and b."""
        dW = [np.zeros_like(W) for W in self.W]
        db = [np.zeros_like(b) for b in self.b]
        # TODO: walk the layers from the last to the first. With grad = dL/dz of the layer:
        #   dW[i] from self.inputs[i] and grad;  db[i] by summing grad over the batch;
        #   then (except for layer 0) send grad back through W[i], and through the ReLU of
        #   the layer below using self.pre_activations[i - 1].
        raise NotImplementedError("TODO: write MLP.backward")

    def step(self, dW: list[np.ndarray], db: list[np.ndarray], lr: float, momentum: float = 0.9, weight_decay: float = 0.0) -> None:
        """Update every W and b in place with SGD + momentum.

        For each parameter p with gradient g and velocity v (self.vW / self.vb):
            v = momentum * v - lr * g        (for weights, g includes weight_decay * W)
            p = p + v
        Biases get no weight decay. Update the arrays in place (+=), do not replace the lists.
        """
        # TODO: write the update for every layer i.
        raise NotImplementedError("TODO: write MLP.step")

    def predict(self, x: np.ndarray, batch_size: int = 2048) -> np.ndarray:
        """Predicted class per row (given)."""
        return np.concatenate([self.forward(x[i : i + batch_size]).argmax(axis=1) for i in range(0, len(x), batch_size)])

    def state(self) -> dict[str, np.ndarray]:
        """Every array needed to resume, by name, for np.savez (given)."""
        state = {"sizes": np.array(self.sizes)}
        for i in range(len(self.W)):
            state.update({f"W{i}": self.W[i], f"b{i}": self.b[i], f"vW{i}": self.vW[i], f"vb{i}": self.vb[i]})
        return state

    def load_state(self, state) -> None:
        """Load arrays saved by state() (given)."""
        if list(state["sizes"]) != self.sizes:
            raise ValueError(f"checkpoint is for layer sizes {list(state['sizes'])}, this network has {self.sizes}")
        for i in range(len(self.W)):
            self.W[i][...], self.b[i][...] = state[f"W{i}"], state[f"b{i}"]
            self.vW[i][...], self.vb[i][...] = state[f"vW{i}"], state[f"vb{i}"]
