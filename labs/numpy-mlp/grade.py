"""Grade an exercise: is this file's MLP.forward / backward / step right?

    python grade.py --file ~/dltui/data/workspace/numpy-mlp/mlp.py
    python grade.py ~/dltui/data/workspace/numpy-mlp        (the folder: grades its mlp.py)

Runs each check on tiny data, prints PASS / FAIL / SKIP with a hint for every failure, writes
the result as protocol events (the last one: ``end`` with summary {"passed": bool, "checks":
{...}}), and exits 0 when every check passes, 1 otherwise. The reference it compares against is
the bundled mlp.py next to this file; the learner's file is never modified.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import signal
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import gradcheck
import mlp as reference
from labkit.events import Reporter  # the lab kit, installed with dltui

SIZES = [6, 5, 4, 3]  # two hidden layers, so a loop that only works for one layer is caught
CHECK_SECONDS = 20  # a check running longer than this is stuck (an endless loop, say)


class CheckFailed(Exception):
    """A check's verdict, with a message written for the learner."""


@dataclass
class Outcome:
    name: str
    status: str  # "pass" | "fail" | "skip"
    message: str


def tiny_data(n: int = 7, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, SIZES[0])), rng.integers(0, SIZES[-1], size=n)


def load_learner_module(path: Path):
    spec = importlib.util.spec_from_file_location("learner_mlp", path)
    if spec is None or spec.loader is None:
        raise CheckFailed(f"cannot import {path}: is it a Python (.py) file?")
    module = importlib.util.module_from_spec(spec)
    sys.modules["learner_mlp"] = module  # as a normal import would (dataclasses need it)
    try:
        spec.loader.exec_module(module)
    except SyntaxError as exc:
        raise CheckFailed(f"syntax error at line {exc.lineno}: {exc.msg}\n    {(exc.text or '').rstrip()}") from None
    except BaseException as exc:  # SystemExit too: the file must import cleanly
        raise CheckFailed(f"importing the file raised {type(exc).__name__}: {exc}") from None
    if not isinstance(getattr(module, "MLP", None), type):
        raise CheckFailed("the file defines no class MLP (keep the class name from the template)")
    return module


def call(what: str, fn: Callable, *args, **kwargs):
    """Call learner code; turn its exceptions into a message pointing at the learner's line."""
    try:
        return fn(*args, **kwargs)
    except NotImplementedError as exc:
        raise CheckFailed(f"{what} is not written yet ({exc})") from None
    except CheckFailed:
        raise
    except Exception as exc:
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename != __file__]
        where = f" (line {frames[-1].lineno}: {frames[-1].line})" if frames else ""
        raise CheckFailed(f"{what} raised {type(exc).__name__}: {exc}{where}") from None


def twins(learner_module, dtype=np.float64):
    """A learner MLP and a reference MLP with identical weights."""
    mine = call("MLP(...)", learner_module.MLP, SIZES, seed=3, dtype=dtype)
    ref = reference.MLP(SIZES, seed=3, dtype=dtype)
    if len(getattr(mine, "W", [])) != len(ref.W):
        raise CheckFailed("MLP.__init__ changed: self.W should hold one weight matrix per layer")
    for i in range(len(ref.W)):
        ref.W[i][...], ref.b[i][...] = mine.W[i], mine.b[i]
    return mine, ref


def relu(z):
    return np.maximum(z, 0)


# ----------------------------------------------------------------------------- the checks


def check_forward_shape(module) -> str:
    x, _ = tiny_data()
    model, _ = twins(module)
    out = call("forward()", model.forward, x)
    if not isinstance(out, np.ndarray):
        raise CheckFailed(f"forward() returned {type(out).__name__}; it should return the logits array")
    if out.shape != (len(x), SIZES[-1]):
        raise CheckFailed(f"forward() returned shape {out.shape}; expected (batch, classes) = {(len(x), SIZES[-1])}")
    if not np.all(np.isfinite(out)):
        raise CheckFailed("forward() returned NaN or infinity on small, well-behaved inputs")
    n_layers = len(SIZES) - 1
    if len(getattr(model, "inputs", [])) != n_layers:
        raise CheckFailed(
            f"self.inputs should hold {n_layers} arrays (the input of each layer); it holds {len(getattr(model, 'inputs', []))}"
        )
    if len(getattr(model, "pre_activations", [])) != n_layers - 1:
        raise CheckFailed(
            f"self.pre_activations should hold {n_layers - 1} arrays (z of each hidden layer); "
            f"it holds {len(getattr(model, 'pre_activations', []))}"
        )
    return f"logits of shape {out.shape}, caches filled"


