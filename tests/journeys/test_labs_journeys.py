"""Journeys through the Labs area: keys typed from launch, real lab processes, read off the screen.

The NumPy XOR labs run in about a second without MNIST, so every journey here uses them (or the
exercise grader, which needs no data either).
"""

from __future__ import annotations

import math
import re
import stat
from pathlib import Path

import pytest
from dltui.labs import records
from dltui.store.models import RunStatus
from dltui.ui.app import DltuiApp
from journeys.conftest import screen_text, type_text, typed_at_once, wait_for_text, wait_until

RUN_S = 60.0  # a lab start + a second of work; generous for a loaded 2-core machine


async def open_labs(pilot) -> str:
    """F4 from launch, then wait for the lab list to be read."""
    await pilot.press("f4")
    return await wait_for_text(pilot, "numpy-xor", timeout=20)


async def move_to_lab(pilot, lab_id: str) -> None:
    """Arrow down the lab list (it has the focus once Labs opened) until ``lab_id`` is picked."""
    from textual.widgets import OptionList

    labs = pilot.app.query_one("#lab-list", OptionList)
    for _ in range(labs.option_count):
        option = labs.highlighted_option
        if option is not None and option.id == lab_id:
            return
        await pilot.press("down")
    raise AssertionError(f"{lab_id} not reachable in the lab list")


async def launch(pilot, lab_id: str, **params: str) -> None:
    """r on the lab, type the parameters into the form, Ctrl+R to run."""
    from textual.widgets import Input

    await move_to_lab(pilot, lab_id)
    await pilot.press("r")
    await wait_until(pilot, lambda: pilot.app.screen.__class__.__name__ == "LabForm")
    for name, value in params.items():
        field = pilot.app.screen.query_one(f"#param-{name}", Input)
        while not field.has_focus:  # Tab down the form to the field, as a learner does
            await pilot.press("tab")
        await pilot.press("ctrl+a", "ctrl+k")
        await type_text(pilot, value)
    await pilot.press("ctrl+r")
    await wait_until(pilot, lambda: pilot.app.screen.__class__.__name__ != "LabForm")


def runs_of(learner) -> list:
    return records.recent_runs(learner.store)


async def all_finished(pilot, learner, count: int, timeout: float = RUN_S) -> list:
    def done() -> bool:
        runs = runs_of(learner)
        return len(runs) >= count and all(r.status is not RunStatus.RUNNING for r in runs)

    assert await wait_until(pilot, done, timeout), [r.status for r in runs_of(learner)]
    return runs_of(learner)


async def test_r_and_enter_typed_at_once_run_the_lab_with_its_defaults(learner):
    # The form's first field must have the keys by the time the Enter typed after "r" comes up
    # to the app; it was still on the form's scroll box (the field took the focus a moment later).
    app = DltuiApp(learner)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_labs(pilot)
        await move_to_lab(pilot, "numpy-xor")
        typed_at_once(app, ["r", "enter"])
        [run] = await all_finished(pilot, learner, 1)
        assert run.lab_id == "numpy-xor" and run.status is RunStatus.OK


# -- defect 1: `l` (log scale) never takes the app down ------------------------------------------


async def test_log_scale_on_an_empty_plot_keeps_the_app_running(learner, size):
    app = DltuiApp(learner)
    async with app.run_test(size=size) as pilot:
        await open_labs(pilot)
        await pilot.press("l")
        text = await wait_for_text(pilot, "loss (log)")
        assert "loss (log): no points yet" in text
        await pilot.pause(1.0)  # the old crash came with the next frames
        await pilot.press("l")
        text = await wait_for_text(pilot, "loss: no points yet")
        assert app.is_running


async def test_log_scale_on_a_live_sweep_plots_every_run(learner, size):
    app = DltuiApp(learner)
    async with app.run_test(size=size) as pilot:
        await open_labs(pilot)
        await pilot.press("l")
        await launch(pilot, "numpy-lr-sweep")
        runs = await all_finished(pilot, learner, 4)
        assert all(r.status is RunStatus.OK for r in runs)
        # The runs are over in the database before the next tick has read and drawn their points.
        await wait_until(pilot, lambda: "lr=10" in screen_text(app) and "no points yet" not in screen_text(app))
        text = screen_text(app)
        assert app.is_running
        assert "loss (log)" in text
        assert "no points yet" not in text


# -- defect 8: nothing cut off at 80x24 ------------------------------------------------------------


