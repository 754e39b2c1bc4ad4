"""The Labs area: labs and runs on the left; the selected runs' curves, progress and output.

All process and file work is the runner's (`dltui.labs.runner`): this pane polls it four times a
second and redraws only what changed, so a lab writing thousands of events a second costs the
TUI a bounded slice of each tick. On mount it re-attaches to runs still going (a TUI that quit,
or an SSH connection that dropped, left them running) and plots them again.
"""

from __future__ import annotations

import time
from pathlib import Path

from rich.markup import escape
from sqlalchemy.exc import SQLAlchemyError
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option, OptionDoesNotExist

from dltui.context import StudyContext
from dltui.labs import records
from dltui.labs.exercise import EXERCISE_SUFFIX
from dltui.labs.monitor import output_tail, run_labels
from dltui.labs.open import open_runner
from dltui.labs.registry import Lab
from dltui.store.models import LabRun, RunStatus
from dltui.tutor.activity import LearnerActivity
from dltui.ui.contained import Contained, ContainedStatic
from dltui.ui.lab_details import RunDetails
from dltui.ui.lab_exercise import ExerciseActions
from dltui.ui.lab_launch import LaunchActions
from dltui.ui.lab_plot import PANELS, SMOOTHING_STEPS, LossPlot, PlotLegend
from dltui.ui.lab_predictions import PredictionFollowUp
from dltui.ui.lab_runs import RunList
from dltui.ui.lab_status import RunSummary
from dltui.ui.requests import TalkAboutRun

POLL_S = 0.25  # how often the files are read; redraws happen only when something changed
PLOT_EVERY_S = 0.5  # a plotext frame costs tens of ms: two a second are plenty for curves
RESCAN_TICKS = 8  # every 2 s: pick up runs started by another dltui (e.g. `dltui lab run`)
LIST_TICKS = 4  # the run list (progress percentages) is rebuilt at most once a second
DRAIN_S = 0.02  # pause between slices while catching up on a backlog: keys get their turn
RECENT_RUNS = 40
GRADER_LINES = 200  # a grader's whole report fits; a lab's output shows its last lines


class LabList(Contained, OptionList):
    """The labs (an OptionList whose drawing failures stay inside it)."""

    drawing_name = "lab list"


