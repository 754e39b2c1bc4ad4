"""The Labs area through Pilot, with real lab processes: live curves, re-attach, stop, crashes, junk."""

import dataclasses
import re
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from dltui.context import StudyContext
from dltui.labs import records
from dltui.labs.process import LabProcess
from dltui.labs.run_folder import RunFolder
from dltui.store.models import RunKind, RunStatus
from dltui.ui.app import DltuiApp
from dltui.ui.labs.confirm import ConfirmStop
from dltui.ui.labs.metric_plot import MetricPlot
from dltui.ui.labs.pane import LabsPane
from dltui.ui.labs.run_form import LabForm
from journeys.conftest import screen_text
from textual.widgets import Input, OptionList, Static

ROOT = Path(__file__).resolve().parents[1]
SIZE = (100, 30)


def open_context(lab_settings) -> StudyContext:
    return StudyContext.open(settings=lab_settings)


async def wait_for(pilot, condition, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError("condition not met in time")


async def ready_pane(app, pilot) -> LabsPane:
    pane = app.query_one(LabsPane)
    await wait_for(pilot, lambda: pane.ready)
    return pane


async def highlight_lab(app, pilot, lab_id: str) -> None:
    labs = app.query_one("#lab-list", OptionList)
    labs.focus()
    labs.highlighted = labs.get_option_index(lab_id)
    await pilot.pause()


def text_of(app, selector: str) -> str:
    return str(app.query_one(selector, Static).content)


def messages(app) -> list[str]:
    """The notifications on screen (run_test(notifications=True)): the text of each toast."""
    return [str(toast.render()) for toast in app.screen.query("Toast")]


def plot_lines(app) -> list[str]:
    """The plot as the learner sees it: its rows of the screen, from the panel titles to the axis name."""
    region = app.query_one(MetricPlot).region
    return [line[region.x : region.right] for line in screen_text(app).splitlines()[region.y : region.bottom]]


def plotted(app) -> bool:
    """Both panels have curves: their titles say so, not "no points yet"."""
    titles = plot_lines(app)[0]
    return "loss" in titles and "accuracy" in titles and "no points yet" not in titles


def last_x_tick(app) -> float:
    """The largest label under the x axis (round ticks inside the range of the points drawn)."""
    lines = plot_lines(app)
    below_axis = next(index for index, line in enumerate(lines) if "└" in line) + 1
    return max(float(label) for label in re.findall(r"\d+(?:\.\d+)?", lines[below_axis]))


def the_only_run(context):
    [run] = records.recent_runs(context.store)
    return run


async def test_a_run_started_from_the_form_streams_points_into_the_plot(lab_settings):
    context = open_context(lab_settings)
    app = DltuiApp(context, start_area="labs")
    async with app.run_test(size=SIZE) as pilot:
        pane = await ready_pane(app, pilot)
        await highlight_lab(app, pilot, "steady")
        await pilot.press("r")
        assert isinstance(app.screen, LabForm)
        app.screen.query_one("#param-forever", Input).value = "true"
        app.screen.query_one("#param-delay", Input).value = "0.02"
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: not isinstance(app.screen, LabForm))
        run = the_only_run(context)
        assert run.params["forever"] is True and pane.shown == [run.id]
        await wait_for(pilot, lambda: plotted(app) and last_x_tick(app) >= 2)
        seen = last_x_tick(app)
        await wait_for(pilot, lambda: last_x_tick(app) > seen)  # the x axis grows with the points
        assert "bright: train, dark: validation" in text_of(app, "#plot-legend")  # both splits drawn
        assert "running" in text_of(app, "#run-title") and "ETA" in text_of(app, "#run-eta")
        assert "steady: starting" in text_of(app, "#run-output")
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmStop))  # asks first
        await pilot.press("y")
        await wait_for(pilot, lambda: run.id not in pane.runner.running)
        assert records.get_run(context.store, run.id).status is RunStatus.CANCELLED
    context.close()


