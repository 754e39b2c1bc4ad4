"""Domain B: neural-network fundamentals."""

import math

import numpy as np


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _softmax(o):
    o = np.asarray(o, dtype=float)
    e = np.exp(o - o.max())
    return e / e.sum()


def _gelu_exact(x):
    # x * Phi(x), Phi the standard normal CDF
    return x * 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def _elu(z, alpha=1.0):
    return z if z > 0 else alpha * (math.exp(z) - 1.0)


def _leaky_relu(z, slope=0.01):
    return z if z > 0 else slope * z


def _relu(z):
    return np.maximum(0.0, z)


def _dense_params(sizes):
    return sum(n_in * n_out + n_out for n_in, n_out in zip(sizes[:-1], sizes[1:]))


def _xor_net(x):
    # Goodfellow et al. §6.1: W = [[1, 1], [1, 1]], c = (0, -1), w = (1, -2), b = 0
    W = np.array([[1.0, 1.0], [1.0, 1.0]])
    c = np.array([0.0, -1.0])
    w = np.array([1.0, -2.0])
    return float(_relu(np.asarray(x, dtype=float) @ W + c) @ w)


def _two_layer():
    x = np.array([1.0, 2.0])
    W1 = np.array([[1.0, -1.0], [0.5, 1.0]])
    b1 = np.array([0.0, -1.0])
    w2 = np.array([1.5, -3.0])
    return float(_relu(x @ W1 + b1) @ w2 + 0.5)


def _ce_grad_logits(o, y):
    return _softmax(o) - np.eye(len(o))[y]


def _numeric_grad(f, x, h=1e-6):
    x = np.asarray(x, dtype=float)
    g = np.zeros_like(x)
    for i in range(x.size):
        e = np.zeros_like(x)
        e[i] = h
        g[i] = (f(x + e) - f(x - e)) / (2 * h)
    return g


def _add_mul_grad():
    # f = (x + y) * z at (-2, 5, -4), differentiated numerically
    return _numeric_grad(lambda v: (v[0] + v[1]) * v[2], [-2.0, 5.0, -4.0])


def _sigmoid_neuron_dw0():
    x = np.array([-1.0, -2.0])

    def a(w):
        return float(_sigmoid(w[0] * x[0] + w[1] * x[1] + w[2]))

    return _numeric_grad(a, [2.0, -3.0, -3.0])[0]


def _gd(x, lr, steps):
    for _ in range(steps):
        x = x - lr * 2 * x  # gradient of x**2
    return x


def _divergence_threshold():
    # smallest positive lr with |1 - 2 lr| > 1, found on a fine grid
    lrs = np.arange(1, 300001) / 100000.0
    diverges = np.abs(1 - 2 * lrs) > 1
    return float(lrs[np.argmax(diverges)] - 1 / 100000.0)


def _clip(g, max_norm):
    g = np.asarray(g, dtype=float)
    norm = np.linalg.norm(g)
    return g * (max_norm / norm) if norm > max_norm else g


def _he_std(fan_in):
    return math.sqrt(2.0 / fan_in)


def _uniform_var_to_bound(var):
    # U(-a, a) has variance a**2 / 3
    return math.sqrt(3.0 * var)


ANSWERS = {
    # B/01 perceptrons and activations
    "perceptron-activations/sigmoid-value": lambda: round(float(_sigmoid(-1.0)), 3),
    "perceptron-activations/gelu-value": lambda: round(_gelu_exact(1.0), 3),
    "perceptron-activations/elu-value": lambda: round(_elu(-2.0), 3),
    "perceptron-activations/leaky-value": lambda: _leaky_relu(-5.0),
    # B/02 forward propagation
    "forward-propagation/mlp-params": lambda: _dense_params([784, 256, 10]),
    "forward-propagation/macs": lambda: 784 * 256 + 256 * 10,
    "forward-propagation/two-layer": _two_layer,
    "forward-propagation/xor-off-grid": lambda: _xor_net([2.0, 2.0]),
    # B/03 loss functions
    "loss-functions/softmax-prob": lambda: round(float(_softmax([2.0, 1.0, 0.1])[0]), 3),
    "loss-functions/ce-value": lambda: round(float(-np.log(_softmax([2.0, 1.0, 0.1])[0])), 3),
    "loss-functions/logit-grad": lambda: round(float(_ce_grad_logits([2.0, 1.0, 0.1], 0)[0]), 3),
    "loss-functions/mse": lambda: round(float(np.mean((np.array([2.5, 0.0, 2.0]) - np.array([3.0, -0.5, 2.0])) ** 2)), 3),
    "loss-functions/initial-loss": lambda: round(float(-np.log(_softmax(np.zeros(10))[0])), 3),
    # B/04 backpropagation (numerical gradients as the independent check)
    "backpropagation/add-mul-x": lambda: round(float(_add_mul_grad()[0]), 6),
    "backpropagation/add-mul-z": lambda: round(float(_add_mul_grad()[2]), 6),
    "backpropagation/multiply-gate": lambda: round(float(2.0 * _numeric_grad(lambda v: v[0] * v[1], [3.0, -4.0])[0]), 6),
    "backpropagation/sigmoid-neuron": lambda: round(float(_sigmoid_neuron_dw0()), 3),
    # B/05 gradient descent
    "gradient-descent/one-step": lambda: _gd(10.0, 0.1, 1),
    "gradient-descent/three-steps": lambda: round(_gd(10.0, 0.1, 3), 2),
    "gradient-descent/diverge-threshold": lambda: round(_divergence_threshold(), 6),
    "gradient-descent/steps-per-epoch": lambda: math.ceil(60000 / 128),
    "gradient-descent/noise-scaling": lambda: math.sqrt(512 / 32),
    # B/06 vanishing and exploding gradients
    "vanishing-exploding-gradients/sigmoid-ten-layers": lambda: round(1.0 / float(_sigmoid(0.0) * (1 - _sigmoid(0.0))) ** 10),
    "vanishing-exploding-gradients/growth": lambda: round(1.1**50, 1),
    "vanishing-exploding-gradients/shrink": lambda: round(0.9**50, 3),
    "vanishing-exploding-gradients/clip-norm": lambda: round(float(_clip([3.0, 4.0], 2.5)[0]), 2),
    # B/07 weight initialisation
    "weight-initialization/he-std": lambda: round(_he_std(512), 4),
    "weight-initialization/xavier-bound": lambda: round(_uniform_var_to_bound(2.0 / (784 + 256)), 3),
    "weight-initialization/xavier-variance": lambda: round(2.0 / (300 + 100), 4),
    "weight-initialization/he-conv": lambda: round(_he_std(64 * 3 * 3), 3),
    "weight-initialization/linear-default": lambda: math.sqrt(1.0 / 100),
    # B/08 gradient checking
    "gradient-checking/centred-cube": lambda: round((2.01**3 - 1.99**3) / (2 * 0.01), 4),
    "gradient-checking/forward-cube": lambda: round((2.01**3 - 2.0**3) / 0.01, 4),
    "gradient-checking/relative-error": lambda: float(f"{abs(0.5 - 0.5001) / max(0.5, 0.5001):.1e}"),
    "gradient-checking/cost": lambda: 2 * 1000,
}

NOT_COMPUTABLE: dict[str, str] = {}