def check_forward_values(module) -> str:
    x, _ = tiny_data(seed=1)
    model, ref = twins(module)
    out, expected = call("forward()", model.forward, x), ref.forward(x)
    if np.allclose(out, expected, rtol=1e-9, atol=1e-12):
        return "matches the reference"
    # Recognise the usual slips and say which one it is.
    a_no_relu = x
    for W, b in zip(ref.W, ref.b):
        a_no_relu = a_no_relu @ W + b
    a_all_relu = x
    for W, b in zip(ref.W, ref.b):
        a_all_relu = relu(a_all_relu @ W + b)
    if np.allclose(out, a_no_relu):
        raise CheckFailed("the output matches a network with no ReLU at all: apply ReLU after each hidden layer")
    if np.allclose(out, a_all_relu):
        raise CheckFailed("the output has a ReLU on the last layer too: return the last z unchanged (softmax needs raw logits)")
    raise CheckFailed(
        f"logits differ from the reference (largest difference {np.abs(out - expected).max():.3g}); check z = a @ W + b and the ReLU"
    )


def check_backward_shape(module) -> str:
    x, y = tiny_data()
    model, _ = twins(module)
    _, dlogits = reference.softmax_cross_entropy(call("forward()", model.forward, x), y)
    result = call("backward()", model.backward, dlogits)
    if not (isinstance(result, tuple) and len(result) == 2):
        raise CheckFailed("backward() should return a pair (dW, db) of lists")
    dW, db = result
    for name, grads, params in (("dW", dW, model.W), ("db", db, model.b)):
        if len(grads) != len(params):
            raise CheckFailed(f"{name} has {len(grads)} entries; expected one per layer ({len(params)})")
        for i, (g, p) in enumerate(zip(grads, params)):
            if np.shape(g) != p.shape:
                hint = " (sum over the batch axis: axis=0)" if name == "db" else ""
                raise CheckFailed(f"{name}[{i}] has shape {np.shape(g)}; expected {p.shape}, the shape of the parameter{hint}")
    return "one gradient per parameter, shapes match"


def check_backward_values(module) -> str:
    x, y = tiny_data(seed=2)
    model, ref = twins(module)
    _, dlogits = reference.softmax_cross_entropy(call("forward()", model.forward, x), y)
    dW, db = call("backward()", model.backward, dlogits)
    ref.forward(x)
    rW, rb = ref.backward(dlogits)
    for i in reversed(range(len(rW))):  # report the layer closest to the output first
        if not np.allclose(dW[i], rW[i], rtol=1e-7, atol=1e-12):
            if i < len(rW) - 1 and np.allclose(dW[-1], rW[-1]):
                raise CheckFailed(
                    f"dW[{i}] is wrong while the last layer's is right: "
                    "check how grad goes back through W[i] and the ReLU of the layer below"
                )
            raise CheckFailed(
                f"dW[{i}] differs from the reference (largest difference {np.abs(dW[i] - rW[i]).max():.3g}): dL/dW = input.T @ grad"
            )
        if not np.allclose(db[i], rb[i], rtol=1e-7, atol=1e-12):
            if np.allclose(db[i] * len(x), rb[i]):
                raise CheckFailed(f"db[{i}] is the batch mean; sum it over the batch instead (dlogits already divides by N)")
            raise CheckFailed(f"db[{i}] differs from the reference: db is grad summed over the batch (axis=0)")
    return "dW and db match the reference"


def check_gradients(module) -> str:
    x, y = tiny_data(n=9, seed=4)
    model = call("MLP(...)", module.MLP, SIZES, seed=5, dtype=np.float64)
    # Non-zero biases: with zero biases a row whose hidden units are all off sits exactly on a
    # ReLU kink (z = 0), where the finite difference has nothing to measure.
    for b in model.b:
        b[...] = np.random.default_rng(9).normal(0.0, 0.1, size=b.shape)
    results = call("forward()/backward()", gradcheck.gradient_check, model, x, y, reference.softmax_cross_entropy, per_param=30)
    bad = [r for r in results if not r.passed]
    if bad:
        worst = max(bad, key=lambda r: r.max_rel_error)
        raise CheckFailed(
            f"backward() disagrees with centred finite differences for {', '.join(r.name for r in bad)} "
            f"(worst relative error {worst.max_rel_error:.2e} in {worst.name}; below 1e-5 passes)\n" + gradcheck.report(results)
        )
    return f"max relative error {max(r.max_rel_error for r in results):.1e} (below 1e-5 passes)"


