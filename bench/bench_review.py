"""Review speed on a big collection: 100,000 cards and 1,000,000 review logs.

The data is written straight into a temporary database with executemany (a few seconds), then
the real code is timed: fetching the next due card, recording an answer (committed), and the
other calls the review screen makes per card (counts for the status line, the interval preview).
Prints `| name | value | unit | note |` rows; medians of many calls.
"""

from __future__ import annotations

import json
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

CARDS = 100_000
LOGS = 1_000_000
SAMPLES = 200
NOW = datetime(2026, 6, 15, 12, 0, tzinfo=timezone.utc)


def stamp(moment: datetime) -> str:
    """The text SQLAlchemy stores for a naive UTC datetime in SQLite."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")


def fill(db: Path, topics: list[str]) -> None:
    chance = random.Random(42)
    connection = sqlite3.connect(db)
    connection.execute("PRAGMA synchronous=OFF")  # bench data only: no need to survive a crash
    connection.execute("PRAGMA cache_size=-262144")  # 256 MiB: keeps the index pages in memory
    cards = []
    for card_id in range(1, CARDS + 1):
        roll = chance.random()
        if roll < 0.05:  # new
            cards.append((card_id, f"tutor/bench/{card_id}", topics[card_id % len(topics)], 0, None, None, None, None, None))
            continue
        stability = chance.uniform(0.5, 400.0)
        last = NOW - timedelta(days=chance.uniform(0, 300))
        # about one card in ten is due now, the rest later
        due = NOW - timedelta(hours=chance.uniform(0, 500)) if roll < 0.15 else NOW + timedelta(days=chance.uniform(0.1, 300))
        state, step = (2, None) if roll > 0.07 else (1, 1)
        cards.append(
            (
                card_id,
                f"tutor/bench/{card_id}",
                topics[card_id % len(topics)],
                state,
                step,
                stability,
                chance.uniform(1, 10),
                stamp(due),
                stamp(last),
            )
        )
    connection.executemany(
        "INSERT INTO cardstate (id, card_key, topic_id, origin, front, back, source, state, step, stability, difficulty,"
        " due, last_review, reps, lapses, suspended, leech, retired, created_at)"
        " VALUES (?, ?, ?, 'tutor', 'front', 'back', '', ?, ?, ?, ?, ?, ?, 5, 0, 0, 0, 0, ?)",
        [(*card[:3], *card[3:], stamp(NOW - timedelta(days=400))) for card in cards],
    )
    before = json.dumps({"state": 2})
    # Formatting a million datetimes dominates otherwise: draw from 20,000 ready-made moments.
    past = sorted(stamp(NOW - timedelta(days=chance.uniform(0, 730))) for _ in range(20_000))
    today = [stamp(NOW - timedelta(minutes=m)) for m in range(0, 600, 3)]

    def logs():
        for index in range(LOGS):
            when = chance.choice(past) if index % 5000 else today[index // 5000 % len(today)]
            yield (chance.randint(1, CARDS), chance.choice((1, 3, 3, 3, 4)), when, 4000, before)

    connection.executemany(
        "INSERT INTO reviewlog (card_id, rating, reviewed_at, duration_ms, mode, state_before) VALUES (?, ?, ?, ?, 'review', ?)",
        logs(),
    )
    connection.commit()
    connection.execute("ANALYZE")
    connection.close()


def median_ms(samples: list[float]) -> str:
    return f"{statistics.median(samples) * 1000:.2f}"


def main() -> int:
    from dltui.context import StudyContext
    from dltui.settings import load_settings
    from dltui.srs import ReviewQueue, StudyClock
    from dltui.srs.today import due_today, today_counts
    from fsrs import Rating

    with tempfile.TemporaryDirectory() as folder:
        settings = load_settings(Path(folder) / "tutor.db", env={"DLTUI_REVIEWS_PER_DAY": "100000"})
        context = StudyContext.open(settings=settings)  # creates the schema
        started = time.perf_counter()
        fill(settings.db_path, list(context.curriculum.topics) or ["none"])
        filled = time.perf_counter() - started
        clock = StudyClock(4, timezone.utc, lambda: NOW)
        queue = ReviewQueue(context, clock)

        fetch, answer, counts, preview, header, stats = [], [], [], [], [], []
        for _ in range(SAMPLES):
            started = time.perf_counter()
            card = queue.next_card()
            fetch.append(time.perf_counter() - started)
            started = time.perf_counter()
            queue.preview(card.card_id)
            preview.append(time.perf_counter() - started)
            started = time.perf_counter()
            queue.answer(card.card_id, Rating.Good, duration_ms=3000)
            answer.append(time.perf_counter() - started)
            started = time.perf_counter()
            queue.counts()
            counts.append(time.perf_counter() - started)
            started = time.perf_counter()
            due_today(context, clock, queue)  # what the Review header reads after every answer
            header.append(time.perf_counter() - started)
            if len(stats) < 20:  # Progress, the stats view and the tutor's prompt: with the retention
                started = time.perf_counter()
                today_counts(context, clock, queue)
                stats.append(time.perf_counter() - started)
        context.close()
    size = "100k cards, 1M logs"
    print("| name | value | unit | note |")
    print("|---|---|---|---|")
    print(f"| review: next due card | {median_ms(fetch)} | ms | median of {SAMPLES}, {size} |")
    print(f"| review: record an answer | {median_ms(answer)} | ms | median of {SAMPLES}, committed, {size} |")
    print(f"| review: queue counts (status line) | {median_ms(counts)} | ms | median of {SAMPLES}, {size} |")
    print(f"| review: header line (today's numbers) | {median_ms(header)} | ms | median of {SAMPLES}, after each answer, {size} |")
    print(f"| review: today's numbers with the 30-day retention | {median_ms(stats)} | ms | median of {len(stats)}, {size} |")
    print(f"| review: interval preview | {median_ms(preview)} | ms | median of {SAMPLES}, 4 ratings |")
    print(f"| review: bench data written | {filled:.1f} | s | executemany into a temp database |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
