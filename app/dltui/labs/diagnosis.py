"""What a run's curves say, in rules a learner can read: diverging, plateau, overfitting, noisy.

The rules read the full series, not a plot's points; the first that fires wins and a run none flags
is healthy. They err towards "healthy": calling a good run broken would teach the wrong lesson.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from statistics import median


class CurveShape(StrEnum):
    DIVERGING = "diverging"
    PLATEAU = "plateau"
    OVERFITTING = "overfitting"
    NOISY = "noisy"
    HEALTHY = "healthy"
    TOO_SHORT = "too-short"


@dataclass(frozen=True)
class Diagnosis:
    shape: CurveShape
    evidence: str  # the numbers read from the curve, in plain words
    question: str  # about what the learner sees; never the answer
    hint: str
    key_points: tuple[str, ...]  # what a right answer covers (tutor.matching.covered_points)
    explanation: str  # the diagnosis and what to try, ending with a source of the topic
    topic_id: str  # the curriculum topic the learner's answer is evidence for


MIN_POINTS = 4  # fewer points cannot show a trend, let alone a shape
EDGE_SHARE = 0.10  # "first"/"last" loss: mean of the first/last 10% of points, so noise averages out
RISE_MARGIN = 0.05  # ending over 5% above the start is a rise; less is a plateau's wobble
SWING_SHARE = 0.5  # late swings wider than half the starting loss: the loss never settled
SWING_RATIO = 2.0  # ...with peaks at least twice the troughs (so wiggles near zero don't count)
TREND_FALL = 0.10  # last quarter's median 10% under the third quarter's: still trending down
PLATEAU_DROP = 0.05  # under 5% below the start: the loss has barely moved
OVERFIT_RISE = 0.10  # val loss 10% above its (median-smoothed) minimum: more than evaluation noise
TRAIN_FALL = 0.02  # train loss 2% lower over the same stretch: it kept fitting the training set
NOISE_WINDOW = 9  # moving-median window: follows the trend, ignores single-step jumps
NOISE_RATIO = 0.20  # median step-to-step change of 20% around the trend: visibly jagged
NOISE_FLOOR = 0.01  # jitter under 1% of the starting loss is invisible on the plot (e.g. near zero)
STILL_FALLING_SHARE = 0.10  # the last quarter still brought 10% of the whole drop: not done yet


@dataclass(frozen=True)
class Lesson:
    """What the tutor says about one shape, whatever the numbers."""

    topic_id: str
    key_points: tuple[str, ...]
    hint: str
    explanation: str  # ends with "Source: <a title among the topic's front-matter sources>."


_CS231N = "CS231n, Neural Networks Part 3: Learning and Evaluation (sanity checks, babysitting the learning process)"
LESSONS = {
    CurveShape.DIVERGING: Lesson(
        "gradient-descent",
        ("learning rate too large", "steps overshoot the minimum"),
        "Picture a ball rolling into a valley: what if every step is longer than the valley is wide?",
        "The updates are too large: each step jumps past the minimum to where the loss is as high or higher, so the loss "
        "bounces or blows up instead of falling. Lower the learning rate (try 10x smaller) until the loss falls steadily. "
        "Source: Dive into Deep Learning, §12.3 Gradient Descent.",
    ),
    CurveShape.PLATEAU: Lesson(
        "debugging-training",
        ("learning rate too small", "gradients vanish or do not flow"),
        "Look at the starting loss and the learning rate: how far does each step move the weights?",
        "A loss flat from the start means the weights barely change: a learning rate too small, dead or saturated units, "
        "or a bug that cuts the gradient (a detach, a frozen layer). Check the initial loss, try a 10x larger learning "
        "rate and overfit one small batch to prove the loop can learn. "
        "Source: Karpathy (2019), A Recipe for Training Neural Networks.",
    ),
    CurveShape.OVERFITTING: Lesson(
        "regularization",
        ("memorising the training data", "not generalising to new data"),
        "Ask what the validation set measures that the training set cannot.",
        "The model is overfitting: after the validation minimum it keeps fitting details of the training examples that do "
        "not carry over to new data. Keep the checkpoint from the validation minimum (early stopping), add dropout or weight "
        "decay, or get more data. Source: Srivastava et al. (2014), Dropout: A Simple Way to Prevent Neural Networks from "
        "Overfitting, JMLR 15.",
    ),
    CurveShape.NOISY: Lesson(
        "gradient-descent",
        ("small mini-batch", "noisy gradient estimate"),
        "Think about how many examples each gradient estimate is computed from.",
        "Each step's gradient is estimated from one mini-batch, so it varies from batch to batch; small batches and a large "
        "learning rate make the loss jagged. A larger batch (the noise falls like 1/sqrt(B)), a smaller learning rate or a "
        "decaying schedule smooth it. Source: Dive into Deep Learning, §12.5 Minibatch Stochastic Gradient Descent.",
    ),
    CurveShape.HEALTHY: Lesson(
        "debugging-training",
        ("loss converged", "check validation"),
        "Compare the end of the curve with its start: has the model learned all it can?",
        "Training works: the loss falls without blowing up or zigzagging. While it still falls, more steps (or a somewhat "
        "larger learning rate) get further; once it levels off, compare with validation data to see whether it "
        f"generalises. Source: {_CS231N}.",
    ),
    CurveShape.TOO_SHORT: Lesson(
        "debugging-training",
        ("too few points", "wait for more steps"),
        "A trend needs several points; wait for more, or look at the first loss value itself.",
        "A curve needs several points before its shape means anything. Let the run go on (or log more often) and look "
        f"again; meanwhile check the first loss value against what it should be. Source: {_CS231N}.",
    ),
}
STILL_FALLING_POINTS = ("loss still decreasing", "train longer or raise the learning rate")


def _diagnosis(shape: CurveShape, evidence: str, question: str, key_points: tuple[str, ...] = ()) -> Diagnosis:
    lesson = LESSONS[shape]
    return Diagnosis(shape, evidence, question, lesson.hint, key_points or lesson.key_points, lesson.explanation, lesson.topic_id)


@dataclass(frozen=True)
class _Loss:
    """The loss curve the rules read, with everything else the run reported."""

    name: str
    raw: list[float]
    values: list[float]  # the finite ones
    first: float  # mean of the first EDGE_SHARE of the finite values
    last: float  # ...and of the last
    series: Mapping[str, Sequence[float]]

    def ends(self) -> str:
        """From the first to the last point, as the learner reads them off the plot."""
        return f"{self.name} went from {self.values[0]:.3g} to {self.values[-1]:.3g}"


def _edge_mean(values: Sequence[float], head: bool) -> float:
    count = max(1, int(len(values) * EDGE_SHARE))
    part = values[:count] if head else values[-count:]
    return sum(part) / len(part)


def _quarter_medians(values: Sequence[float]) -> tuple[float, float]:
    """Median of the third quarter and of the last quarter of the points."""
    n = len(values)
    return median(values[n // 2 : max(n // 2 + 1, 3 * n // 4)]), median(values[3 * n // 4 :])


def _moving_median(values: Sequence[float], window: int) -> list[float]:
    """Each point replaced by the median of the `window` points around it (ends repeated)."""
    import numpy as np

    padded = np.pad(np.asarray(values, dtype=float), window // 2, mode="edge")
    medians: list[float] = np.median(np.lib.stride_tricks.sliding_window_view(padded, window), axis=1).tolist()
    return medians


def _not_finite(loss: _Loss) -> Diagnosis | None:
    """A NaN or infinite loss: the numbers overflowed, almost always from steps that are too large."""
    if len(loss.values) == len(loss.raw):
        return None
    at = next(i for i, v in enumerate(loss.raw) if not math.isfinite(v))
    before = f" after {loss.raw[at - 1]:.3g}" if at and math.isfinite(loss.raw[at - 1]) else ""
    return _diagnosis(
        CurveShape.DIVERGING,
        f"{loss.name} became {loss.raw[at]} at point {at + 1} of {len(loss.raw)}{before}",
        "Your loss stopped being a number partway through. What could make the weights grow that large?",
    )


def _too_short(loss: _Loss) -> Diagnosis | None:
    """No loss, or fewer than MIN_POINTS loss values: nothing to read yet."""
    if len(loss.values) >= MIN_POINTS:
        return None
    evidence = f"{loss.name} has only {len(loss.values)} point(s) so far" if loss.name else "the run reported no loss metric"
    return _diagnosis(CurveShape.TOO_SHORT, evidence, "What would you need to see before you could judge this run?")


def _rising(loss: _Loss) -> Diagnosis | None:
    """The loss ended clearly above where it started (means of the first and last tenth)."""
    if loss.last - loss.first <= RISE_MARGIN * abs(loss.first):
        return None
    evidence = f"{loss.ends()} (on average {loss.first:.3g} at the start, {loss.last:.3g} at the end), highest {max(loss.values):.3g}"
    return _diagnosis(
        CurveShape.DIVERGING,
        evidence,
        "Your training loss ended higher than it started. What does that tell you about the size of each update step?",
    )


def _swinging(loss: _Loss) -> Diagnosis | None:
    """In its second half the loss still jumps up and down by a lot and does not trend down."""
    late = loss.values[len(loss.values) // 2 :]
    low, high = min(late), max(late)
    wide = high - low > SWING_SHARE * abs(loss.first) and (low <= 0 or high / low > SWING_RATIO)
    third, fourth = _quarter_medians(loss.values)
    if not wide or fourth < third - TREND_FALL * abs(third):
        return None
    return _diagnosis(
        CurveShape.DIVERGING,
        f"{loss.ends()}, swinging between {low:.3g} and {high:.3g} in the second half",
        "Your training loss swung up and down and never settled. What does that say about the size of each update step?",
    )


def _plateau(loss: _Loss) -> Diagnosis | None:
    """Flat from the start: the loss barely moved."""
    start = max(loss.values[0], loss.first)  # a drop within the first points still counts as a drop
    if start - loss.last >= PLATEAU_DROP * abs(start):
        return None
    return _diagnosis(
        CurveShape.PLATEAU,
        f"{loss.ends()} over {len(loss.values)} points, about {loss.last:.3g} at the end",
        "Your loss hardly moved from its first value. What could keep the weights from changing in a useful direction?",
    )


def _overfitting(loss: _Loss) -> Diagnosis | None:
    """Validation loss rose clearly after its minimum while the training loss kept falling."""
    val = [v for v in loss.series.get("val/loss", ()) if math.isfinite(v)]
    if len(val) < MIN_POINTS or loss.name == "val/loss":
        return None
    smooth = _moving_median(val, 3)  # one lucky evaluation is not the minimum
    low_at = min(reversed(range(len(val))), key=smooth.__getitem__)  # the rise starts after the last low
    tail = val[max(low_at + 1, len(val) - max(2, len(val) // 4)) :]
    if not tail or sum(tail) / len(tail) - smooth[low_at] <= OVERFIT_RISE * abs(smooth[low_at]):
        return None
    # The same stretch of training: labs evaluate at regular intervals, so map indices evenly.
    from_at = round(low_at * (len(loss.values) - 1) / (len(val) - 1))
    train_then, train_end = loss.values[from_at], _edge_mean(loss.values[from_at:], head=False)
    if train_then - train_end <= TRAIN_FALL * abs(train_then):
        return None
    evidence = (
        f"val/loss fell to {min(val):.3g} at evaluation {val.index(min(val)) + 1} of {len(val)}, then rose to "
        f"{val[-1]:.3g}, while {loss.name} kept falling from {train_then:.3g} to {train_end:.3g}"
    )
    return _diagnosis(
        CurveShape.OVERFITTING,
        evidence,
        "Your training loss kept going down but your validation loss "
        "turned around and went up. What is the model getting better at, and what is it getting worse at?",
    )


def _noisy(loss: _Loss) -> Diagnosis | None:
    """Big step-to-step jumps around a trend that still goes down (mini-batch noise)."""
    trend = _moving_median(loss.values, NOISE_WINDOW)
    relative = [v / (t or 1e-12) - 1 for v, t in zip(loss.values, trend)]  # detrended: how far each point is from the trend
    jumps = median(abs(b - a) for a, b in zip(relative, relative[1:]))
    spread = median(abs(v - t) for v, t in zip(loss.values, trend))
    falling = _edge_mean(trend, head=False) < _edge_mean(trend, head=True)
    if jumps <= NOISE_RATIO or spread <= NOISE_FLOOR * abs(loss.first) or not falling:
        return None
    evidence = f"{loss.name} trends down from about {loss.first:.3g} to {loss.last:.3g}, but jumps by about {jumps:.0%} between points"
    return _diagnosis(CurveShape.NOISY, evidence, "Your loss falls overall but zigzags. Where could that randomness come from?")


def _healthy(loss: _Loss) -> Diagnosis:
    """Falls and settles, or falls steadily and would fall further with more steps."""
    third, fourth = _quarter_medians(loss.values)
    still = third - fourth > STILL_FALLING_SHARE * max(loss.first - loss.last, 1e-12)
    drop = (loss.values[0] - loss.values[-1]) / max(abs(loss.values[0]), 1e-12) * 100
    how = "was still falling at the end (more steps would help)" if still else "has settled"
    evidence = f"{loss.ends()} ({drop:.3g}% lower) and {how}"
    question = (
        "Your loss was still going down when the run ended. What would more steps do, and what does the slope "
        "tell you about the learning rate?"
        if still
        else "Your loss fell and then flattened out. What does that shape tell you about this run, and what would you check next?"
    )
    return _diagnosis(CurveShape.HEALTHY, evidence, question, STILL_FALLING_POINTS if still else ())


RULES: tuple[Callable[[_Loss], Diagnosis | None], ...] = (_not_finite, _too_short, _rising, _swinging, _plateau, _overfitting, _noisy)


def loss_name(series: Mapping[str, object]) -> str | None:
    """The loss the rules read: train/loss, else the first metric whose name ends in "loss"."""
    return "train/loss" if "train/loss" in series else next((name for name in series if name.endswith("loss")), None)


def diagnose(series: Mapping[str, Sequence[float]]) -> Diagnosis:
    """The first rule that fires on the run's loss curve, else healthy (too short with no loss at all)."""
    name = loss_name(series)
    raw = [float(v) for v in series[name]] if name else []
    values = [v for v in raw if math.isfinite(v)]
    loss = _Loss(name or "", raw, values, _edge_mean(values or [0.0], True), _edge_mean(values or [0.0], False), series)
    found = (rule(loss) for rule in RULES)
    return next((d for d in found if d is not None), None) or _healthy(loss)
