"""Journey tests: the real app, driven from launch as a learner drives it, read off the screen.

Nothing is focused by hand: keys go wherever the app put the focus. Each journey runs at the two
sizes learners use (80x24 on a laptop over SSH, 120x40 on a big terminal) unless it pins one.
The `learner` fixture (a fresh database, the bundled curriculum, no API key) is in tests/conftest.py.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from textual import events
from textual.app import App
from textual.keys import _character_to_key

SIZES = [(80, 24), (120, 40)]


def screen_text(app: App) -> str:
    """What the learner sees, as plain text lines (the whole screen, modal screens included)."""
    return "\n".join("".join(segment.text for segment in strip) for strip in app.screen._compositor.render_strips())


def typed_at_once(app, keys: list[str]) -> None:
    """Keys as a terminal delivers a burst in one read (a fast typist, or SSH catching up): all
    queued before the app has handled the first. A key is a character ("?") or a name ("enter")."""
    for key in keys:
        if len(key) == 1:
            app.post_message(events.Key(_character_to_key(key), key))
        else:
            app.post_message(events.Key(key, " " if key == "space" else None))


async def wait_until(pilot, predicate: Callable[[], bool], timeout: float = 10.0, step: float = 0.05) -> bool:
    """Pause the app until ``predicate()`` holds (True) or ``timeout`` seconds pass (False)."""
    loops = max(1, int(timeout / step))
    for _ in range(loops):
        await pilot.pause()
        if predicate():
            return True
        await pilot.pause(step)
    return predicate()


async def wait_for_text(pilot, text: str, timeout: float = 10.0) -> str:
    """Wait until ``text`` is on screen; return the screen (assert on it for a clear failure)."""
    await wait_until(pilot, lambda: text in screen_text(pilot.app), timeout)
    return screen_text(pilot.app)


def last_reply(app) -> tuple | None:
    """The open chat's newest saved tutor reply as (id, created_at): it changes with every reply,
    a retry included (a replaced reply can get its predecessor's id back)."""
    replies = [(m.id, m.created_at) for m in app.query_one("ChatPane").chat.messages() if m.role == "assistant"]
    return replies[-1] if replies else None


async def wait_for_reply(pilot, before: tuple | None, timeout: float = 20.0) -> bool:
    """Wait until a reply newer than ``before`` is saved and the chat has stopped replying."""
    pane = pilot.app.query_one("ChatPane")
    return await wait_until(pilot, lambda: not pane.replying and last_reply(pilot.app) != before, timeout)


async def type_text(pilot, text: str) -> None:
    """Type like a person at a terminal: one key event per character (space and ? included),
    delivered in one burst as the terminal delivers fast typing or a paste, then wait for the
    app to take them all in. (Pilot.press waits for idle after every key: ~60 ms a character.)"""
    app = pilot.app
    for char in text:
        key = events.Key(_character_to_key(char), char)
        key.set_sender(app)
        app._driver.send_message(key)
    await pilot.pause()


@pytest.fixture(params=SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def size(request) -> tuple[int, int]:
    return request.param
