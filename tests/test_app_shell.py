"""The app shell through Textual's Pilot: areas by keyboard, help, layouts, no torch."""

import io
import json
import subprocess
import sys
import textwrap

import pytest
from dltui.ui.app import AREAS, DltuiApp
from dltui.ui.areas import Areas
from rich.console import Console


def active_area(app) -> str:
    return app.query_one("#areas", Areas).active


@pytest.mark.parametrize("size", [(80, 24), (200, 60)])
async def test_every_area_is_reachable_by_keyboard(context, size):
    app = DltuiApp(context)
    async with app.run_test(size=size) as pilot:
        assert active_area(app) == "chat"
        for area, _title, key in reversed(AREAS):
            await pilot.press(key)
            await pilot.pause()
            assert active_area(app) == area
        for index, (area, _title, _key) in enumerate(AREAS, start=1):
            await pilot.press(f"alt+{index}")
            await pilot.pause()
            assert active_area(app) == area
        # every area rendered something inside the screen bounds
        pane = app.query_one("#areas", Areas).box(active_area(app))
        assert pane.region.width > 0 and pane.region.bottom <= size[1]


async def test_question_mark_lists_the_bindings(context):
    app = DltuiApp(context, start_area="topics")
    async with app.run_test(size=(100, 30)) as pilot:
        app.set_focus(None)
        await pilot.press("question_mark")
        await pilot.pause()
        panels = app.screen.query("HelpPanel")
        assert panels, "? should open the key panel"
        console = Console(width=80, record=True, file=io.StringIO())
        console.print(app.screen.query_one("BindingsTable").render())
        shown = console.export_text()
        for _area, title, key in AREAS:
            assert f"{key.upper()} {title}" in shown
        assert "Quit" in shown and "palette" in shown
        await pilot.press("question_mark")
        await pilot.pause()
        assert not app.screen.query("HelpPanel")


async def test_command_palette_opens(context):
    app = DltuiApp(context)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert app.screen.__class__.__name__ == "CommandPalette"


async def test_topics_area_opens_an_explanation(context):
    app = DltuiApp(context, start_area="topics")
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()  # the map is read off the event loop
        await pilot.pause()
        tree = app.query_one("#topic-tree")
        app.set_focus(tree)
        first_topic = next(iter(context.curriculum.topics.values()))
        await pilot.press("down", "down", "enter")  # onto the first domain, then its first topic
        await pilot.pause()
        markdown = app.query_one("#topic-text")
        assert first_topic.title in markdown.source


STARTUP_PROBE = textwrap.dedent(
    """
    import asyncio, json, sys
    from dltui.context import StudyContext
    from dltui.ui.app import AREAS, DltuiApp

    async def main():
        app = DltuiApp(StudyContext.open(sys.argv[1]))
        async with app.run_test(size=(80, 24)) as pilot:
            for _area, _title, key in AREAS:
                await pilot.press(key)
                await pilot.pause()
        heavy = [name for name in ("torch", "numpy", "anthropic") if name in sys.modules]
        print(json.dumps(heavy))

    asyncio.run(main())
    """
)


def test_tui_process_never_imports_torch(tmp_path):
    done = subprocess.run([sys.executable, "-c", STARTUP_PROBE, str(tmp_path / "tutor.db")], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    heavy = json.loads(done.stdout.strip().splitlines()[-1])
    assert "torch" not in heavy
    # numpy and anthropic are lazy too: start-up stays fast
    assert heavy == []
