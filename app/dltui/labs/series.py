"""Metric series of a run, and what a plot needs from them: smoothing and fewer points.

Plotting cost grows with the number of points, and a terminal plot is only as wide as its
columns, so series are downsampled to the plot width before they are drawn. A redraw must not
walk 100k points in Python several times a second: smoothing is cached and extended only by new
points, and downsampling sums slices (done in C) instead of looping over every point.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Sequence
from dataclasses import dataclass, field

NAN = float("nan")


def as_number(value: object) -> float | None:
    """A metric value as a float: numbers and numeric strings ("nan", "1e-3"); else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


@dataclass
class MetricSeries:
    """One metric of one run: (step, epoch, value) in the order the lab reported them."""

    name: str
    # Arrays of C doubles: a quarter of the memory of lists of floats, and nothing for the
    # garbage collector to walk through on its full passes.
    steps: array = field(default_factory=lambda: array("d"))
    epochs: array = field(default_factory=lambda: array("d"))  # NaN where the lab gave no epoch
    values: array = field(default_factory=lambda: array("d"))
    _smooth_cache: tuple | None = field(default=None, repr=False, compare=False)

    def add(self, step: float, epoch: float | None, value: float) -> None:
        self.steps.append(step)
        self.epochs.append(NAN if epoch is None else epoch)
        self.values.append(value)

    def __len__(self) -> int:
        return len(self.values)

    def smoothed(self, weight: float) -> array:
        """The values smoothed with `smooth`, extended incrementally as points arrive.

        Only the points added since the last call are smoothed, unless the weight changed.
        The array returned is the cache itself: read it, do not change it.
        """
        cache = self._smooth_cache
        if cache is None or cache[0] != weight:
            cache = self._smooth_cache = (weight, array("d"), [0.0, 0])
        _, done, state = cache
        if weight <= 0:
            done.extend(self.values[len(done) :])
            return done
        weight = min(weight, 0.999)
        last, count = state
        for value in self.values[len(done) :]:
            if not math.isfinite(value):
                done.append(value)
                continue
            count += 1
            last = last * weight + (1 - weight) * value
            done.append(last / (1 - weight**count))
        state[0], state[1] = last, count
        return done

    def points(self, x_axis: str = "step", smoothing: float = 0.0) -> tuple[list[float], list[float]]:
        """x and y lists (copies); against "epoch" the points without an epoch are left out."""
        ys = self.smoothed(smoothing)
        xs = self.epochs if x_axis == "epoch" else self.steps
        pairs = [(x, y) for x, y in zip(xs, ys) if not (x_axis == "epoch" and math.isnan(x))]
        return [p[0] for p in pairs], [p[1] for p in pairs]


def smooth(values: Sequence[float], weight: float) -> list[float]:
    """Exponential moving average with bias correction (TensorBoard's smoothing slider).

    ``weight`` 0 leaves the curve as it is, 0.99 flattens it a lot. Bias correction keeps the
    first points from being dragged toward zero. Non-finite values pass through untouched.
    """
    if weight <= 0 or not values:
        return list(values)
    weight = min(weight, 0.999)
    out: list[float] = []
    last, count = 0.0, 0
    for value in values:
        if not math.isfinite(value):
            out.append(value)
            continue
        count += 1
        last = last * weight + (1 - weight) * value
        out.append(last / (1 - weight**count))
    return out


def _finite_mean(xs: Sequence[float], ys: Sequence[float]) -> tuple[float, float] | None:
    """Mean of the pairs where both are finite (the slow path, for slices holding a NaN)."""
    kept = [(x, y) for x, y in zip(xs, ys) if math.isfinite(x) and math.isfinite(y)]
    if not kept:
        return None
    return sum(k[0] for k in kept) / len(kept), sum(k[1] for k in kept) / len(kept)


def downsample(xs: Sequence[float], ys: Sequence[float], width: int) -> tuple[list[float], list[float]]:
    """At most ``width`` finite points: the first and last as they are, slice means between.

    Keeping the ends makes the axis start where the run started and the curve end at the latest
    value the lab reported. Points with a non-finite x or y are left out.
    """
    n = len(xs)
    if n <= max(width, 2):
        kept = [(x, y) for x, y in zip(xs, ys) if math.isfinite(x) and math.isfinite(y)]
        return [k[0] for k in kept], [k[1] for k in kept]
    width = max(width, 3)
    out_x: list[float] = []
    out_y: list[float] = []

    def add(lo: int, hi: int) -> None:
        sx, sy = sum(xs[lo:hi]), sum(ys[lo:hi])  # C loops over the slices
        if math.isfinite(sx) and math.isfinite(sy):
            out_x.append(sx / (hi - lo))
            out_y.append(sy / (hi - lo))
        else:
            mean = _finite_mean(xs[lo:hi], ys[lo:hi])
            if mean is not None:
                out_x.append(mean[0])
                out_y.append(mean[1])

    add(0, 1)
    inner, buckets = n - 2, width - 2
    for bucket in range(buckets):
        lo = 1 + bucket * inner // buckets
        hi = 1 + (bucket + 1) * inner // buckets
        if hi > lo:
            add(lo, hi)
    add(n - 1, n)
    return out_x, out_y


def plot_points(
    series: MetricSeries, x_axis: str, smoothing: float, width: int, log_scale: bool = False
) -> tuple[list[float], list[float]]:
    """What to draw for one series: smoothed, thinned to ``width``, finite (positive on a log scale)."""
    xs = series.epochs if x_axis == "epoch" else series.steps
    ys = series.smoothed(smoothing)
    n = min(len(xs), len(ys))
    if n != len(xs) or n != len(ys):
        xs, ys = xs[:n], ys[:n]
    out_x, out_y = downsample(xs, ys, width)
    if log_scale:
        kept = [(x, y) for x, y in zip(out_x, out_y) if y > 0]
        out_x, out_y = [k[0] for k in kept], [k[1] for k in kept]
    return out_x, out_y

