"""The first reply with an API key: from Enter to the reply's first words on screen.

`dltui` runs in a real pseudo-terminal (80x24) with ANTHROPIC_API_KEY set and the real anthropic
SDK pointed at the tests' fake Messages API on 127.0.0.1, which answers at once. Once the chat is
up, the question is typed as a learner types it (TYPING_S between keys), then Enter; the clock
runs until the reply's first words are on screen. What it shows is the app's own share of the wait
for the first reply: the SDK's import (~1 s on this machine) and the client's set-up, which the
chat starts in a thread at the question's first key (tutor/chat.py: warm_up).
Prints `| name | value | unit | note |` rows.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))
from fake_anthropic import FakeMessagesAPI, text_reply  # noqa: E402
from pty_app import PtyApp  # noqa: E402

RUNS = 3
QUESTION = "teach me gradient descent"
TYPING_S = 0.08  # a key every 80 ms: about 150 characters a minute
ANSWER = "Before I explain: what do you already know about derivatives?"


def type_and_send(app: PtyApp, question: str, reply_marker: bytes) -> float:
    """Type ``question`` at TYPING_S a key, press Enter: seconds until ``reply_marker`` is on screen."""
    for key in question:
        app.send(key)
        next_key = time.perf_counter() + TYPING_S
        while (left := next_key - time.perf_counter()) > 0:
            app.read(left)
    app.settle(quiet=0.1)
    mark = len(app.seen)
    started = time.perf_counter()
    app.send("\r")
    app.wait_for(reply_marker, 30, since=mark)
    return time.perf_counter() - started


def first_and_next_reply_s(env: dict[str, str]) -> tuple[float, float]:
    app = PtyApp([sys.executable, "-m", "dltui"], env)
    try:
        app.wait_for(b"Tutor: Claude", 30)
        first = type_and_send(app, QUESTION, b"already know")
        app.settle(quiet=0.3)
        return first, type_and_send(app, "the slope", b"Good start")
    finally:
        app.close()


def main() -> int:
    with tempfile.TemporaryDirectory() as home, FakeMessagesAPI() as api:
        env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "80", "LINES": "24"}
        env.update(ANTHROPIC_API_KEY="sk-ant-bench-not-a-key", ANTHROPIC_BASE_URL=api.url)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env.setdefault("PYTHONPYCACHEPREFIX", os.path.join(home, "pycache"))  # never into the checkout
        times = []
        for run in range(RUNS + 1):  # the first launch warms the page cache and writes bytecode
            api.queue(text_reply(*[word + " " for word in ANSWER.split(" ")]), text_reply("Good start: ", "and the sign?"))
            # A new learner each time: an earlier launch's chat would reopen with its reply on screen.
            times.append(first_and_next_reply_s({**env, "DLTUI_DB": os.path.join(home, f"tutor-{run}.db")}))
    first, later = [t[0] for t in times[1:]], [t[1] for t in times[1:]]
    print("| name | value | unit | note |")
    print("|---|---|---|---|")
    print(
        f"| chat: first reply's first words after Enter, key set | {statistics.median(first) * 1000:.0f} | ms "
        f"| median of {RUNS} launches (min {min(first) * 1000:.0f}), 80x24 pty, fake API answering at once, question typed at 12 keys/s |"
    )
    print(
        f"| chat: a later reply's first words after Enter, key set | {statistics.median(later) * 1000:.0f} | ms "
        f"| median of {RUNS}, the same launches' second question: the steady state |"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