async def test_a_new_tui_reattaches_to_a_run_the_old_one_left_running(lab_settings):
    first = open_context(lab_settings)
    app = DltuiApp(first, start_area="labs")
    async with app.run_test(size=SIZE) as pilot:
        pane = await ready_pane(app, pilot)
        [run] = pane.runner.launch(pane.runner.registry.get("steady"), {"forever": "true", "delay": "0.02"})
        pane.show_runs([run.id])
        await wait_for(pilot, lambda: plotted(app) and last_x_tick(app) >= 2)
    first.close()
    process = LabProcess.from_pid_file(RunFolder.of(run))
    assert process.alive(), "quitting the TUI must not stop the lab"

    second = open_context(lab_settings)
    app = DltuiApp(second, start_area="labs")
    async with app.run_test(size=SIZE) as pilot:
        pane = await ready_pane(app, pilot)
        assert pane.shown == [run.id] and pane.current == run.id
        await wait_for(pilot, lambda: plotted(app))
        seen = last_x_tick(app)
        await wait_for(pilot, lambda: last_x_tick(app) > seen)  # still plotting live
        app.query_one("#run-list", OptionList).focus()
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmStop))
        await pilot.press("enter")
        await wait_for(pilot, lambda: run.id not in pane.runner.running)
        await wait_for(pilot, lambda: "cancelled" in text_of(app, "#run-title"))
    row = records.get_run(second.store, run.id)
    assert row.status is RunStatus.CANCELLED
    assert list((Path(run.run_dir) / "checkpoints").glob("step-*.txt")), "a stopped lab saves a checkpoint"
    second.close()


async def test_a_crashed_lab_is_marked_crashed_with_its_traceback_visible(lab_settings):
    context = open_context(lab_settings)
    app = DltuiApp(context, start_area="labs")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        pane = await ready_pane(app, pilot)
        [run] = pane.runner.launch(pane.runner.registry.get("crasher"))
        pane.show_runs([run.id])
        await wait_for(pilot, lambda: "ZeroDivisionError" in text_of(app, "#run-output"))
        await wait_for(pilot, lambda: "crashed" in text_of(app, "#run-title"))
        await wait_for(pilot, lambda: any("crashed" in m for m in messages(app)))  # notify is a message
        run_list = app.query_one("#run-list", OptionList)
        assert "crashed" in str(run_list.get_option_at_index(0).prompt)
    assert records.get_run(context.store, run.id).status is RunStatus.CRASHED
    context.close()


async def test_junk_lines_are_counted_in_the_summary_and_good_points_plotted(lab_settings):
    context = open_context(lab_settings)
    app = DltuiApp(context, start_area="labs")
    async with app.run_test(size=SIZE) as pilot:
        pane = await ready_pane(app, pilot)
        [run] = pane.runner.launch(pane.runner.registry.get("garbage"))
        pane.show_runs([run.id])
        await wait_for(pilot, lambda: "ok" in text_of(app, "#run-title"))
        summary = text_of(app, "#run-metrics")
        assert "5 malformed line(s) skipped" in summary and "1 oversized line(s) skipped" in summary
        assert "1 of unknown type" in summary
        # Steps 1 and 2 are drawn; step 3 was NaN and is not: the x axis ends at 2.
        await wait_for(pilot, lambda: "loss" in plot_lines(app)[0] and last_x_tick(app) == 2)
        app.query_one("#run-list", OptionList).focus()
        await pilot.press("d")  # the unknown event is shown as it was written
        details = str(app.screen.query_one("#run-details", Static).content)
        assert '"type": "histogram"' in details and '"bins": [1, 2, 3]' in details
        await pilot.press("escape")
        assert not app.screen.query("#run-details")
    context.close()


