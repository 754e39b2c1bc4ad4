"""Metric series of a run, and what a plot needs from them: smoothing and fewer points.

Plotting cost grows with the number of points, and a terminal plot is only as wide as its
columns, so series are downsampled to the plot width before they are drawn. A redraw must not
walk a million points several times a second: smoothing is cached and extended only by the
points that arrived since (in NumPy: a smoothing change at 1M points redoes it all), and the
downsampling keeps sums per block of points (`Blocks`), so a redraw adds the new points to their
blocks and groups a few thousand blocks into the plot's means.

NumPy is imported where it is used: the TUI starts without it.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

NAN = float("nan")
# Most blocks of sums a series keeps for its plot (their size doubles instead): what a redraw
# groups into the plot's points, whatever the number of points.
MAX_BLOCKS = 2048
BIAS_FADES = 40.0  # weight**seen is below e**-40 (1e-17, under a double's precision) past this


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
    steps: array[float] = field(default_factory=lambda: array("d"))
    epochs: array[float] = field(default_factory=lambda: array("d"))  # NaN where the lab gave no epoch
    values: array[float] = field(default_factory=lambda: array("d"))
    _smooth_cache: _Smoothed | None = field(default=None, repr=False, compare=False)
    _blocks: tuple[tuple[str, float], Blocks] | None = field(default=None, repr=False, compare=False)

    def add(self, step: float, epoch: float | None, value: float) -> None:
        self.steps.append(step)
        self.epochs.append(NAN if epoch is None else epoch)
        self.values.append(value)

    def __len__(self) -> int:
        return len(self.values)

    def smoothed(self, weight: float) -> array[float]:
        """The values smoothed with `smooth`, extended incrementally as points arrive.

        Only the points added since the last call are smoothed, unless the weight changed.
        The array returned is the cache itself: read it, do not change it.
        """
        cache = self._smooth_cache
        if cache is None or cache.weight != weight:
            cache = self._smooth_cache = _Smoothed(weight)
        done = cache.values
        new = self.values[len(done) :]
        if not new:
            return done
        if weight <= 0:
            done.extend(new)
            return done
        out, cache.last, cache.count = _ema(new, min(weight, 0.999), cache.last, cache.count)
        done.frombytes(out.tobytes())
        return done

    def downsampled(self, x_axis: str, weight: float, width: int) -> tuple[list[float], list[float]]:
        """`downsample` of the smoothed values against steps or epochs, from blocks kept between calls."""
        xs = self.epochs if x_axis == "epoch" else self.steps
        ys = self.smoothed(weight)
        key = (x_axis, weight)
        if self._blocks is None or self._blocks[0] != key:
            self._blocks = (key, Blocks())
        return self._blocks[1].points(xs, ys, min(len(xs), len(ys)), width)


@dataclass
class _Smoothed:
    """A series' smoothed values so far, and the running average to extend them from."""

    weight: float
    values: array[float] = field(default_factory=lambda: array("d"))
    last: float = 0.0  # the running average after the last value
    count: int = 0  # finite values averaged so far (for the bias correction)


def smooth(values: Sequence[float], weight: float) -> list[float]:
    """Exponential moving average with bias correction (TensorBoard's smoothing slider).

    ``weight`` 0 leaves the curve as it is, 0.99 flattens it a lot. Bias correction keeps the
    first points from being dragged toward zero. Non-finite values pass through untouched.
    """
    if weight <= 0 or not len(values):
        return list(values)
    smoothed: list[float] = _ema(values, min(weight, 0.999), 0.0, 0)[0].tolist()
    return smoothed


def _ema(values: Sequence[float], weight: float, last: float, count: int) -> tuple[NDArray[np.float64], float, int]:
    """`smooth` of ``values`` continuing from a running average ``last`` over ``count`` finite values.

    Returns the smoothed values (a NumPy array) and the new (last, count). The recurrence
    last = weight * last + (1 - weight) * value is solved in log2 passes over the array (each
    pass adds the terms from twice as far back), not in a Python loop per point.
    """
    import numpy as np

    out = np.array(values, dtype=float)
    finite = np.isfinite(out)
    run = (1 - weight) * out[finite]
    if not len(run):
        return out, last, count
    run[0] += weight * last
    shift, factor = 1, weight
    while shift < len(run) and factor > 0:  # factor underflows to 0 once older terms cannot count
        run[shift:] += factor * run[:-shift]
        shift, factor = shift * 2, factor * factor
    last = float(run[-1])
    # Bias correction divides by 1 - weight**seen, which is 1 in floating point past a few
    # thousand values: the powers are computed only where they still count (pow is costly).
    fading = max(0, min(len(run), int(BIAS_FADES / -math.log(weight)) - count))
    run[:fading] /= 1 - np.power(weight, np.arange(count + 1, count + fading + 1))
    out[finite] = run
    return out, last, count + len(run)


