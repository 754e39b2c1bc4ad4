"""Review speed as the learner feels it: the TUI's CPU from a key to the next card on screen.

`dltui --area review` runs in a real pseudo-terminal at 80x24 on a temporary database with the
bundled curriculum; the learner reveals each card (Esc, then space: Esc leaves a number card's
text box and does nothing elsewhere) and rates it Good. Measured per card: the CPU time of all the
app's threads from the key until the frame it brings is written (output, then 50 ms of silence),
for the reveal and for the answer up to the next card drawn. The same session under Textual's Pilot is printed for
information: Pilot's own waiting (it visits every widget of the app after each key) is in it.
The database part is measured by bench_review.py. Prints `| name | value | unit | note |` rows.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "app"))
from pty_app import PtyApp  # noqa: E402

ESC, SPACE = "\x1b", " "
FRAME_GAP_S = 0.05  # a frame is written in one burst (Textual draws at most 60 a second)
SETTLE_S = 0.3

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


def cpu_for(app: PtyApp, key: str, draws: bool = True) -> float:
    """CPU seconds the app spends from ``key`` until the frame it brings is written: output that
    ends with FRAME_GAP_S of silence. A key that ``draws`` nothing (Esc outside a text box) is
    given 2 * FRAME_GAP_S to draw. The app then settles, unmeasured, before the next key (Esc
    and space sent at once would read as alt+space; a blinking cursor is not the key's work)."""
    before = app.cpu_seconds()
    app.send(key)
    if app.first_output(timeout=5.0 if draws else 2 * FRAME_GAP_S):
        app.settle(quiet=FRAME_GAP_S)
    elif draws:
        raise RuntimeError(f"nothing drawn after {key!r}")
    cpu = app.cpu_seconds() - before
    app.settle(quiet=SETTLE_S)
    return cpu


def measure_in_terminal() -> tuple[list[float], list[float], float]:
    """(reveal CPU, answer CPU, idle CPU per second) for CARDS cards in a real terminal."""
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "TERM": "xterm-256color", "DLTUI_DB": os.path.join(home, "tutor.db"), "DLTUI_NEW_PER_DAY": "200"}
        env.pop("ANTHROPIC_API_KEY", None)
        env.setdefault("PYTHONPYCACHEPREFIX", os.path.join(home, "pycache"))
        app = PtyApp([sys.executable, "-m", "dltui", "--area", "review"], env)
        try:
            app.wait_for(b"due today")
            app.settle(quiet=1.0)
            idle_started, idle_cpu = time.perf_counter(), app.cpu_seconds()
            app.settle(quiet=1.0)  # nothing happens: what the app costs when left alone
            idle = (app.cpu_seconds() - idle_cpu) / (time.perf_counter() - idle_started)
            reveal, answer = [], []
            for _ in range(CARDS):
                reveal.append(cpu_for(app, ESC, draws=False) + cpu_for(app, SPACE))
                written = len(app.seen)
                answer.append(cpu_for(app, "3"))
                if b"next in" not in app.seen[written:]:
                    raise RuntimeError("an answer did not take (no 'next in' on screen)")
        finally:
            app.close()
    return reveal, answer, idle


def median_ms(seconds: list[float]) -> str:
    return f"{statistics.median(seconds) * 1000:.1f}"


def p90_ms(seconds: list[float]) -> str:
    return f"{sorted(seconds)[int(0.9 * len(seconds))] * 1000:.1f}"


def main() -> None:
    reveal, answer, idle = measure_in_terminal()
    print(
        f"| review TUI: answer to next card on screen | {median_ms(answer)} | ms CPU | median of {len(answer)} cards, "
        f"p90 {p90_ms(answer)} ms, 80x24 pty, bundled curriculum (idle: {idle * 1000:.1f} ms CPU a second) |"
    )
    print(f"| review TUI: reveal the answer | {median_ms(reveal)} | ms CPU | median of {len(reveal)} cards, p90 {p90_ms(reveal)} ms |")
    reveal, answer = asyncio.run(measure())
    print(
        f"| review TUI under Pilot: answer to next card | {median_ms(answer)} | ms CPU | for information: Pilot's "
        f"waiting is in it, p90 {p90_ms(answer)} ms |"
    )
    print(f"| review TUI under Pilot: reveal the answer | {median_ms(reveal)} | ms CPU | for information |")


if __name__ == "__main__":
    main()