def check_momentum_step(module) -> str:
    model, _ = twins(module)
    rng = np.random.default_rng(6)
    W0, b0 = [w.copy() for w in model.W], [b.copy() for b in model.b]
    g1 = [rng.standard_normal(w.shape) for w in W0], [rng.standard_normal(b.shape) for b in b0]
    g2 = [rng.standard_normal(w.shape) for w in W0], [rng.standard_normal(b.shape) for b in b0]
    lr, mu, wd = 0.1, 0.9, 0.01
    call("step()", model.step, *g1, lr=lr, momentum=mu, weight_decay=wd)
    W1 = [w.copy() for w in model.W]
    call("step()", model.step, *g2, lr=lr, momentum=mu, weight_decay=wd)
    for i in range(len(W0)):
        v1 = -lr * (g1[0][i] + wd * W0[i])
        expected_W1 = W0[i] + v1
        expected_W2 = expected_W1 + mu * v1 - lr * (g2[0][i] + wd * expected_W1)
        vb1 = -lr * g1[1][i]
        expected_b2 = b0[i] + vb1 + mu * vb1 - lr * g2[1][i]
        if np.allclose(W1[i], W0[i]):
            raise CheckFailed("step() left the weights unchanged: update self.W[i] in place (self.W[i] += ...)")
        if np.allclose(W1[i], W0[i] + lr * (g1[0][i] + wd * W0[i])):
            raise CheckFailed("the weights moved uphill: subtract lr * gradient, do not add it")
        if not np.allclose(W1[i], expected_W1):
            if np.allclose(W1[i], W0[i] - lr * g1[0][i]):
                raise CheckFailed("weight_decay is ignored: for weights the gradient is dW + weight_decay * W")
            raise CheckFailed(f"after one step W[{i}] is not W - lr * (dW + weight_decay * W)")
        if not np.allclose(model.W[i], expected_W2):
            if np.allclose(model.W[i], expected_W1 - lr * (g2[0][i] + wd * expected_W1)):
                raise CheckFailed("the second step ignores the velocity: keep v in self.vW / self.vb and use v = momentum * v - lr * g")
            raise CheckFailed(
                f"after two steps W[{i}] is off (largest difference {np.abs(model.W[i] - expected_W2).max():.3g}): "
                "v = momentum * v - lr * g; W += v"
            )
        if not np.allclose(model.b[i], expected_b2):
            decayed_b1 = b0[i] - lr * (g1[1][i] + wd * b0[i])
            decayed_b2 = decayed_b1 + mu * (decayed_b1 - b0[i]) - lr * (g2[1][i] + wd * decayed_b1)
            if np.allclose(model.b[i], decayed_b2):
                raise CheckFailed("biases get weight decay here: apply weight_decay to the weights only")
            raise CheckFailed(f"after two steps b[{i}] is off: the biases need the same momentum update (without weight decay)")
    return "two momentum steps with weight decay land where expected"


def check_learns(module) -> str:
    # Three well-separated blobs: any correct network fits them within a few dozen steps.
    rng = np.random.default_rng(7)
    centres = rng.standard_normal((3, SIZES[0])) * 3
    y = rng.integers(0, 3, size=60)
    x = centres[y] + rng.standard_normal((60, SIZES[0])) * 0.5
    model = call("MLP(...)", module.MLP, SIZES, seed=8, dtype=np.float64)
    first = None
    for _ in range(100):
        loss, dlogits = reference.softmax_cross_entropy(call("forward()", model.forward, x), y)
        first = loss if first is None else first
        dW, db = call("backward()", model.backward, dlogits)
        call("step()", model.step, dW, db, lr=0.05, momentum=0.9)
    logits = call("forward()", model.forward, x)
    loss, _ = reference.softmax_cross_entropy(logits, y)
    acc = float((logits.argmax(axis=1) == y).mean())
    if not (np.isfinite(loss) and loss < 0.25 * first and acc >= 0.95):
        raise CheckFailed(
            f"after 100 steps on an easy problem the loss went {first:.3f} -> {loss:.3f} with accuracy {acc:.0%}; "
            "expected it to fall below a quarter and reach 95%"
        )
    return f"loss {first:.3f} -> {loss:.3f}, accuracy {acc:.0%} on a 3-class toy problem"


