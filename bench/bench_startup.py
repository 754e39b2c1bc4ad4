"""Start-up: time from launch to the first painted screen, dltui against a bare Textual app.

Both run in a real pseudo-terminal (80x24). The clock stops when the screen output contains a
text that only a painted frame shows (the header title for dltui, the label for hello-world).
dltui paints its shell first and loads the learner's records behind it: the same launch also
times the chat's status line ("Tutor: ..."), drawn once the records are loaded (for information).
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pty_app import PtyApp  # noqa: E402

HELLO = """
from textual.app import App
from textual.widgets import Static

class Hello(App):
    def compose(self):
        yield Static("hello-from-textual")

Hello().run()
"""
RUNS = 7
PAINTED, READY = b"dltui", b"Tutor:"  # the header's title; the chat's status line (records loaded)


def time_to_paint(argv: list[str], marker: bytes, env: dict[str, str], timeout: float = 30.0) -> float:
    return times_to_markers(argv, [marker], env, timeout)[0]


def times_to_markers(argv: list[str], markers: list[bytes], env: dict[str, str], timeout: float = 30.0) -> list[float]:
    """Seconds from launch until each marker is in the screen output (markers in the order they come)."""
    app = PtyApp(argv, env)
    try:
        return [app.wait_for(marker, timeout) for marker in markers]
    finally:
        app.close()


def main() -> None:
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "TERM": "xterm-256color", "DLTUI_DB": os.path.join(home, "tutor.db"), "COLUMNS": "80", "LINES": "24"}
        env.pop("ANTHROPIC_API_KEY", None)
        # Measure what a learner gets: bytecode cached after the first launch (some CI images
        # disable that, which makes every launch recompile dltui's own modules). The cache goes
        # to a temporary folder, never into the checkout.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env.setdefault("PYTHONPYCACHEPREFIX", os.path.join(home, "pycache"))
        # A key that is never used: nothing may reach the network at start-up.
        keyed = {**env, "ANTHROPIC_API_KEY": "sk-ant-bench-not-a-key", "ANTHROPIC_BASE_URL": "http://127.0.0.1:9"}
        dltui = [sys.executable, "-m", "dltui"]
        hello = [sys.executable, "-c", HELLO]
        times_to_markers(dltui, [PAINTED, READY], env)  # warm the page cache, write bytecode, create the database
        times_to_markers(dltui, [PAINTED, READY], keyed)
        ours, with_key, bare, ready = [], [], [], []
        for _ in range(RUNS):  # interleaved, so machine noise hits all alike
            painted, loaded = times_to_markers(dltui, [PAINTED, READY], env)
            ours.append(painted)
            ready.append(loaded)
            with_key.append(time_to_paint(dltui, PAINTED, keyed))
            bare.append(time_to_paint(hello, b"hello-from-textual", env))
    runs = (("ours", ours), ("key", with_key), ("bare", bare), ("ready", ready))
    ms = {name: (min(v) * 1000, statistics.median(v) * 1000) for name, v in runs}
    print(f"| startup: dltui first paint | {ms['ours'][1]:.0f} | ms | median of {RUNS}, min {ms['ours'][0]:.0f} ms, 80x24 pty, warm |")
    print(f"| startup: dltui first paint, API key set | {ms['key'][1]:.0f} | ms | median of {RUNS}, min {ms['key'][0]:.0f} ms |")
    print(
        f"| startup: textual hello-world first paint | {ms['bare'][1]:.0f} | ms | median of {RUNS}, min {ms['bare'][0]:.0f} ms, same run |"
    )
    print(
        f"| startup: dltui time until ready (records loaded) | {ms['ready'][1]:.0f} | ms "
        f"| median of {RUNS}, min {ms['ready'][0]:.0f} ms, for information: the chat's status line |"
    )
    print(f"| startup: ratio dltui / hello-world | {ms['ours'][1] / ms['bare'][1]:.2f} | x | medians; lower is better |")
    print(f"| startup: ratio dltui / hello-world, API key set | {ms['key'][1] / ms['bare'][1]:.2f} | x | medians |")


if __name__ == "__main__":
    main()
