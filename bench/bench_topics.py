"""The Topics area on a big collection (100,000 cards): what a switch to it costs the learner.

Mastery of every topic is summed in SQLite (srs.mastery) in a worker thread, so the area shows at
once and its numbers follow. Measured: the mastery read itself, and, in the real app (headless,
Pilot, 80x24), how long the event loop is held up (its largest lag, sampled every 5 ms) and how long
until the new numbers are on screen, per switch from the Chat to the Topics area.
Prints `| name | value | unit | note |` rows.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "app"))
sys.path.insert(0, str(HERE))

import bench_review  # noqa: E402  (the same 100k-card collection)

SWITCHES = 5
TICK_S = 0.005


async def worst_lag(stop: asyncio.Event) -> float:
    """The event loop's largest delay past a TICK_S sleep until ``stop`` is set."""
    worst = 0.0
    while not stop.is_set():
        before = time.perf_counter()
        await asyncio.sleep(TICK_S)
        worst = max(worst, time.perf_counter() - before - TICK_S)
    return worst


async def switch_to_topics(context) -> tuple[list[float], list[float]]:
    from dltui.ui.app import DltuiApp

    lags, until_shown = [], []
    app = DltuiApp(context, start_area="chat")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.5)
        for _ in range(SWITCHES):
            stop = asyncio.Event()
            sampler = asyncio.create_task(worst_lag(stop))
            started = time.perf_counter()
            await pilot.press("f2")
            await app.workers.wait_for_complete()
            await pilot.pause()
            until_shown.append(time.perf_counter() - started)
            stop.set()
            lags.append(await sampler)
            await pilot.press("f1")
            await pilot.pause(0.2)
    return lags, until_shown


def main() -> int:
    from dltui.context import StudyContext
    from dltui.settings import load_settings
    from dltui.srs.mastery import topic_mastery

    bench_review.LOGS = 10_000  # mastery reads cards, not logs
    with tempfile.TemporaryDirectory() as folder:
        settings = load_settings(Path(folder) / "tutor.db", env={})
        context = StudyContext.open(settings=settings)
        bench_review.fill(settings.db_path, list(context.curriculum.topics))
        reads = []
        for _ in range(5):
            started = time.perf_counter()
            topic_mastery(context, now=bench_review.NOW)
            reads.append(time.perf_counter() - started)
        lags, shown = asyncio.run(switch_to_topics(context))
        context.close()
    size = f"{bench_review.CARDS // 1000}k cards"
    print("| name | value | unit | note |")
    print("|---|---|---|---|")
    print(f"| topics: switch, event loop held up | {max(lags) * 1000:.1f} | ms | worst lag of {SWITCHES} switches F1->F2, {size} |")
    print(f"| topics: switch until the numbers are shown | {statistics.median(shown) * 1000:.0f} | ms | median of {SWITCHES}, {size} |")
    print(f"| topics: mastery of every topic | {statistics.median(reads) * 1000:.0f} | ms | median of 5, {size}, in a worker thread |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
