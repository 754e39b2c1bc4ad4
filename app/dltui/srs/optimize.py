"""Fit FSRS parameters to the learner's own reviews (`dltui review optimize`).

The fsrs optimizer imports torch, which the app process never does, so it runs in a child
process (this module run with ``-m``) that reads the review logs as JSON on stdin and prints
the fitted parameters. The log-loss of old and new parameters is computed here, in plain
Python, with the same definition the optimizer uses (binary cross-entropy of fsrs's predicted
recall against "not Again", on reviews a day or more after the card's previous review).
"""

from __future__ import annotations

import importlib.util
import json
import math
import subprocess
import sys
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fsrs import Card, Rating, ReviewLog, Scheduler
from sqlmodel import select

from dltui.install import OPTIMIZER_HINT
from dltui.srs.scheduler import apply_card, save_parameters
from dltui.store.models import CardState
from dltui.store.models import ReviewLog as ReviewLogRow

if TYPE_CHECKING:
    from dltui.context import StudyContext

MIN_USABLE_REVIEWS = 512  # below this the fsrs optimizer returns its defaults unchanged
MAX_REVIEWS_PER_CARD = 64  # the optimizer reads at most the first 64 reviews of a card
OPTIMIZER_MODULES = ("torch", "pandas", "tqdm")
INSTALL_HINT = OPTIMIZER_HINT  # the optimizer comes with the labs extra


class OptimizeError(RuntimeError):
    """The optimizer could not run; the message says why and what to do."""


@dataclass(frozen=True)
class Fit:
    old: list[float]
    new: list[float]
    loss_old: float
    loss_new: float

    @property
    def improvement(self) -> float:
        """Relative drop in log-loss (0.05 = 5% better); negative when the fit is worse."""
        return (self.loss_old - self.loss_new) / self.loss_old if self.loss_old else 0.0


def review_logs(context: StudyContext) -> list[ReviewLog]:
    """Every answer ever recorded, as fsrs review logs (quiz answers are real reviews too)."""
    with context.store.read() as session:
        rows = session.exec(select(ReviewLogRow.card_id, ReviewLogRow.rating, ReviewLogRow.reviewed_at, ReviewLogRow.duration_ms)).all()
    return [ReviewLog(card_id, Rating(rating), when, duration) for card_id, rating, when, duration in rows]


def _histories(logs: list[ReviewLog]) -> dict[int, list[ReviewLog]]:
    per_card: dict[int, list[ReviewLog]] = defaultdict(list)
    for log in logs:
        per_card[log.card_id].append(log)
    return {card_id: sorted(history, key=lambda log: log.review_datetime)[:MAX_REVIEWS_PER_CARD] for card_id, history in per_card.items()}


def usable_reviews(logs: list[ReviewLog]) -> int:
    """Reviews the optimizer learns from: a whole day or more after the card's previous one."""
    return sum(
        1
        for history in _histories(logs).values()
        for before, after in zip(history, history[1:])
        if (after.review_datetime - before.review_datetime).days > 0
    )


def log_loss(logs: list[ReviewLog], parameters: list[float]) -> float:
    """Mean binary cross-entropy of predicted recall on the usable reviews."""
    scheduler = Scheduler(parameters=parameters, enable_fuzzing=False)
    total, count = 0.0, 0
    for card_id, history in _histories(logs).items():
        card = Card(card_id=card_id, due=history[0].review_datetime)
        for log in history:
            when = log.review_datetime
            if card.last_review is not None and (when - card.last_review).days > 0:
                predicted = min(1.0, max(0.0, scheduler.get_card_retrievability(card, when)))
                chance = predicted if log.rating != Rating.Again else 1.0 - predicted
                # torch's BCELoss clamps each log term at -100; doing the same keeps the numbers equal
                term = math.log(chance) if chance > 0 else -100.0
                total -= max(term, -100.0)
                count += 1
            card, _ = scheduler.review_card(card, log.rating, when)
    return total / count if count else 0.0


def missing_optimizer_modules() -> list[str]:
    """The optimizer extra's modules this Python lacks (looked up without importing them)."""
    return [name for name in OPTIMIZER_MODULES if importlib.util.find_spec(name) is None]


def fit_parameters(logs: list[ReviewLog], timeout: float = 1800.0) -> list[float]:
    """Run the fsrs optimizer in a child process and return its parameters."""
    payload = json.dumps([log.to_dict() for log in logs])
    try:
        done = subprocess.run(
            [sys.executable, "-m", "dltui.srs.optimize"],
            input=payload,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise OptimizeError(f"the optimizer ran for over {timeout:.0f} s and was stopped; nothing changed") from None
    lines = done.stdout.strip().splitlines()
    try:
        answer = json.loads(lines[-1]) if lines else {}
    except json.JSONDecodeError:
        answer = {}
    if done.returncode != 0 or "parameters" not in answer:
        reason = answer.get("error") or (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise OptimizeError(f"the optimizer failed: {reason}")
    return [float(p) for p in answer["parameters"]]


def evaluate(logs: list[ReviewLog], old: list[float], new: list[float]) -> Fit:
    return Fit(old=list(old), new=list(new), loss_old=log_loss(logs, old), loss_new=log_loss(logs, new))


def adopt(context: StudyContext, fit: Fit, logs: list[ReviewLog], fuzzing: bool = True) -> int:
    """Save the new parameters and replay every reviewed card's history with them."""
    scheduler = Scheduler(parameters=fit.new, desired_retention=context.settings.desired_retention, enable_fuzzing=fuzzing)
    by_card: dict[int, list[ReviewLog]] = defaultdict(list)
    for log in logs:
        by_card[log.card_id].append(log)
    rescheduled = 0
    with context.store.session() as session:
        for card_id, history in by_card.items():
            row = session.get(CardState, card_id)
            if row is None:
                continue
            apply_card(row, scheduler.reschedule_card(Card(card_id=card_id), history))
            rescheduled += 1
    save_parameters(context.settings, fit.new, fit.old, {"old": fit.loss_old, "new": fit.loss_new})
    return rescheduled


def _worker() -> int:
    """Child process: review logs (JSON) on stdin -> {"parameters": [...]} on stdout."""
    try:
        from fsrs.optimizer import Optimizer

        logs = [ReviewLog.from_dict(entry) for entry in json.load(sys.stdin)]
        parameters = Optimizer(logs).compute_optimal_parameters()
    except ImportError as err:
        print(json.dumps({"error": f"{err} ({INSTALL_HINT})"}))
        return 3
    print(json.dumps({"parameters": [float(p) for p in parameters]}))
    return 0


if __name__ == "__main__":
    sys.exit(_worker())
