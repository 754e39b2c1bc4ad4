"""Domain A: mathematical foundations."""

import math

import numpy as np


def _centred(f, x, h=1e-6):
    """Centred finite difference, rounded to hide O(h²) and round-off noise."""
    return round((f(x + h) - f(x - h)) / (2 * h), 6)


def _sigmoid(z):
    return 1.0 / (1.0 + math.exp(-z))


def _entropy(p, base=math.e):
    p = np.asarray(p, dtype=float)
    p = p[p > 0]
    return float(-(p * np.log(p)).sum() / np.log(base))


def _cross_entropy(p, q):
    p, q = np.asarray(p, dtype=float), np.asarray(q, dtype=float)
    return float(-(p * np.log(q)).sum())


def _kl(p, q):
    p, q = np.asarray(p, dtype=float), np.asarray(q, dtype=float)
    return float((p * np.log(p / q)).sum())


_DIE = np.arange(1, 7)


def _sum_variance_exact():
    """Var(sum of 100 w_i * x_i) by exact enumeration, without using variance additivity.

    Take w_i = +-0.1 (variance 0.01) and x_i = +-1 (variance 1), independent and symmetric:
    each product is +-0.1 with probability 1/2, so the sum is 0.1 * (2k - 100) with
    k ~ Binomial(100, 1/2). Its variance is computed from the exact distribution.
    """
    n = 100
    ks = np.arange(n + 1)
    pmf = np.array([math.comb(n, k) for k in ks], dtype=float) / 2.0**n
    s = 0.1 * (2 * ks - n)
    mean = float((pmf * s).sum())
    return round(float((pmf * (s - mean) ** 2).sum()), 9)


ANSWERS = {
    # A/01 linear algebra
    "linear-algebra/dense-params": lambda: 784 * 128 + 128,
    "linear-algebra/matmul-flops": lambda: np.prod([32, 128, 784]),
    "linear-algebra/dot-product": lambda: float(np.dot([1, 2, 3], [4, -5, 6])),
    # A/02 calculus and the chain rule (numerical derivatives, independent of the chain rule)
    "calculus-chain-rule/chain-square": lambda: _centred(lambda x: (3 * x + 1) ** 2, 2.0),
    "calculus-chain-rule/sin-square": lambda: round(_centred(lambda x: math.sin(x**2), 1.0), 3),
    "calculus-chain-rule/partial": lambda: _centred(lambda y: 2.0**2 * y + 3 * y, 1.0),
    "calculus-chain-rule/sigmoid-derivative": lambda: _centred(_sigmoid, 0.0),
    # A/03 probability
    "probability/bayes-test": lambda: round((0.99 * 0.01) / (0.99 * 0.01 + 0.05 * (1 - 0.01)), 3),
    "probability/die-mean": lambda: float(_DIE.mean()),
    "probability/die-variance": lambda: round(float(_DIE.var()), 3),
    # population variance of a 0/1 population with 30% ones (mean computed, not assumed)
    "probability/bernoulli-variance": lambda: round(float(np.var([1.0] * 3 + [0.0] * 7)), 2),
    "probability/sum-variance": _sum_variance_exact,
    # A/04 information theory
    "information-theory/entropy-die": lambda: _entropy([0.25] * 4, base=2),
    "information-theory/entropy-skewed": lambda: _entropy([0.5, 0.25, 0.25], base=2),
    "information-theory/ce-onehot": lambda: round(_cross_entropy([1, 0, 0], [0.7, 0.2, 0.1]), 3),
    "information-theory/kl-coin": lambda: round(_kl([0.5, 0.5], [0.9, 0.1]), 3),
    "information-theory/ce-coin": lambda: round(_cross_entropy([0.5, 0.5], [0.9, 0.1]), 3),
    # A/05 numerical stability
    "numerical-stability/lse": lambda: round(float(np.logaddexp.reduce([1000.0, 1001.0, 1002.0])), 3),
    "numerical-stability/softmax-max": lambda: round(float(np.exp(1002.0 - np.logaddexp.reduce([1000.0, 1001.0, 1002.0]))), 3),
    "numerical-stability/exp-overflow-float32": lambda: round(float(np.log(np.finfo(np.float32).max.astype(np.float64))), 1),
    "numerical-stability/exp-overflow-float64": lambda: round(float(np.log(np.finfo(np.float64).max)), 1),
}

NOT_COMPUTABLE: dict[str, str] = {}