def region_text(app, selector: str) -> str:
    """The words a widget shows on screen, its lines joined with spaces (wrapping undone)."""
    region = app.query_one(selector).region
    lines = screen_text(app).splitlines()[region.y : region.bottom]
    return " ".join(" ".join(line[region.x : region.right] for line in lines).split())


async def test_each_labs_header_shows_title_target_and_description_whole(learner):
    app = DltuiApp(learner)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_labs(pilot)
        pane = app.query_one("LabsPane")
        for lab in pane.runner.registry.labs.values():
            await move_to_lab(pilot, lab.id)
            await pilot.pause(0.2)
            header = region_text(app, "#run-summary")
            assert lab.title in header
            if lab.target:
                assert f"target: {lab.target.describe()}" in header
            assert " ".join(lab.description.split()) in header, header


# -- defects 9 and 10: runs told apart, one line each, a legend off the curves, round ticks -------


def run_list_rows(app) -> list[str]:
    """The run list's entries as shown (one row each: the border columns stripped)."""
    region = app.query_one("#run-list").content_region
    lines = screen_text(app).splitlines()[region.y : region.bottom]
    return [line[region.x : region.right].strip() for line in lines if line[region.x : region.right].strip()]


def is_round_step(step: float) -> bool:
    mantissa = step / 10 ** math.floor(math.log10(step))
    return any(abs(mantissa - m) < 1e-6 for m in (1, 2, 5, 10))


