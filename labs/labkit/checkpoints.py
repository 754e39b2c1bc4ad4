"""Save and load PyTorch training checkpoints.

A checkpoint is one file holding everything needed to resume: the model's weights, the
optimizer's state (momentum buffers, Adam moments), the epoch just finished, its metrics and any
extra state (an LR scheduler, an early-stopping counter). Files are written to a temporary name
and renamed into place, so a crash mid-write never leaves a half checkpoint behind, and they are
read back with ``torch.load(weights_only=True)``, which refuses to run code hidden in a file.

torch is imported inside the functions: importing this module stays cheap.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any

#: The name `save_checkpoint` callers use for the best model so far.
BEST_NAME = "best.pt"


def _plain(value: Any) -> Any:
    """Metrics and params as plain Python numbers and strings (what weights_only=True accepts)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "item") and callable(value.item) and getattr(value, "ndim", 0) == 0:
        return value.item()  # a numpy or torch scalar
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def _unwrap(model):
    """The plain model inside a DistributedDataParallel / DataParallel / torch.compile wrapper.

    Saving the inner model keeps the keys free of "module." prefixes, so a checkpoint written by
    a 2-process run loads into a plain single-process model and the other way round.
    """
    while True:
        kind = type(model).__name__
        if kind in ("DistributedDataParallel", "DataParallel") and hasattr(model, "module"):
            model = model.module
        elif hasattr(model, "_orig_mod"):  # torch.compile's OptimizedModule
            model = model._orig_mod
        else:
            return model


def save_checkpoint(
    path: str | os.PathLike,
    model,
    optimizer=None,
    epoch: int = 0,
    metrics: dict | None = None,
    extra: dict | None = None,
) -> Path:
    """Write model + optimizer + epoch + metrics (+ extra) to `path` atomically; returns the path.

    `extra` may hold plain values or state dicts (e.g. ``{"scheduler": sched.state_dict(),
    "params": vars(args)}``); anything torch can save with weights_only loading works.
    """
    import torch

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {
        "model": _unwrap(model).state_dict(),
        "optimizer": optimizer.state_dict() if optimizer is not None else None,
        "epoch": int(epoch),
        "metrics": _plain(metrics or {}),
        "extra": extra or {},
        "format": 1,
    }
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(state, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)  # atomic on POSIX and Windows: readers see old or new, never half
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return path


def load_checkpoint(path: str | os.PathLike, model=None, optimizer=None, map_location: Any = "cpu") -> dict:
    """Read a checkpoint (weights_only=True), load it into `model` / `optimizer` if given.

    Returns the whole dict: ``model``, ``optimizer``, ``epoch``, ``metrics``, ``extra``.
    """
    import torch

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at {path}")
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as exc:  # a truncated or foreign file: say which one, not a pickle traceback
        raise ValueError(f"{path} is not a readable checkpoint ({type(exc).__name__}: {exc})") from exc
    if not isinstance(state, dict) or "model" not in state:
        raise ValueError(f"{path} is not a dltui checkpoint (no 'model' entry)")
    if model is not None:
        _unwrap(model).load_state_dict(state["model"])
    if optimizer is not None:
        if state.get("optimizer") is None:
            raise ValueError(f"{path} holds no optimizer state to resume from")
        optimizer.load_state_dict(state["optimizer"])
    return state


def _epoch_of(path: Path) -> int:
    """The number in a name like epoch-3.pt or step-1880.pt (-1 when there is none)."""
    numbers = re.findall(r"\d+", path.stem)
    return int(numbers[-1]) if numbers else -1


def latest_checkpoint(directory: str | os.PathLike) -> Path | None:
    """The most recent ``*.pt`` in `directory` (highest epoch/step number in the name, then mtime).

    ``best.pt`` is not counted as "latest": it is a copy of an earlier epoch.
    """
    directory = Path(directory)
    if not directory.is_dir():
        return None
    candidates = [p for p in directory.glob("*.pt") if p.name != BEST_NAME and not p.name.startswith(".")]
    if not candidates:
        return None
    return max(candidates, key=lambda p: (_epoch_of(p), p.stat().st_mtime_ns))


def best_checkpoint(directory: str | os.PathLike, metric: str | None = None, mode: str = "max") -> Path | None:
    """``best.pt`` in `directory` if present; else, with `metric`, the file whose saved metrics
    score best on it (``mode`` "max" or "min"); else None.
    """
    directory = Path(directory)
    best = directory / BEST_NAME
    if best.is_file():
        return best
    if metric is None or not directory.is_dir():
        return None
    import torch

    scored = []
    for p in directory.glob("*.pt"):
        if p.name.startswith("."):
            continue
        try:
            state = torch.load(p, map_location="cpu", weights_only=True)
            value = float(state["metrics"][metric])
        except Exception:
            continue  # unreadable, or saved without that metric
        scored.append((value, p))
    if not scored:
        return None
    pick = max if mode == "max" else min
    return pick(scored, key=lambda pair: pair[0])[1]


def describe_checkpoint(path: str | os.PathLike) -> str:
    """One line for logs: epoch and metrics of a checkpoint file."""
    state = load_checkpoint(path)
    return f"{Path(path).name}: epoch {state['epoch']} {json.dumps(state['metrics'])}"
