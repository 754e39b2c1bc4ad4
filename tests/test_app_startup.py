"""Start-up: dltui paints its shell first, then loads the learner's records behind it.

The first frame needs only Textual and light dltui modules; the database and the curriculum open
in a thread. Readiness is held back here with a gate in the opener (the real StudyContext.open
behind it), so the tests can type, press Enter and switch areas before the records are loaded.
"""

from __future__ import annotations

import gc
import json
import os
import pty
import select
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from contextlib import asynccontextmanager

import pytest
from dltui.ui.app import DltuiApp
from dltui.ui.areas import Areas
from journeys.conftest import screen_text, type_text, wait_for_text, wait_until
from textual.widgets import Input

HEAVY = ["sqlmodel", "sqlalchemy", "pydantic", "torch", "anthropic", "markdown_it"]

SHELL_PROBE = textwrap.dedent(
    """
    import asyncio, json, sys, threading
    import dltui.cli
    from dltui.ui.app import DltuiApp

    HEAVY = json.loads(sys.argv[2])
    print(json.dumps([name for name in HEAVY if name in sys.modules]), flush=True)  # after the imports
    report = {}

    async def main():
        gate = threading.Event()

        def opener():
            gate.wait()
            from dltui.context import StudyContext
            return StudyContext.open(sys.argv[1])

        app = DltuiApp(opener=opener)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            report["first_frame"] = [name for name in HEAVY if name in sys.modules]
            report["focused"] = [cls.__name__ for cls in type(app.focused).__mro__]
            gate.set()
            for _ in range(400):
                await pilot.pause(0.05)
                if app.loaded:
                    break
            report["ready"] = app.loaded and bool(app.query("ChatPane"))
            if sys.argv[3:] == ["wait-for-sdk"]:
                report["sdk_when_ready"] = "anthropic" in sys.modules
                await pilot.press(*"what is")  # a message being typed, not sent: only a warm-up loads it
                for _ in range(400):
                    await pilot.pause(0.05)
                    if "anthropic" in sys.modules:
                        break
                report["sdk_before_first_message"] = "anthropic" in sys.modules
        app.context.close()

    asyncio.run(main())
    print(json.dumps(report))
    """
)