def axis_ticks(app) -> list[list[float]]:
    """The numbers under each panel's x axis (the line after the axis' └──┬──┘ line)."""
    plot = app.query_one("MetricPlot").region
    lines = [line[plot.x : plot.right] for line in screen_text(app).splitlines()[plot.y : plot.bottom]]
    found = []
    for index, line in enumerate(lines[:-1]):
        for panel in re.finditer(r"└[─┬]*┘", line):  # each panel's axis, and the labels under it
            under = lines[index + 1][panel.start() : panel.end() + 4]
            found.append([float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", under)])
    return found


async def test_runs_of_one_lab_say_what_differs_on_one_line_each_with_a_legend(learner, size):
    app = DltuiApp(learner)
    async with app.run_test(size=size) as pilot:
        await open_labs(pilot)
        await launch(pilot, "numpy-xor", hidden="4")
        await all_finished(pilot, learner, 1)
        await launch(pilot, "numpy-xor", hidden="8")
        await all_finished(pilot, learner, 2)
        await launch(pilot, "numpy-xor", hidden="8")
        runs = await all_finished(pilot, learner, 3)
        await pilot.pause(1.5)  # the list is rebuilt once a second
        rows = run_list_rows(app)
        assert len(rows) == 3, rows  # one row per run: nothing wrapped
        assert len(set(rows)) == 3, rows  # and no two alike
        assert sum("hidden=4" in row for row in rows) == 1, rows  # the parameter that differs
        assert all(re.search(r"\d+%", row) for row in rows), rows  # the final accuracy

        # Overlay the hidden=4 run on the newest run's curves: Tab to the run list, Space.
        await pilot.press("tab")
        assert app.focused is app.query_one("#run-list")
        run_list = app.query_one("#run-list")
        for _ in range(4):
            option = run_list.highlighted_option
            if option is not None and "hidden=4" in str(option.prompt):
                break
            await pilot.press("down")
        await pilot.press("space")
        await pilot.pause(1.0)
        legend = region_text(app, "#plot-legend")
        assert "hidden=4" in legend and "hidden=8" in legend, legend
        plot, legend_box = app.query_one("MetricPlot").region, app.query_one("#plot-legend").region
        assert legend_box.y >= plot.bottom  # under the curves, not on them
        for ticks in axis_ticks(app):
            assert len(ticks) >= 2, ticks
            steps = {round(b - a, 9) for a, b in zip(ticks, ticks[1:])}
            assert len(steps) == 1 and is_round_step(steps.pop()), ticks
        assert {r.params["hidden"] for r in runs} == {4, 8}


async def test_an_overlaid_sweep_has_its_legend_under_the_curves_and_round_ticks(learner, size):
    app = DltuiApp(learner)
    async with app.run_test(size=size) as pilot:
        await open_labs(pilot)
        await launch(pilot, "numpy-lr-sweep")
        await all_finished(pilot, learner, 4)
        await pilot.pause(1.0)
        legend = region_text(app, "#plot-legend")
        for value in ("lr=0.01", "lr=0.1", "lr=1", "lr=10"):
            assert value in legend, legend
        plot, legend_box = app.query_one("MetricPlot").region, app.query_one("#plot-legend").region
        assert legend_box.y >= plot.bottom
        panels = axis_ticks(app)
        assert len(panels) == 2, screen_text(app)
        for ticks in panels:
            assert len(ticks) >= 2, ticks
            steps = {round(b - a, 9) for a, b in zip(ticks, ticks[1:])}
            assert len(steps) == 1 and is_round_step(steps.pop()), ticks


# -- the view keys: + - x m d --------------------------------------------------------------------


async def test_the_view_keys_change_what_the_plot_shows_and_say_so(learner):
    app = DltuiApp(learner)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_labs(pilot)
        await launch(pilot, "numpy-xor")
        await all_finished(pilot, learner, 1)
        text = await wait_for_text(pilot, "smoothing: 0.60")
        await pilot.press("plus")
        assert "smoothing: 0.80" in await wait_for_text(pilot, "smoothing: 0.80")
        await pilot.press("minus", "minus")
        assert "smoothing: 0.30" in await wait_for_text(pilot, "smoothing: 0.30")
        await pilot.press("x")
        text = await wait_for_text(pilot, "x epoch · ")
        assert "epoch" in region_text(app, "MetricPlot")
        await pilot.press("m")  # loss only
        await wait_until(pilot, lambda: "accuracy" not in region_text(app, "MetricPlot"))
        assert "loss" in region_text(app, "MetricPlot")
        await pilot.press("m")  # accuracy only
        await wait_until(pilot, lambda: "accuracy" in region_text(app, "MetricPlot"))
        assert "loss" not in region_text(app, "MetricPlot")
        await pilot.press("m")  # both again
        await pilot.press("d")
        text = await wait_for_text(pilot, "Escape closes")
        assert runs_of(learner)[0].id in text and "──" in text  # the run's details, in sections
        await pilot.press("escape")
        await wait_until(pilot, lambda: "Escape closes" not in screen_text(app))
        assert "x epoch · " in screen_text(app)


# -- defect 12: stopping asks first; quitting says the run keeps going -----------------------------

LONG = "400000"  # epochs of XOR: a report every half second, a minute in all (it is stopped first)


def stop_leftovers(learner) -> None:
    from dltui.labs.open import open_runner

    runner = open_runner(learner.settings, learner.store)
    for run in runner.reconcile():
        runner.stop(run, grace_s=2)
        runner.wait(run, timeout=20)


async def test_s_asks_before_stopping_a_run(learner, size):
    app = DltuiApp(learner)
    try:
        async with app.run_test(size=size) as pilot:
            await open_labs(pilot)
            await launch(pilot, "numpy-xor", epochs=LONG)
            await wait_for_text(pilot, "ETA", timeout=RUN_S)
            summary = region_text(app, "#run-summary")  # progress and ETA whole, even at 80x24
            assert re.search(r"\d% \S+/\S+ epoch ETA \S+ train/loss \S+ train/acc \S+", summary), summary
            await pilot.press("s")
            text = await wait_for_text(pilot, "keep it running")
            [run] = runs_of(learner)
            assert f"Stop {run.id}?" in text
            await pilot.press("n")
            await pilot.pause(1.0)
            assert "keep it running" not in screen_text(app)
            assert run.id in app.query_one("LabsPane").runner.running
            await pilot.press("s")
            await wait_for_text(pilot, "keep it running")
            await pilot.press("y")
            assert await wait_until(pilot, lambda: runs_of(learner)[0].status is RunStatus.CANCELLED, RUN_S)
    finally:
        stop_leftovers(learner)


async def test_ctrl_q_with_a_run_going_says_it_keeps_going(learner, capsys):
    app = DltuiApp(learner)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await open_labs(pilot)
            await launch(pilot, "numpy-xor", epochs=LONG)
            await wait_for_text(pilot, "running", timeout=RUN_S)
            await pilot.press("ctrl+q")
            await pilot.pause()
        [run] = runs_of(learner)
        assert run.status is RunStatus.RUNNING  # quitting never stops a lab
        said = " ".join(capsys.readouterr().err.split())
        assert "keeps going" in said and run.id in said and "re-attaches" in said, said
    finally:
        stop_leftovers(learner)


# -- defect 11: the exercise: the grader's report gets the room; no solution in the workspace ------


@pytest.fixture
def editor(tmp_path, monkeypatch) -> Path:
    """$EDITOR: a script that edits nothing and notes the folder it was started in."""
    script = tmp_path / "editor.sh"
    note = tmp_path / "editor-cwd.txt"
    script.write_text(f'#!/bin/sh\npwd > "{note}"\n')
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("EDITOR", str(script))
    monkeypatch.delenv("VISUAL", raising=False)
    return note


async def test_grading_the_exercise_shows_the_whole_report_in_place_of_the_plots(learner, size, editor):
    app = DltuiApp(learner)
    async with app.run_test(size=size) as pilot:
        await open_labs(pilot)
        await move_to_lab(pilot, "numpy-mlp")
        await pilot.press("e")  # copies the exercise; headless, the editor cannot take the terminal
        workspace = learner.settings.workspace_dir / "numpy-mlp"
        assert await wait_until(pilot, lambda: (workspace / "mlp.py").exists())
        await pilot.press("g")
        await all_finished(pilot, learner, 1, timeout=120)
        text = await wait_for_text(pilot, "checks pass", timeout=10)
        assert "no points yet" not in text  # the empty plots gave way to the report
        box = app.query_one("#run-output-box").region
        assert box.height >= size[1] - 12, box  # most of the height, not five lines
        report = region_text(app, "#run-output-box")
        assert "FAIL forward: output shape and caches" in report, report
        assert "not written yet" in report  # the hint that says what to do
        assert "checks 1/8 pass" in region_text(app, "#run-summary")  # the verdict, not a raw dict
        assert "✗ numpy-mlp ✎ 1/8 pass" in " ".join(run_list_rows(app))


def test_the_editor_opens_in_a_workspace_that_holds_no_solution(learner, editor):
    from dltui.labs.exercise import open_in_editor, prepare_workspace
    from dltui.labs.registry import load_registry

    lab = load_registry(learner.settings.labs_dir, learner.settings.data_dir).get("numpy-mlp")
    path = prepare_workspace(lab, learner.settings.workspace_dir)
    assert open_in_editor(path) == 0
    workspace = path.parent
    # The editor's folder (what its file browser and :e show) is the workspace, not dltui's.
    assert Path(editor.read_text().strip()).resolve() == workspace.resolve()
    solution = (lab.folder / "mlp.py").read_text()
    files = [f for f in workspace.rglob("*") if f.is_file()]
    assert [f.name for f in files] == ["mlp.py"]
    assert all(f.read_text() != solution for f in files)
    assert "raise NotImplementedError" in path.read_text()
    assert str(lab.folder) not in path.read_text() and "labs/numpy-mlp" not in path.read_text()


# -- a drawing failure stays inside its widget ----------------------------------------------------


async def test_a_plot_that_fails_to_draw_says_so_in_one_line_and_the_app_goes_on(learner, size, monkeypatch):
    from dltui.ui.labs.metric_plot import MetricPlot

    def broken(self):
        raise RuntimeError("the plot library choked")

    monkeypatch.setattr(MetricPlot, "_render_curves", broken)
    app = DltuiApp(learner)
    async with app.run_test(size=size) as pilot:
        await open_labs(pilot)
        text = await wait_for_text(pilot, "⚠ plot could not be drawn")
        assert "⚠ plot could not be drawn: RuntimeError: the plot library choked"[: size[0] - 30] in text
        assert len([line for line in text.splitlines() if "could not be drawn" in line]) == 1
        await pilot.press("plus", "l")  # the other keys still work, and redrawing fails the same way
        await wait_for_text(pilot, "smoothing: 0.80")
        await pilot.press("f1")
        assert "Tutor:" in await wait_for_text(pilot, "Tutor:")
        assert app.is_running


# -- the README's Labs keys are the keys the Labs area binds (each is pressed by a journey above) --

README = Path(__file__).resolve().parents[2] / "README.md"
KEY_NAMES = {"Space": ["space"], "+/-": ["plus", "minus"]}


def test_the_readme_labs_keys_are_the_labs_bindings():
    from dltui.ui.labs.pane import LabsPane

    [row] = [line for line in README.read_text().splitlines() if line.startswith("| Labs |")]
    named = [part.strip().split()[0] for part in row.split("|")[2].split("·")]
    readme_keys = {key for name in named for key in KEY_NAMES.get(name, [name])}
    bound = {key.strip() for binding in LabsPane.BINDINGS for key in binding.key.split(",")}
    assert readme_keys <= bound, readme_keys - bound
    assert {key for key in bound if "bracket" not in key} == readme_keys  # [ and ] are aliases of -/+