# Each check, with the checks it needs to pass first.
CHECKS: list[tuple[str, str, Callable, tuple[str, ...]]] = [
    ("forward_shape", "forward: output shape and caches", check_forward_shape, ()),
    ("forward_values", "forward: values match the reference", check_forward_values, ("forward_shape",)),
    ("backward_shape", "backward: one gradient per parameter", check_backward_shape, ("forward_shape",)),
    ("backward_values", "backward: values match the reference", check_backward_values, ("backward_shape",)),
    ("gradient_check", "backward: numerical gradient check", check_gradients, ("backward_shape",)),
    ("momentum_step", "step: SGD with momentum and weight decay", check_momentum_step, ()),
    ("learns", "all together: learns a toy problem", check_learns, ("forward_values", "backward_values", "momentum_step")),
]


def _on_alarm(signum, frame):
    raise CheckFailed(f"took longer than {CHECK_SECONDS} s on tiny data: is there an endless loop?")


def grade(path: Path) -> list[Outcome]:
    outcomes = {}
    try:
        module = load_learner_module(path)
        outcomes["imports"] = Outcome("imports", "pass", f"{path.name} imports and defines MLP")
    except CheckFailed as exc:
        outcomes["imports"] = Outcome("imports", "fail", str(exc))
        module = None
    use_alarm = hasattr(signal, "SIGALRM")
    if use_alarm:
        signal.signal(signal.SIGALRM, _on_alarm)
    for key, _title, check, needs in CHECKS:
        missing = [n for n in ("imports", *needs) if outcomes[n].status != "pass"]
        if missing:
            outcomes[key] = Outcome(key, "skip", f"skipped until {', '.join(missing)} {'passes' if len(missing) == 1 else 'pass'}")
            continue
        try:
            if use_alarm:
                signal.alarm(CHECK_SECONDS)
            outcomes[key] = Outcome(key, "pass", check(module))
        except CheckFailed as exc:
            outcomes[key] = Outcome(key, "fail", str(exc))
        finally:
            if use_alarm:
                signal.alarm(0)
    return list(outcomes.values())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Grade the numpy-mlp exercise.")
    parser.add_argument("path", nargs="?", help="the learner's mlp.py, or the folder holding it")
    parser.add_argument("--file", help="the learner's mlp.py (same as PATH)")
    args = parser.parse_args(argv)
    given = args.file or args.path or os.environ.get("DLTUI_WORKSPACE")
    if not given:
        parser.error("say which file to grade: grade.py --file path/to/mlp.py")
    path = Path(given).expanduser().resolve()
    if path.is_dir():
        path = path / "mlp.py"

    with Reporter("numpy-mlp:exercise", echo=False) as rep:
        rep.start({"mode": "grade", "file": str(path)}, device="cpu (numpy)")
        if not path.is_file():
            outcomes = [Outcome("imports", "fail", f"no file at {path}")]
        else:
            outcomes = grade(path)
        titles = {"imports": "the file imports", **{key: title for key, title, _, _ in CHECKS}}
        lines = [f"Grading {path}", ""]
        for o in outcomes:
            first, *rest = o.message.splitlines() or [""]
            lines.append(f"{o.status.upper():<5} {titles[o.name]}: {first}")
            lines += ["      " + line for line in rest]
            rep.log(f"{o.status}: {titles[o.name]}: {o.message}", "info" if o.status == "pass" else "warning")
        passed = all(o.status == "pass" for o in outcomes)
        done = sum(o.status == "pass" for o in outcomes)
        lines += ["", f"{done}/{len(outcomes)} checks pass." + (" Well done: the exercise is complete." if passed else "")]
        report = "\n".join(lines)
        print(report, flush=True)
        rep.artifact("grade report", report)
        checks = {o.name: {"passed": o.status == "pass", "status": o.status, "message": o.message} for o in outcomes}
        rep.end("ok", {"passed": passed, "checks": checks})
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
