"""Review speed as the learner feels it: the TUI's CPU from a key to the next card on screen.

The app runs headless (Pilot) at 80x24 on a temporary database with the bundled curriculum; the
learner reveals each card and rates it Good, from the keyboard (Esc first on a number card, whose
text box has the focus). Measured per card: the TUI process's CPU time for the reveal and for
the answer up to the next card drawn. The database part is measured by bench_review.py.
Prints `| name | value | unit | note |` rows.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "app"))

CARDS = 40


async def measure() -> tuple[list[float], list[float]]:
    from dltui.context import StudyContext
    from dltui.settings import load_settings
    from dltui.ui.app import DltuiApp
    from dltui.ui.review.pane import ReviewPane

    folder = Path(tempfile.mkdtemp(prefix="dltui-bench-review-"))
    settings = load_settings(folder / "tutor.db", env={"DLTUI_NEW_PER_DAY": "200"})
    context = StudyContext.open(settings=settings)
    reveal_cpu, answer_cpu = [], []
    app = DltuiApp(context, start_area="review")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.5)
        pane = app.query_one(ReviewPane)
        for _ in range(CARDS):
            card = pane.card
            if card is None:
                break
            started = time.process_time()
            if app.focused is not None and app.focused.id == "card-input":
                await pilot.press("escape")
            await pilot.press("space")
            await pilot.pause()
            reveal_cpu.append(time.process_time() - started)
            started = time.process_time()
            await pilot.press("3")
            await pilot.pause()
            answer_cpu.append(time.process_time() - started)
            assert pane.card is not card, "the answer did not take"
    context.close()
    return reveal_cpu, answer_cpu


def main() -> None:
    reveal, answer = asyncio.run(measure())
    ms = [1000 * x for x in answer]
    print(
        f"| review TUI: answer to next card on screen | {statistics.median(ms):.1f} | ms CPU | median of {len(ms)} cards, "
        f"p90 {sorted(ms)[int(0.9 * len(ms))]:.1f} ms, 80x24, Pilot, bundled curriculum |"
    )
    ms = [1000 * x for x in reveal]
    print(f"| review TUI: reveal the answer | {statistics.median(ms):.1f} | ms CPU | median of {len(ms)} cards |")


if __name__ == "__main__":
    main()