def test_the_first_frame_needs_no_database_or_curriculum_modules(tmp_path):
    done = subprocess.run(
        [sys.executable, "-c", SHELL_PROBE, str(tmp_path / "tutor.db"), json.dumps(HEAVY)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    lines = done.stdout.strip().splitlines()
    assert lines and json.loads(lines[0]) == [], "importing the app and its command line must stay light"
    assert done.returncode == 0, done.stderr
    report = json.loads(lines[-1])
    assert report["first_frame"] == [], "the shell is drawn before the records are loaded"
    assert "ChatInput" in report["focused"], "keys typed at launch land in the chat's text box"
    assert report["ready"]


def test_with_a_key_claudes_sdk_loads_while_the_first_message_is_typed_not_at_start_up(tmp_path):
    # The SDK takes ~1 s to import: on the first message that was a second of frozen screen before
    # "waiting for Claude" could even start. It loads in a thread once the learner starts typing.
    env = {**os.environ, "ANTHROPIC_API_KEY": "sk-ant-test-not-a-key", "ANTHROPIC_BASE_URL": "http://127.0.0.1:9"}
    done = subprocess.run(
        [sys.executable, "-c", SHELL_PROBE, str(tmp_path / "tutor.db"), json.dumps(HEAVY), "wait-for-sdk"],
        capture_output=True,
        text=True,
        timeout=90,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["first_frame"] == [] and report["ready"] and not report["sdk_when_ready"]
    assert report["sdk_before_first_message"]


class Gate:
    """An opener that waits until the test opens the gate, then opens the real StudyContext."""

    def __init__(self, settings):
        self.settings = settings
        self.event = threading.Event()

    def __call__(self):
        from dltui.context import StudyContext

        self.event.wait(timeout=30)
        return StudyContext.open(settings=self.settings)


@asynccontextmanager
async def gated_app(settings, size=(80, 24), **options):
    """(app, pilot, gate): the app running with its records held back until ``gate.event`` is set;
    the gate is opened and the records closed however the test ends."""
    gate = Gate(settings)
    app = DltuiApp(opener=gate, **options)
    try:
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            yield app, pilot, gate
    finally:
        gate.event.set()
        if app.loaded:
            app.context.close()


async def test_keys_typed_before_the_records_are_loaded_are_kept_and_sent_in_order(settings):
    async with gated_app(settings, size=(120, 60)) as (app, pilot, gate):
        assert "loading your records" in screen_text(app)
        await type_text(pilot, "explain backpropagation")
        await pilot.press("enter")
        await type_text(pilot, "I don't know")
        await pilot.press("ctrl+j")  # Enter as the terminal's cooked mode delivers it
        await type_text(pilot, "and then")
        await pilot.press("f3")  # the area keys work while loading
        assert app.query_one("#areas", Areas).active == "review"
        await pilot.press("f1")
        assert not app.loaded, "the gate still holds the records back"
        gate.event.set()
        screen = await wait_for_text(pilot, "Check 1 of", timeout=20)  # the reply to the second message
        assert screen.count("You  explain backpropagation") == 1 and screen.count("You  I don't know") == 1
        order = ["You  explain backpropagation", "Let's study Backpropagation", "You  I don't know", "Check 1 of"]
        assert [screen.index(text) for text in order] == sorted(screen.index(text) for text in order), screen
        assert "loading your records" not in screen
        chat_input = app.query_one("#chat-input", Input)
        assert await wait_until(pilot, lambda: not app.query_one("ChatPane").replying)
        assert chat_input.value == "and then", "the unsent draft stays in the box"
        assert app.focused is chat_input


async def test_an_area_chosen_while_loading_gets_the_focus_once_ready(settings):
    async with gated_app(settings, start_area="topics") as (app, pilot, gate):
        await pilot.press("f3")
        gate.event.set()
        assert await wait_until(pilot, lambda: bool(app.query("ReviewPane")), timeout=20)
        await pilot.pause()
        assert app.query_one("#areas", Areas).active == "review"
        assert app.focused is not None and app.query_one("ReviewPane") in app.focused.ancestors_with_self


@pytest.mark.parametrize("area", ["review", "topics", "labs", "progress"])
async def test_the_area_asked_for_at_launch_takes_the_keys_once_ready(settings, area):
    # `dltui --area review`: the card is on screen, so space must show its answer without a
    # click or an area key first (the tab strip held the focus, and no area key did anything).
    async with gated_app(settings, start_area=area) as (app, pilot, gate):
        gate.event.set()
        assert await wait_until(pilot, lambda: app.loaded, timeout=20)
        await pilot.pause()
        pane = app.query_one(f"#{area} > .area-pane")
        assert app.focused is not None and pane in app.focused.ancestors_with_self, app.focused
        if area == "review":
            await pilot.press("space")
            assert "Again" in str(app.query_one("#review-ratings").render())


async def test_a_dialog_open_while_loading_keeps_its_keys_and_the_area_has_them_after(settings):
    async with gated_app(settings, start_area="review") as (app, pilot, gate):
        await pilot.press("ctrl+p")  # the command palette, opened before the records are in
        await pilot.pause()
        palette = app.screen
        gate.event.set()
        assert await wait_until(pilot, lambda: app.loaded, timeout=20)
        await pilot.pause()
        assert app.screen is palette and app.focused is not None and app.focused.screen is palette
        await pilot.press("escape")
        await pilot.pause()
        pane = app.query_one("#review > .area-pane")
        assert app.focused is not None and pane in app.focused.ancestors_with_self, app.focused


async def test_the_collector_paused_for_start_up_runs_again_once_the_records_are_loaded(settings):
    gc.disable()  # as `dltui` does before it imports the app (cli.run_app)
    try:
        async with gated_app(settings) as (app, pilot, gate):
            assert not gc.isenabled(), "nothing turns it on before the records are in"
            gate.event.set()
            assert await wait_until(pilot, lambda: app.loaded, timeout=20)
            # Left off, every object made from here on would live until the app closes.
            assert gc.isenabled()
    finally:
        gc.enable()


async def test_ctrl_q_while_loading_quits_at_once(settings):
    async with gated_app(settings) as (app, pilot, gate):
        await pilot.press("ctrl+q")
        assert await wait_until(pilot, lambda: not app.is_running, timeout=5)
    assert app.return_code == 0 and app.open_error is None


def launch_in_a_terminal(*args: str, timeout: float = 60.0) -> tuple[int, str]:
    """`dltui ARGS` in a real pseudo-terminal: its exit status and everything it wrote."""
    env = {**os.environ, "TERM": "xterm-256color", "DLTUI_DATA_DIR": ""}
    env.pop("ANTHROPIC_API_KEY", None)
    pid, fd = pty.fork()
    if pid == 0:
        os.execvpe(sys.executable, [sys.executable, "-m", "dltui", *args], env)
    seen, started = b"", time.monotonic()
    try:
        while time.monotonic() - started < timeout:
            ready, _, _ = select.select([fd], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(fd, 65536)
                except OSError:
                    break
                if not chunk:
                    break
                seen += chunk
        _, status = os.waitpid(pid, 0)
    finally:
        os.close(fd)
    return os.waitstatus_to_exitcode(status), seen.decode(errors="replace")


def test_a_foreign_database_at_launch_is_refused_in_words(tmp_path):
    foreign = tmp_path / "photos.db"
    with sqlite3.connect(foreign) as connection:
        connection.execute("CREATE TABLE photo (id INTEGER PRIMARY KEY, path TEXT)")
    connection.close()
    code, output = launch_in_a_terminal("--db", str(foreign))
    assert code == 2, output
    assert "dltui: " in output and "no dltui schema version" in output, output
    assert "Traceback" not in output
