"""A lab whose program needs a module this install lacks (torch without the labs extra, issue 16).

The dev environment has torch, so a registered lab that requires a module nobody has stands in
for a PyTorch lab on a `pipx install dltui` without the extra (tests/test_wheel_install.py runs
the bundled torch labs on a real install without torch). The list marks it, the summary says how
to add what it needs, and `r` says so instead of opening the form or starting a run.
"""

from __future__ import annotations

from pathlib import Path

from dltui.labs import records
from dltui.labs.registry import register_lab_folder
from dltui.ui.app import DltuiApp
from journeys.conftest import screen_text, wait_for_text, wait_until
from textual.widgets import OptionList

MISSING = "absentmod"  # a module no Python has


def lab_needing_a_missing_module(learner, tmp_path: Path) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "lab.toml").write_text(
        f'id = "mine"\ntitle = "Mine"\ncommand = ["{{python}}", "-c", "import {MISSING}"]\nrequires = ["{MISSING}"]\n',
        encoding="utf-8",
    )
    register_lab_folder(learner.settings.labs_dir, learner.settings.data_dir, folder)


async def test_a_lab_needing_a_missing_module_is_listed_marked_and_says_how_to_add_it(learner, size, tmp_path):
    lab_needing_a_missing_module(learner, tmp_path)
    app = DltuiApp(learner)
    async with app.run_test(size=size) as pilot:
        await pilot.press("f4")
        await wait_for_text(pilot, "numpy-xor", timeout=20)
        labs = app.query_one("#lab-list", OptionList)
        assert await wait_until(pilot, lambda: labs.option_count >= 7)  # the bundled six and "mine"
        for _ in range(labs.option_count):  # arrow down to it, as a learner does (the list scrolls)
            if labs.highlighted_option is not None and labs.highlighted_option.id == "mine":
                break
            await pilot.press("down")
        flat = lambda: " ".join(screen_text(app).split())  # noqa: E731 (the summary wraps)
        assert await wait_until(pilot, lambda: "which this install lacks" in flat()), screen_text(app)
        assert f"mine needs {MISSING}" in screen_text(app)
        await pilot.press("r")
        assert await wait_until(pilot, lambda: f"pipx inject dltui {MISSING}" in flat()), screen_text(app)
        assert app.screen.__class__.__name__ != "LabForm"
        assert records.recent_runs(learner.store) == []