async def test_silent_and_endless_labs_leave_the_keys_working(lab_settings):
    context = open_context(lab_settings)
    app = DltuiApp(context, start_area="labs")
    async with app.run_test(size=SIZE) as pilot:
        pane = await ready_pane(app, pilot)
        runner = pane.runner
        [silent] = runner.launch(runner.registry.get("silent"))
        # ~2,000 events a second: forty times what a lab is asked to write
        [flood] = runner.launch(runner.registry.get("steady"), {"forever": "true", "delay": "0.001"})
        pane.show_runs([flood.id, silent.id], current=silent.id)
        plot = app.query_one(MetricPlot)
        await wait_for(pilot, lambda: plotted(app))  # the flood's points
        app.query_one("#run-list", OptionList).focus()
        await pilot.press("l")
        await pilot.press("x")
        await pilot.press("plus")
        await wait_for(pilot, lambda: plot.view.log_scale and plot.view.x_axis == "epoch" and plot.view.smoothing > 0.6)
        await wait_for(pilot, lambda: "loss (log)" in plot_lines(app)[0] and "epoch" in plot_lines(app)[-1])  # redrawn
        await pilot.press("m")
        assert plot.view.panels == "loss"
        assert text_of(app, "#run-output") == "(no output yet)"
        assert "no metrics yet" in text_of(app, "#run-metrics")
        runner.stop(silent)
        runner.stop(flood)
        await wait_for(pilot, lambda: not runner.running)
    assert records.get_run(context.store, silent.id).status is RunStatus.CANCELLED
    assert records.get_run(context.store, flood.id).status is RunStatus.CANCELLED
    context.close()


async def test_open_lab_from_elsewhere_highlights_it_even_before_the_list_loaded(lab_settings):
    context = open_context(lab_settings)
    app = DltuiApp(context, start_area="chat")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        app.open_lab("garbage")  # may come before the Labs area finished loading
        await ready_pane(app, pilot)
        labs = app.query_one("#lab-list", OptionList)
        await wait_for(pilot, lambda: labs.highlighted_option and labs.highlighted_option.id == "garbage")
        assert "junk" in text_of(app, "#run-title")
        app.open_lab("no-such-lab")
        await wait_for(pilot, lambda: any("no-such-lab" in m for m in messages(app)))
        assert labs.highlighted_option.id == "garbage"
    context.close()


async def test_a_sweep_from_the_form_overlays_one_curve_per_value(lab_settings):
    context = open_context(lab_settings)
    app = DltuiApp(context, start_area="labs")
    async with app.run_test(size=SIZE) as pilot:
        pane = await ready_pane(app, pilot)
        await highlight_lab(app, pilot, "lr-sweep")
        await pilot.press("enter")
        form = app.screen
        assert isinstance(form, LabForm)
        form.query_one("#param-steps", Input).value = "many"
        await pilot.press("ctrl+r")
        assert "steps: 'many' is not an int" in str(form.query_one("#form-error", Static).content)
        form.query_one("#param-steps", Input).value = "12"
        form.query_one("#sweep-values", Input).value = "0.2, 0.9"
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: len(pane.shown) == 2 and not pane.runner.running)
        await wait_for(pilot, lambda: plotted(app) and all(f"lr={lr}" in text_of(app, "#plot-legend") for lr in ("0.2", "0.9")))
    runs = records.recent_runs(context.store)
    assert sorted(r.params["lr"] for r in runs) == [0.2, 0.9] and len({r.group_id for r in runs}) == 1
    context.close()


