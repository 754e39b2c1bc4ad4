"""Numerical gradient check: does backward() compute the true derivative of the loss?

For a parameter entry w, the centred difference

    (L(w + eps) - L(w - eps)) / (2 * eps)

approximates dL/dw with an error of order eps^2 (a one-sided difference is only order eps).
We compare it with what backward() returned, as a relative error

    |analytic - numeric| / max(|analytic|, |numeric|)

which is about 1e-7 or smaller in float64 when backward is right, and near 1 when it is wrong.
Run it in float64: in float32 the rounding noise of L alone is bigger than eps * dL/dw.

Two honest exceptions: entries whose gradient is tiny (both values under `floor`) are judged on
their absolute difference, and an entry whose nudge moves some ReLU input across 0 (its kink,
where no derivative exists) is skipped, since the finite difference there measures a corner.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np


@dataclass
class ParamCheck:
    name: str  # "W0", "b1", ...
    checked: int  # entries compared
    skipped: int  # entries straddling a ReLU kink
    max_rel_error: float
    max_abs_error: float
    passed: bool


def _relu_masks(model) -> list[np.ndarray] | None:
    pre = getattr(model, "pre_activations", None)
    return None if pre is None else [z > 0 for z in pre]


def gradient_check(
    model,
    x: np.ndarray,
    y: np.ndarray,
    loss_fn: Callable,
    eps: float = 1e-5,
    per_param: int = 20,
    tol: float = 1e-5,
    floor: float = 1e-8,
    seed: int = 0,
) -> list[ParamCheck]:
    """Check `per_param` random entries of every weight and bias of `model` (a float64 MLP).

    `loss_fn(logits, labels)` returns (loss, dL/dlogits), e.g. mlp.softmax_cross_entropy.
    """
    rng = np.random.default_rng(seed)
    _, dlogits = loss_fn(model.forward(x), y)
    dW, db = model.backward(dlogits)

    def loss_at() -> tuple[float, list | None]:
        value = loss_fn(model.forward(x), y)[0]
        return value, _relu_masks(model)

    results = []
    for kind, params, grads in (("W", model.W, dW), ("b", model.b, db)):
        for layer, (p, g) in enumerate(zip(params, grads)):
            picks = rng.choice(p.size, size=min(per_param, p.size), replace=False)
            rel_errors, abs_errors, skipped = [0.0], [0.0], 0
            for flat in picks:
                index = np.unravel_index(flat, p.shape)
                original = p[index]
                p[index] = original + eps
                plus, masks_plus = loss_at()
                p[index] = original - eps
                minus, masks_minus = loss_at()
                p[index] = original  # put it back before the next entry
                if masks_plus is not None and any((a != b).any() for a, b in zip(masks_plus, masks_minus)):
                    skipped += 1
                    continue
                numeric = (plus - minus) / (2 * eps)
                analytic = float(g[index])
                diff = abs(analytic - numeric)
                scale = max(abs(analytic), abs(numeric))
                abs_errors.append(diff)
                rel_errors.append(diff / scale if scale > floor else 0.0)
            worst_rel, worst_abs = max(rel_errors), max(abs_errors)
            results.append(
                ParamCheck(f"{kind}{layer}", len(picks) - skipped, skipped, worst_rel, worst_abs, worst_rel < tol and worst_abs < 1e-6)
            )
    model.forward(x)  # leave the model's caches as they were for the unperturbed weights
    return results


def report(results: list[ParamCheck]) -> str:
    """A small table of the results, for the terminal."""
    lines = ["param  checked  skipped  max rel error  max abs error  ok"]
    for r in results:
        lines.append(
            f"{r.name:<6} {r.checked:>7}  {r.skipped:>7}  {r.max_rel_error:>13.2e}  {r.max_abs_error:>13.2e}  {'yes' if r.passed else 'NO'}"
        )
    return "\n".join(lines)
