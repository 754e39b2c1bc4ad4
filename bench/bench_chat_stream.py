"""Chat streaming cost: a 2,000-word reply arriving in small deltas, drawn by the real Chat area.

The app runs headless (Pilot) at 120x40 on a temporary database; the tutor is replaced by one that
streams a long Markdown reply (paragraphs, a list, a code block) word by word, as the API's
text deltas arrive, with a 1 ms gap between deltas. Measured: the TUI process's CPU time for the
whole reply, and the CPU per delta over the first and the last fifth (flat is the goal: a cost
that grows with the text so far makes long replies quadratic).
Prints `| name | value | unit | note |` rows.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "app"))

WORDS = 2000
GAP_S = 0.001


def long_reply() -> list[str]:
    """About WORDS words of Markdown, as deltas of one word (and its space) each."""
    paragraph = (
        "Backpropagation applies the chain rule layer by layer, from the loss back to the first "
        "weights, reusing every value the forward pass stored. "
    )
    parts = []
    while sum(len(p.split()) for p in parts) < WORDS:
        parts += [paragraph * 3, "\n\n", "- a point about shapes\n- another point\n\n", "```python\ndW = X.T @ dY\n```\n\n"]
    text = "".join(parts)
    return [piece for piece in text.replace(" ", " \x00").split("\x00") if piece]


class StreamingTutor:
    name = "offline"
    label = "bench tutor"

    def __init__(self, pieces: list[str]):
        self.pieces = pieces
        self.cpu_at: list[float] = []  # process CPU time as each delta was handed over
        self.toolbox = None

    async def respond(self, history, topic_id, on_text, on_tool):
        from dltui.tutor.reply import Reply

        reply = Reply()
        for piece in self.pieces:
            self.cpu_at.append(time.process_time())
            reply.text += piece
            on_text(piece)
            await asyncio.sleep(GAP_S)
        return reply.done()


async def measure() -> tuple[float, float, float, int, float]:
    from dltui.context import StudyContext
    from dltui.settings import load_settings
    from dltui.ui.app import DltuiApp
    from dltui.ui.chat import ChatPane

    folder = Path(tempfile.mkdtemp(prefix="dltui-bench-chat-"))
    context = StudyContext.open(settings=load_settings(folder / "tutor.db", env={}))
    pieces = long_reply()
    app = DltuiApp(context)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.5)
        pane = app.query_one(ChatPane)
        tutor = StreamingTutor(pieces)
        tutor.toolbox = pane.chat.tutor.toolbox
        pane.chat._tutor = tutor  # the bench stands in for the API: the drawing is what is measured
        started_cpu, started = time.process_time(), time.perf_counter()
        pane.send("explain backpropagation at length")
        while not tutor.cpu_at or pane.replying:
            await asyncio.sleep(0.02)
        await pilot.pause(0.2)
        cpu, wall = time.process_time() - started_cpu, time.perf_counter() - started
    context.close()
    fifth = len(tutor.cpu_at) // 5
    first = (tutor.cpu_at[fifth] - tutor.cpu_at[0]) / fifth * 1000
    last = (tutor.cpu_at[-1] - tutor.cpu_at[-fifth - 1]) / fifth * 1000
    return cpu, wall, first, len(pieces), last


def main() -> None:
    cpu, wall, first, deltas, last = asyncio.run(measure())
    words = sum(len(p.split()) for p in long_reply())
    print(
        f"| chat: TUI CPU for a 2,000-word streamed reply | {cpu:.2f} | s | {words:,} words in {deltas:,} deltas, 120x40, "
        f"{wall:.1f} s of wall time ({GAP_S * 1000:g} ms between deltas) |"
    )
    print(f"| chat: CPU per delta, first fifth | {first:.2f} | ms | the reply's start |")
    print(f"| chat: CPU per delta, last fifth | {last:.2f} | ms | the reply's end: flat is the goal |")
    print(f"| chat: per-delta cost, last / first fifth | {last / first if first else float('nan'):.2f} | x | 1.0 = flat |")


if __name__ == "__main__":
    main()