class Blocks:
    """The inner points of a series (all but its first and last) in blocks of sums, kept as points arrive.

    Block b holds points 1 + b*size .. (b+1)*size: the sums of x and of y over the pairs where
    both are finite, and how many there are. ``size`` is a power of two, doubled (neighbouring
    blocks merged) rather than keeping more than MAX_BLOCKS, so every block stays aligned and a
    plot's means are sums of whole blocks: a redraw costs the new points and the blocks, not the
    whole series.
    """

    def __init__(self) -> None:
        self.size = 1
        self.taken = 0  # inner points summed so far: indices 1 .. taken
        # rows: x sums, y sums, finite pairs (NumPy, once there are inner points)
        self.sums: NDArray[np.float64] | None = None

    def points(self, xs: Sequence[float], ys: Sequence[float], n: int, width: int) -> tuple[list[float], list[float]]:
        """`downsample` of the first ``n`` points, taking in the ones that arrived since the last call."""
        if n <= max(width, 2):
            kept = [(x, y) for x, y in zip(xs[:n], ys[:n]) if math.isfinite(x) and math.isfinite(y)]
            return [k[0] for k in kept], [k[1] for k in kept]
        self._take(xs, ys, n - 1)
        out_x, out_y = [], []
        if math.isfinite(xs[0]) and math.isfinite(ys[0]):
            out_x.append(xs[0])
            out_y.append(ys[0])
        mean_x, mean_y = self._means(max(width, 3) - 2)
        out_x += mean_x
        out_y += mean_y
        if math.isfinite(xs[n - 1]) and math.isfinite(ys[n - 1]):
            out_x.append(xs[n - 1])
            out_y.append(ys[n - 1])
        return out_x, out_y

    def _take(self, xs: Sequence[float], ys: Sequence[float], end: int) -> None:
        """Add points 1 + taken .. end - 1 to their blocks (merging blocks first if they will not fit)."""
        import numpy as np

        start = 1 + self.taken
        if end <= start:
            return
        sums = np.zeros((3, 0)) if self.sums is None else self.sums
        while -(-(end - 1) // self.size) > MAX_BLOCKS:
            sums = _merge_pairs(sums)
            self.size *= 2
        x = np.asarray(xs[start:end], dtype=float)
        y = np.asarray(ys[start:end], dtype=float)
        finite = np.isfinite(x) & np.isfinite(y)
        first, filled = divmod(self.taken, self.size)  # the block the first new point goes into
        # Laid out from that block's start (zeros before and after) and summed a block a row.
        rows = -(-(filled + len(x)) // self.size)
        laid = np.zeros((3, rows * self.size))
        laid[0, filled : filled + len(x)] = np.where(finite, x, 0.0)
        laid[1, filled : filled + len(x)] = np.where(finite, y, 0.0)
        laid[2, filled : filled + len(x)] = finite
        new = laid.reshape(3, rows, self.size).sum(axis=2)
        partial = sums.shape[1] - first  # 1 when the last block kept was not full
        sums[:, first:] += new[:, :partial]
        self.sums = np.concatenate([sums, new[:, partial:]], axis=1)
        self.taken = end - 1

    def _means(self, most: int) -> tuple[list[float], list[float]]:
        """At most ``most`` means of x and y: the blocks cut into that many runs of equal length (±1)."""
        import numpy as np

        assert self.sums is not None  # `points` takes the inner points (at least one) first
        count = self.sums.shape[1]
        runs = min(most, count)
        grouped = np.add.reduceat(self.sums, np.arange(runs) * count // runs, axis=1)
        kept = grouped[:, grouped[2] > 0]
        mean_x: list[float] = (kept[0] / kept[2]).tolist()
        mean_y: list[float] = (kept[1] / kept[2]).tolist()
        return mean_x, mean_y


def _merge_pairs(sums: NDArray[np.float64]) -> NDArray[np.float64]:
    """Blocks of sums twice the size: each pair of neighbours added (a zero block pads an odd count)."""
    import numpy as np

    if sums.shape[1] % 2:
        sums = np.concatenate([sums, np.zeros((3, 1))], axis=1)
    merged: NDArray[np.float64] = sums.reshape(3, -1, 2).sum(axis=2)
    return merged


def downsample(xs: Sequence[float], ys: Sequence[float], width: int) -> tuple[list[float], list[float]]:
    """At most ``width`` finite points: the first and last as they are, means of runs between.

    Keeping the ends makes the axis start where the run started and the curve end at the latest
    value the lab reported. Points with a non-finite x or y are left out. Each run between is
    ``width`` - 2 equal parts of the inner points, or, past MAX_BLOCKS of them, of their blocks.
    """
    return Blocks().points(xs, ys, min(len(xs), len(ys)), width)


def plot_points(
    series: MetricSeries, x_axis: str, smoothing: float, width: int, log_scale: bool = False
) -> tuple[list[float], list[float]]:
    """What to draw for one series: smoothed, thinned to ``width``, finite (positive on a log scale)."""
    out_x, out_y = series.downsampled(x_axis, smoothing, width)
    if log_scale:
        kept = [(x, y) for x, y in zip(out_x, out_y) if y > 0]
        out_x, out_y = [k[0] for k in kept], [k[1] for k in kept]
    return out_x, out_y