def fake_nvidia_smi(folder: Path, body: str) -> None:
    folder.mkdir(exist_ok=True)
    script = folder / "nvidia-smi"
    script.write_text("#!/bin/sh\n" + body + "\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)


def gpu_lab(tmp_path: Path) -> Path:
    labs = tmp_path / "gpu-labs"
    (labs / "wants-gpu").mkdir(parents=True)
    (labs / "wants-gpu" / "lab.toml").write_text(
        'id = "wants-gpu"\ntitle = "Needs CUDA"\nwants_gpu = true\n'
        'command = ["{python}", "-c", "import os; print(os.environ.get(\'DLTUI_DEVICE\'))"]\n'
    )
    return labs


async def test_a_lab_that_wants_a_missing_gpu_is_offered_the_cpu(settings, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    fake_nvidia_smi(tmp_path / "bin", "echo 'NVIDIA-SMI has failed: no driver' >&2; exit 9")
    context = StudyContext.open(settings=dataclasses.replace(settings, labs_dir=gpu_lab(tmp_path)))
    app = DltuiApp(context, start_area="labs")
    async with app.run_test(size=SIZE) as pilot:
        pane = await ready_pane(app, pilot)
        await wait_for(pilot, lambda: app.gpus is not None)  # nvidia-smi has answered
        assert "GPU" not in app.sub_title
        await highlight_lab(app, pilot, "wants-gpu")
        await pilot.press("r")
        form = app.screen
        assert "none was found" in str(form.query_one("#form-gpu", Static).content)
        assert str(form.query_one("#form-run").label) == "Run on CPU"
        await pilot.click("#form-run")
        await wait_for(pilot, lambda: records.recent_runs(context.store) and not pane.runner.running)
    run = the_only_run(context)
    assert run.device == "cpu"
    assert (Path(run.run_dir) / "stdout.log").read_text().strip() == "cpu"
    context.close()


async def test_the_header_shows_the_gpu_when_nvidia_smi_answers(settings, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    fake_nvidia_smi(tmp_path / "bin", 'echo "Fake H200, 42, 2048, 143771"')
    context = StudyContext.open(settings=dataclasses.replace(settings, labs_dir=gpu_lab(tmp_path)))
    app = DltuiApp(context, start_area="labs")
    async with app.run_test(size=SIZE) as pilot:
        await ready_pane(app, pilot)
        await wait_for(pilot, lambda: "GPU Fake H200 42% 2.0/140.4 GiB" in app.sub_title)
        await highlight_lab(app, pilot, "wants-gpu")
        await pilot.press("r")
        assert not app.screen.query("#form-gpu")
        assert str(app.screen.query_one("#form-run").label) == "Run"
        await pilot.press("escape")
        assert not isinstance(app.screen, LabForm)
    context.close()


async def test_exercise_mode_copies_the_template_and_a_passing_grade_is_recorded(lab_settings):
    context = open_context(lab_settings)
    app = DltuiApp(context, start_area="labs")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready_pane(app, pilot)
        await highlight_lab(app, pilot, "adder")
        await pilot.press("e")  # headless: no terminal to hand to $EDITOR, so it says where the file is
        answer = lab_settings.workspace_dir / "adder" / "answer.py"
        assert answer.read_text().startswith("def add")
        await wait_for(pilot, lambda: any(str(answer) in m for m in messages(app)))
        answer.write_text("def add(a, b):\n    return a + b\n")
        await pilot.press("g")
        await wait_for(pilot, lambda: any("Exercise passed" in m for m in messages(app)))
        assert "passed" in text_of(app, "#run-title")
    [run] = records.recent_runs(context.store)
    assert (run.lab_id, run.kind, run.passed) == ("adder", RunKind.EXERCISE, True)
    context.close()


def test_the_tui_never_imports_torch_while_running_a_lab(lab_settings):
    script = textwrap.dedent(
        f"""
        import asyncio, dataclasses, sys, time
        from pathlib import Path
        from dltui.context import StudyContext
        from dltui.settings import load_settings
        from dltui.ui.app import DltuiApp
        from dltui.ui.labs.pane import LabsPane

        async def main():
            settings = load_settings({str(lab_settings.db_path)!r}, env={{}})
            settings = dataclasses.replace(settings, labs_dir=Path({str(lab_settings.labs_dir)!r}))
            context = StudyContext.open(settings=settings)
            app = DltuiApp(context, start_area="labs")
            async with app.run_test(size=(80, 24)) as pilot:
                pane = app.query_one(LabsPane)
                while not pane.ready:
                    await pilot.pause(0.05)
                [run] = pane.runner.launch(pane.runner.registry.get("steady"), {{"steps": "5"}})
                pane.show_runs([run.id])
                while pane.runner.running:
                    await pilot.pause(0.05)
                await pilot.press("l")
                await pilot.pause(0.3)
            context.close()
            print("torch imported:", "torch" in sys.modules)

        asyncio.run(main())
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "torch imported: False" in done.stdout