class LabsPane(LaunchActions, ExerciseActions, PredictionFollowUp, Horizontal):
    DEFAULT_CSS = """
    LabsPane #labs-side { width: 30%; min-width: 28; max-width: 40; }
    LabsPane #lab-list { height: 1fr; text-wrap: nowrap; text-overflow: ellipsis; }
    LabsPane #run-list { height: 1fr; padding: 0; text-wrap: nowrap; text-overflow: ellipsis; }
    LabsPane #labs-main { width: 1fr; }
    LabsPane LossPlot { height: 1fr; min-height: 6; }
    LabsPane #plot-legend { height: auto; max-height: 3; }
    LabsPane #run-output-box { height: 5; }
    LabsPane #run-output { color: $text-muted; }
    LabsPane.grading LossPlot, LabsPane.grading #plot-legend { display: none; }
    LabsPane.grading #run-output-box { height: 1fr; }
    LabsPane.grading #run-output { color: $text; }
    LabsPane #labs-notice { height: auto; color: $warning; }
    """
    BINDINGS = [
        Binding("r", "run_lab", "Run"),
        Binding("s", "stop_run", "Stop"),
        Binding("space", "toggle_overlay", "Overlay"),
        Binding("plus,right_square_bracket", "smoothing(1)", "Smooth+", key_display="+", show=False),
        Binding("minus,left_square_bracket", "smoothing(-1)", "Smooth-", key_display="-", show=False),
        Binding("l", "toggle_log", "Log y", show=False),  # keys shown beside the settings line
        Binding("x", "toggle_x", "Step/epoch", show=False),
        Binding("m", "cycle_panels", "Panels", show=False),
        Binding("d", "details", "Details"),
        Binding("t", "ask_tutor", "Tutor"),  # ask the tutor about this run (the footer has 80 columns)
        Binding("e", "exercise", "Exercise", show=False),  # the lab list marks exercise labs with ✎
        Binding("g", "grade", "Grade", show=False),
    ]

    def __init__(self, context: StudyContext):
        super().__init__()
        self.context = context
        self.runner = open_runner(context.settings, context.store)
        self.runner.on_finish.append(self._run_finished)
        self.rows: dict[str, LabRun] = {}
        self.shown: list[str] = []  # runs overlaid on the plot
        self.current: str | None = None  # the run whose progress and output are shown
        self.ready = False  # set once the first reconcile finished
        self._wanted_lab: str | None = None  # asked for (select_lab) before the list was loaded
        self._ticks = 0
        self._rows_dirty = False
        self._draining = False
        self._trouble = False  # the last tick failed (told once, not four times a second)
        self._plot_signature: tuple = ()
        self._plot_drawn_at = 0.0
        self._output_signature: tuple = ()
        self._predictions = {}  # run id -> the learner's prediction (PredictionFollowUp)
        self._asked_about = set()

    def compose(self) -> ComposeResult:
        with Vertical(id="labs-side"):
            yield Label("Labs", classes="title")
            yield LabList(id="lab-list")
            yield Label("Runs", classes="title")
            yield RunList(id="run-list")
            yield ContainedStatic("", id="labs-notice")
        with Vertical(id="labs-main"):
            yield RunSummary(id="run-summary")
            yield LossPlot(id="loss-plot")
            yield PlotLegend("", id="plot-legend")
            # The grader's verdict needs the room: while an exercise run is shown it takes the
            # plot's place (the `grading` class) and scrolls when it is longer still.
            with VerticalScroll(id="run-output-box"):
                yield ContainedStatic("", id="run-output")

    # -- start-up ---------------------------------------------------------------------------------

    def on_mount(self) -> None:
        # Reading the lab folders and catching up on runs that ended while we were away touches
        # files of any size, so it happens in a thread; polling starts when it is done.
        self.run_worker(self._load, thread=True, group="labs-load", exit_on_error=False)

    def _load(self) -> None:
        try:
            registry = self.runner.registry
            alive = self.runner.reconcile()
            problems = registry.problems
        except Exception as err:  # a busy or broken database, an unreadable folder: say so, go on
            alive, problems = [], [f"could not load the lab runs: {err}"]
        try:
            self.app.call_from_thread(self._loaded, problems, alive)
        except RuntimeError:  # the app closed first
            pass

    def _loaded(self, problems: list, alive: list[LabRun]) -> None:
        labs = self.query_one("#lab-list", OptionList)
        labs.clear_options()
        for lab in self.runner.registry.labs.values():
            marks = (" ✎" if lab.exercise else "") + (" [dim]gpu[/dim]" if lab.wants_gpu else "")
            marks += f" [dim]needs {escape(', '.join(lab.missing))}[/dim]" if lab.missing else ""
            labs.add_option(Option(f"{escape(lab.id)}{marks}", id=lab.id))
        if labs.option_count:
            labs.highlighted = 0  # r and e work at once, on the first lab
        if problems:
            self.query_one("#labs-notice", Static).update(escape(f"{len(problems)} lab problem(s): {problems[0]}"))
            self.notify(f"{problems[0]} (all: dltui lab list)", severity="warning", timeout=8)
        if alive:  # re-attach: plot what is still running, the newest first
            alive.sort(key=lambda run: run.started_at, reverse=True)
            newest = alive[0]
            group = [r.id for r in alive if newest.group_id and r.group_id == newest.group_id]
            self.shown = group or [newest.id]
            self.current = newest.id
        self.ready = True
        self._refresh_rows()
        self._redraw()
        self.set_interval(POLL_S, self._tick)
        if self._wanted_lab:
            self.select_lab(self._wanted_lab)

    # -- the timer --------------------------------------------------------------------------------

    def _tick(self) -> None:
        try:
            self._update()
        except (OSError, SQLAlchemyError) as err:  # a full disk, a database busy for too long
            if not self._trouble:
                self.notify(f"Labs: {err}; will keep trying.", severity="error", timeout=10)
            self._trouble = True
        except Exception as err:  # noqa: BLE001 - a bug in one redraw must not end the app
            if not self._trouble:
                self.query_one("#labs-notice", Static).update(escape(f"Labs could not update: {type(err).__name__}: {err}"))
            self._trouble = True
        else:
            self._trouble = False

    def _update(self) -> None:
        self._read()
        self._ticks += 1
        if self._ticks % RESCAN_TICKS == 0 and self.runner.pick_up_new_runs():
            self._rows_dirty = True
        if self._rows_dirty or self._ticks % LIST_TICKS == 0:
            self._rows_dirty = False
            self._refresh_rows()
        self._redraw()

    def _read(self) -> None:
        """One bounded slice of reading; with a backlog, another slice soon, between key presses."""
        self.runner.poll()
        self.runner.read_finished(self.shown)
        behind = self.runner.behind or self.runner.behind_on(self.shown)
        if behind and not self._draining:
            self._draining = True
            self.set_timer(DRAIN_S, self._drain)

    def _drain(self) -> None:
        self._draining = False
        try:
            self._read()
        except (OSError, SQLAlchemyError):
            pass  # the next tick says what is wrong

    def _refresh_rows(self) -> None:
        rows = {run.id: run for run in records.recent_runs(self.runner.store, RECENT_RUNS)}
        for run_id in [*self.shown, *([self.current] if self.current else [])]:
            if run_id not in rows:
                found = records.get_run(self.runner.store, run_id)
                if found:
                    rows[run_id] = found
        self.rows = rows
        self._redraw_run_list()

    def _redraw_run_list(self) -> None:
        self.query_one(RunList).show(list(self.rows.values()), self.shown, self.runner.monitors)

    def _redraw(self) -> None:
        """Redraw the plot and the summary when their inputs changed; otherwise do nothing."""
        plot = self.query_one(LossPlot)
        shown = [self.rows.get(run_id) or records.get_run(self.runner.store, run_id) for run_id in self.shown]
        shown = [run for run in shown if run is not None]
        monitors = [(run, self.runner.monitor(run, catch_up=False)) for run in shown]
        view = plot.view
        signature = (
            tuple((run.id, m.version) for run, m in monitors),
            view.x_axis, view.smoothing, view.log_scale, view.panels,
        )
        # Redraws are spaced so that drawing takes at most an eighth of the time, however slow
        # plotext is at this terminal size (the lab needs the CPU more); a change of view is
        # drawn at once.
        view_changed = signature[1:] != self._plot_signature[1:]
        spacing = max(PLOT_EVERY_S, 8 * plot.last_render_s)
        due = view_changed or time.monotonic() - self._plot_drawn_at >= spacing
        if signature != self._plot_signature and due:
            self._plot_signature = signature
            self._plot_drawn_at = time.monotonic()
            labels = run_labels(shown) if len(shown) > 1 else {run.id: run.lab_id for run in shown}
            marks = self.marks([run.id for run in shown])
            plot.show([(self.labelled(run.id, labels[run.id]), monitor) for run, monitor in monitors], marks)
            legend = plot.legend() + ("  [dim]····· your prediction[/dim]" if marks else "")
            view_text = escape(view.describe())
            self.query_one(PlotLegend).update(f"{legend}\n[dim]{view_text}[/dim]" if legend else f"[dim]{view_text}[/dim]")
            self._show_summary()
        self._show_output()

    def _show_summary(self) -> None:
        run = self.rows.get(self.current or "")
        if run is None:
            return
        monitor = self.runner.monitor(run, catch_up=False)
        running = run.id in self.runner.running
        self.query_one(RunSummary).show(run, monitor, running)

    def _show_output(self) -> None:
        run = self.rows.get(self.current or "")
        box = self.query_one("#run-output-box")
        if box.display != (run is not None):  # no run picked: the lab's description has the room
            box.display = run is not None
        if run is None:
            return
        log = Path(run.run_dir) / "stdout.log"
        try:
            size = log.stat().st_size
        except OSError:
            size = -1
        signature = (run.id, size, run.status)
        if signature == self._output_signature:
            return
        self._output_signature = signature
        grading = run.lab_id.endswith(EXERCISE_SUFFIX)
        self.set_class(grading, "grading")
        lines = output_tail(Path(run.run_dir), GRADER_LINES if grading else 5)
        running = run.id in self.runner.running
        text = "\n".join(lines) if lines else ("(no output yet)" if running else "(no output)")
        self.query_one("#run-output", Static).update(escape(text), layout=grading)

    def _run_finished(self, run: LabRun) -> None:
        if not self.ready:  # finished while catching up at start-up (in the loading thread)
            return
        self.rows[run.id] = run
        self._rows_dirty = True
        if run.lab_id.endswith(EXERCISE_SUFFIX):
            if run.passed:
                self.notify("Exercise passed: each check counts for the topics it covers (see Progress).", timeout=8)
            else:
                self.notify("Exercise not passed yet: the grader's report says what to fix.", severity="warning", timeout=8)
        elif run.status in (RunStatus.CRASHED, RunStatus.FAILED):
            self.notify(f"{run.id} {run.status.value}: its output is under the plot.", severity="error", timeout=8)
        self.follow_up_prediction(run)
        if run.id in self.shown or run.id == self.current:
            self._plot_signature = ()  # the summary shows the final status, the legend the prediction's
        if run.id == self.current:
            self._output_signature = ()

    # -- selection --------------------------------------------------------------------------------

    def _highlighted_lab(self) -> Lab | None:
        option = self.query_one("#lab-list", OptionList).highlighted_option
        return self.runner.registry.labs.get(option.id) if option and option.id else None

    def _highlighted_run(self) -> LabRun | None:
        return self.rows.get(self.query_one(RunList).highlighted_run_id or "")

    def select_lab(self, lab_id: str) -> None:
        """Highlight a lab (e.g. opened from the topic map) so that r runs it and e opens its exercise."""
        if not self.ready:  # the list fills in once loading is done
            self._wanted_lab = lab_id
            return
        labs = self.query_one("#lab-list", OptionList)
        try:
            labs.highlighted = labs.get_option_index(lab_id)
        except OptionDoesNotExist:
            self.notify(f"No lab called {lab_id!r} here (see `dltui lab list`).", severity="warning")
            return
        labs.focus()
        lab = self.runner.registry.labs.get(lab_id)
        if lab is not None:
            self.query_one(RunSummary).show_lab(lab)

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option_list.id == "lab-list" and self.current is None:
            lab = self.runner.registry.labs.get(event.option.id or "")
            if lab is not None:
                self.query_one(RunSummary).show_lab(lab)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option_list.id == "lab-list":
            self.action_run_lab()
        elif event.option_list.id == "run-list" and event.option.id in self.rows:
            run = self.rows[event.option.id]
            group = [r.id for r in self.rows.values() if run.group_id and r.group_id == run.group_id]
            self.show_runs(group or [run.id], current=run.id)

    def show_runs(self, run_ids: list[str], current: str | None = None) -> None:
        self.shown = list(run_ids)
        self.current = current or (run_ids[0] if run_ids else None)
        if self.current:  # "why did it do that?" in the chat is about this run
            self.context.activity = LearnerActivity.watching_run(self.current)
        self.read_predictions(self.shown)
        self._output_signature = ()
        self._plot_signature = ()
        self._refresh_rows()
        self._redraw()

    def action_toggle_overlay(self) -> None:
        run = self._highlighted_run()
        if run is None:
            return
        if run.id in self.shown:
            self.shown.remove(run.id)
        else:
            self.shown.append(run.id)
            self.current = run.id
        self.show_runs(self.shown, self.current if self.current in self.shown else None)

    def action_details(self) -> None:
        """Artifacts, log messages, checkpoints and raw unknown events of the selected run."""
        run = self.rows.get(self.current or "")
        if run is None:
            self.notify("No run selected.", severity="warning")
            return
        self.app.push_screen(RunDetails(run.id, self.runner.monitor(run, catch_up=False)))

    def action_ask_tutor(self) -> None:
        """Talk about the run under the cursor (or the one shown) with the tutor, in the Chat."""
        run = self._highlighted_run() or self.rows.get(self.current or "")
        if run is None:
            self.notify("Pick a run in the Runs list first (start one with r).", severity="warning")
            return
        self.post_message(TalkAboutRun(run.id))

    # -- the plot's view --------------------------------------------------------------------------

    def action_smoothing(self, direction: int) -> None:
        view = self.query_one(LossPlot).view
        steps = SMOOTHING_STEPS
        index = min(range(len(steps)), key=lambda i: abs(steps[i] - view.smoothing))
        view.smoothing = steps[max(0, min(len(steps) - 1, index + direction))]
        self._redraw()

    def action_toggle_log(self) -> None:
        view = self.query_one(LossPlot).view
        view.log_scale = not view.log_scale
        self._redraw()

    def action_toggle_x(self) -> None:
        view = self.query_one(LossPlot).view
        view.x_axis = "epoch" if view.x_axis == "step" else "step"
        self._redraw()

    def action_cycle_panels(self) -> None:
        view = self.query_one(LossPlot).view
        view.panels = PANELS[(PANELS.index(view.panels) + 1) % len(PANELS)]
        self._redraw()
