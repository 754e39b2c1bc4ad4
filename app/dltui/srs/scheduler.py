"""FSRS through the `fsrs` package: the scheduler, and a card row <-> `fsrs.Card` round trip.

The CardState row is the only copy of a card's memory state, so the conversion is exact in
both directions: every float and datetime that fsrs produces is stored as is. A card never
reviewed is state 0 in the database ("new"); fsrs calls it Learning at step 0.
"""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fsrs import Card, Rating, Scheduler, State
from fsrs.scheduler import FUZZ_RANGES

from dltui.store.models import CardState

if TYPE_CHECKING:
    from dltui.context import StudyContext
    from dltui.settings import Settings

NEW = 0  # CardState.state of a card never reviewed
PARAMETERS_FILE = "fsrs-parameters.json"

# The row fields an answer can change; a snapshot of them is what undo puts back.
SCHEDULE_FIELDS = (
    "state",
    "step",
    "stability",
    "difficulty",
    "due",
    "last_review",
    "reps",
    "lapses",
    "suspended",
    "leech",
    "buried_until",
    "introduced_at",
)
_DATETIME_FIELDS = {"due", "last_review", "buried_until", "introduced_at"}


def parameters_path(settings: Settings) -> Path:
    return settings.data_dir / PARAMETERS_FILE


def saved_parameters(settings: Settings) -> list[float] | None:
    """Parameters fitted by `dltui review optimize`, or None for the fsrs defaults."""
    path = parameters_path(settings)
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        parameters = [float(p) for p in data["parameters"]]
        Scheduler(parameters=parameters)  # validates count and bounds
    except (ValueError, KeyError, TypeError):
        return None  # a damaged file must not stop reviews; the defaults are a safe fallback
    return parameters


def save_parameters(settings: Settings, parameters: list[float], previous: list[float], log_loss: dict[str, float]) -> Path:
    path = parameters_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {"parameters": list(parameters), "previous": list(previous), "log_loss": log_loss}
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(record, indent=2), encoding="utf-8")
    temporary.replace(path)  # atomic: a crash leaves the old file or the new one, never half
    return path


def scheduler_for(context: StudyContext, fuzzing: bool = True) -> Scheduler:
    """The learner's scheduler: desired retention from settings, fitted parameters if any."""
    settings = context.settings
    kwargs: dict[str, Any] = {"desired_retention": settings.desired_retention, "enable_fuzzing": fuzzing}
    parameters = saved_parameters(settings)
    if parameters is not None:
        kwargs["parameters"] = parameters
    return Scheduler(**kwargs)


def card_from_row(row: CardState, now: datetime) -> Card:
    """The fsrs card for a row; a new card becomes fsrs's fresh Learning card, due now."""
    if row.state == NEW:
        return Card(card_id=row.id, state=State.Learning, step=0, due=row.due or now)
    return Card(
        card_id=row.id,
        state=State(row.state),
        step=row.step,
        stability=row.stability,
        difficulty=row.difficulty,
        due=row.due,
        last_review=row.last_review,
    )


def apply_card(row: CardState, card: Card) -> None:
    """Copy fsrs's result into the row, field by field, without rounding."""
    row.state = int(card.state)
    row.step = card.step
    row.stability = card.stability
    row.difficulty = card.difficulty
    row.due = card.due
    row.last_review = card.last_review


def snapshot_row(row: CardState) -> dict[str, Any]:
    """The schedule fields as JSON values (floats keep every bit through json)."""
    snapshot: dict[str, Any] = {}
    for name in SCHEDULE_FIELDS:
        value = getattr(row, name)
        snapshot[name] = value.isoformat() if isinstance(value, datetime) else value
    return snapshot


def restore_row(row: CardState, snapshot: dict[str, Any]) -> None:
    for name in SCHEDULE_FIELDS:
        value = snapshot.get(name)
        if name in _DATETIME_FIELDS and value is not None:
            value = datetime.fromisoformat(value)
        setattr(row, name, value)


def review(scheduler: Scheduler, card: Card, rating: Rating, now: datetime, duration_ms: int | None = None) -> Card:
    """fsrs's review of ``card``, with the fuzz drawn from the card itself instead of at random.

    fsrs fuzzes review intervals (a 10-day interval may become 9 or 11 days) by calling
    ``random()``; then a preview cannot know what an answer will give. Here the fuzz comes
    from the card's id, state and last review, so previewing and answering agree exactly,
    while cards answered together still spread over neighbouring days as fsrs intends.
    """
    steady = _without_fuzz(scheduler) if scheduler.enable_fuzzing else scheduler
    result, _ = steady.review_card(card, rating, now, duration_ms)
    if scheduler.enable_fuzzing and result.state == State.Review:
        interval = result.due - now
        fuzzed = _fuzzed_days(scheduler, interval.days, _fuzz_draw(card, rating))
        if fuzzed is not None:
            result.due = now + timedelta(days=fuzzed)
    return result


def preview_intervals(scheduler: Scheduler, card: Card, now: datetime) -> dict[Rating, timedelta]:
    """What each rating would give, fuzz included, by reviewing copies (the card is untouched)."""
    return {rating: review(scheduler, card, rating, now).due - now for rating in Rating}


def _fuzz_draw(card: Card, rating: Rating) -> float:
    # A number in [0, 1) that is the same for the preview and the answer of one review.
    last = card.last_review.isoformat() if card.last_review else "new"
    return random.Random(f"{card.card_id}:{int(card.state)}:{card.step}:{last}:{int(rating)}").random()


def _fuzzed_days(scheduler: Scheduler, interval_days: int, draw: float) -> int | None:
    """fsrs's own fuzz rule (ranges and bounds) with ``draw`` in place of ``random()``."""
    if interval_days < 2.5:
        return None  # fsrs leaves short intervals alone
    delta = 1.0
    for fuzz_range in FUZZ_RANGES:
        delta += fuzz_range["factor"] * max(min(float(interval_days), fuzz_range["end"]) - fuzz_range["start"], 0.0)
    max_ivl = min(round(interval_days + delta), scheduler.maximum_interval)
    min_ivl = min(max(2, round(interval_days - delta)), max_ivl)
    return min(round(draw * (max_ivl - min_ivl + 1) + min_ivl), scheduler.maximum_interval)


@lru_cache(maxsize=8)
def _steady(data: str) -> Scheduler:
    return Scheduler.from_json(data)


def _without_fuzz(scheduler: Scheduler) -> Scheduler:
    data = scheduler.to_dict()
    data["enable_fuzzing"] = False
    return _steady(json.dumps(data, sort_keys=True))


def retrievability(scheduler: Scheduler, row: CardState, now: datetime) -> float | None:
    """fsrs's recall probability for a reviewed card now; None for a new card."""
    if row.state == NEW or row.stability is None or row.last_review is None:
        return None
    return scheduler.get_card_retrievability(card_from_row(row, now), now)


def interval_label(interval: timedelta) -> str:
    """A short interval such as 1m, 10m, 5h, 3d, 2.5mo, 1.2y."""
    seconds = max(0.0, interval.total_seconds())
    if seconds < 3600:
        return f"{max(1, round(seconds / 60))}m"
    if seconds < 86400:
        return f"{round(seconds / 3600)}h"
    days = seconds / 86400
    if days < 30:
        return f"{round(days)}d"
    if days < 365:
        return f"{days / 30:.1f}mo"
    return f"{days / 365:.1f}y"
