"""The Labs area: labs and runs on the left; the selected runs' curves, progress and output.

What is watched (runs, the shown ones, the runner read in slices) is `dltui.labs.watch.LabWatch`,
on the runner the context owns; this pane ticks it four times a second and draws. What it draws
from lives in reactives (`plot_inputs`, `output_inputs`, `rows_read`): a watcher draws only when
its value changed, so a lab writing thousands of events a second costs the TUI a bounded slice of
each tick. On mount it re-attaches to runs still going (a TUI that quit, or an SSH connection
that dropped, left them running) and plots them again.
"""

from __future__ import annotations

import time

from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.reactive import reactive
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option, OptionDoesNotExist

from dltui.context import StudyContext
from dltui.labs.monitor import run_labels
from dltui.labs.registry import Lab
from dltui.labs.watch import LabWatch, WatchTrouble
from dltui.store.models import LabRun, RunKind, RunStatus
from dltui.tutor.activity import LearnerActivity
from dltui.ui.contained import Contained, ContainedStatic
from dltui.ui.labs.details import RunDetails
from dltui.ui.labs.exercise import ExerciseActions
from dltui.ui.labs.launch import LaunchActions
from dltui.ui.labs.metric_plot import PANELS, SMOOTHING_STEPS, MetricPlot, PlotLegend
from dltui.ui.labs.predictions import PredictionFollowUp
from dltui.ui.labs.run_list import RunList
from dltui.ui.labs.run_summary import RunSummary
from dltui.ui.requests import TalkAboutRun

POLL_S = 0.25  # how often the files are read; redraws happen only when something changed
PLOT_EVERY_S = 0.5  # a plotext frame costs tens of ms: two a second are plenty for curves
DRAIN_S = 0.02  # pause between slices while catching up on a backlog: keys get their turn
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
    LabsPane MetricPlot { height: 1fr; min-height: 6; }
    LabsPane #plot-legend { height: auto; max-height: 3; }
    LabsPane #run-output-box { height: 5; }
    LabsPane #run-output { color: $text-muted; }
    LabsPane.grading MetricPlot, LabsPane.grading #plot-legend { display: none; }
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

    # What the plot (runs and their versions, and the view) and the output box (run, output size,
    # status) were last drawn from; None: draw again whatever comes next.
    plot_inputs: reactive[tuple | None] = reactive(None, init=False)
    output_inputs: reactive[tuple | None] = reactive(None, init=False)
    rows_read: reactive[int] = reactive(0, init=False)  # the watch's count of run-list reads

    def __init__(self, context: StudyContext):
        super().__init__()
        self.context = context
        self.runner = context.runner
        self.lab_watch = LabWatch(self.runner)
        self._wanted_lab: str | None = None  # asked for (select_lab) before the list was loaded
        self._draining = False
        self._trouble = False  # the last tick failed (told once, not four times a second)
        self._plot_drawn_at = 0.0
        self._predictions = {}  # run id -> the learner's prediction (PredictionFollowUp)
        self._asked_about = set()

    @property
    def ready(self) -> bool:
        return self.lab_watch.ready

    @property
    def shown(self) -> list[str]:
        return self.lab_watch.shown

    @property
    def current(self) -> str | None:
        return self.lab_watch.current

    def compose(self) -> ComposeResult:
        with Vertical(id="labs-side"):
            yield Label("Labs", classes="title")
            yield LabList(id="lab-list")
            yield Label("Runs", classes="title")
            yield RunList(id="run-list")
            yield ContainedStatic("", id="labs-notice")
        with Vertical(id="labs-main"):
            yield RunSummary(id="run-summary")
            yield MetricPlot(id="loss-plot")
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
        problems, alive = self.lab_watch.load()
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
        self.lab_watch.attach(alive)
        self._redraw()
        self.set_interval(POLL_S, self._tick)
        if self._wanted_lab:
            self.select_lab(self._wanted_lab)

    # -- the timer --------------------------------------------------------------------------------

    def _tick(self) -> None:
        try:
            self._catch_up(self.lab_watch.tick())
            for run in self.lab_watch.take_finished():
                self._run_finished(run)
            self._redraw()
        except WatchTrouble as err:  # a full disk, a database busy for too long
            if not self._trouble:
                self.notify(f"Labs: {err}; will keep trying.", severity="error", timeout=10)
            self._trouble = True
        except Exception as err:  # noqa: BLE001 - a bug in one redraw must not end the app
            if not self._trouble:
                self.query_one("#labs-notice", Static).update(escape(f"Labs could not update: {type(err).__name__}: {err}"))
            self._trouble = True
        else:
            self._trouble = False

    def _catch_up(self, behind: bool) -> None:
        """With a backlog, another slice of reading soon, between key presses."""
        if behind and not self._draining:
            self._draining = True
            self.set_timer(DRAIN_S, self._drain)

    def _drain(self) -> None:
        self._draining = False
        try:
            self._catch_up(self.lab_watch.read())
        except WatchTrouble:
            pass  # the next tick says what is wrong

    def _redraw(self) -> None:
        """Hand the reactives what the plot, the output and the run list would be drawn from."""
        self.rows_read = self.lab_watch.rows_read
        plot = self.query_one(MetricPlot)
        view = plot.view
        inputs = (
            tuple((run.id, m.version) for run, m in self.lab_watch.shown_runs()),
            view.x_axis,
            view.smoothing,
            view.log_scale,
            view.panels,
        )
        # Redraws are spaced so that drawing takes at most an eighth of the time, however slow
        # plotext is at this terminal size (the lab needs the CPU more); a change of view is
        # drawn at once.
        view_changed = inputs[1:] != (self.plot_inputs or ())[1:]
        spacing = max(PLOT_EVERY_S, 8 * plot.last_render_s)
        if view_changed or time.monotonic() - self._plot_drawn_at >= spacing:
            self.plot_inputs = inputs
        run = self.lab_watch.current_run()
        self.output_inputs = (run.id, self.lab_watch.output_size(run), run.status) if run else ()

    def watch_rows_read(self) -> None:
        self._redraw_run_list()

    def _redraw_run_list(self) -> None:
        self.query_one(RunList).show(list(self.lab_watch.rows.values()), self.shown, self.runner.monitors)

    def watch_plot_inputs(self) -> None:
        self._plot_drawn_at = time.monotonic()
        shown = self.lab_watch.shown_runs()
        runs = [run for run, _ in shown]
        labels = run_labels(runs) if len(runs) > 1 else {run.id: run.lab_id for run in runs}
        marks = self.marks([run.id for run in runs])
        plot = self.query_one(MetricPlot)
        plot.show([(self.labelled(run.id, labels[run.id]), monitor) for run, monitor in shown], marks)
        legend = plot.legend() + ("  [dim]····· your prediction[/dim]" if marks else "")
        view_text = escape(plot.view.describe())
        self.query_one(PlotLegend).update(f"{legend}\n[dim]{view_text}[/dim]" if legend else f"[dim]{view_text}[/dim]")
        run = self.lab_watch.current_run()
        if run is not None:
            self.query_one(RunSummary).show(run, self.lab_watch.monitor(run), self.lab_watch.is_running(run))

    def watch_output_inputs(self) -> None:
        run = self.lab_watch.current_run()
        box = self.query_one("#run-output-box")
        box.display = run is not None  # no run picked: the lab's description has the room
        if run is None:
            return
        grading = run.kind is RunKind.EXERCISE
        self.set_class(grading, "grading")
        lines = self.lab_watch.output(run, GRADER_LINES if grading else 5)
        running = self.lab_watch.is_running(run)
        text = "\n".join(lines) if lines else ("(no output yet)" if running else "(no output)")
        self.query_one("#run-output", Static).update(escape(text), layout=grading)

    def _draw_again(self) -> None:
        """The plot, summary and output are drawn on the next redraw even if their inputs are the same."""
        self.set_reactive(LabsPane.plot_inputs, None)
        self.set_reactive(LabsPane.output_inputs, None)

    def _run_finished(self, run: LabRun) -> None:
        if run.kind is RunKind.EXERCISE:
            if run.passed:
                self.notify("Exercise passed: each check counts for the topics it covers (see Progress).", timeout=8)
            else:
                self.notify("Exercise not passed yet: the grader's report says what to fix.", severity="warning", timeout=8)
        elif run.status in (RunStatus.CRASHED, RunStatus.FAILED):
            self.notify(f"{run.id} {run.status.value}: its output is under the plot.", severity="error", timeout=8)
        self.follow_up_prediction(run)
        if run.id in self.shown or run.id == self.current:
            self._draw_again()  # the summary shows the final status, the legend the prediction's

    # -- selection --------------------------------------------------------------------------------

    def _highlighted_lab(self) -> Lab | None:
        option = self.query_one("#lab-list", OptionList).highlighted_option
        return self.runner.registry.labs.get(option.id) if option and option.id else None

    def _highlighted_run(self) -> LabRun | None:
        return self.lab_watch.rows.get(self.query_one(RunList).highlighted_run_id or "")

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
        self.screen.set_focus(labs)  # now, for the keys typed after (r runs the lab picked here)
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
        elif event.option_list.id == "run-list" and (run := self.lab_watch.rows.get(event.option.id or "")):
            self.show_runs(self.lab_watch.group_of(run), current=run.id)

    def show_runs(self, run_ids: list[str], current: str | None = None) -> None:
        self.lab_watch.show(run_ids, current)
        self._shown_changed()

    def action_toggle_overlay(self) -> None:
        run = self._highlighted_run()
        if run is not None:
            self.lab_watch.toggle(run)
            self._shown_changed()

    def _shown_changed(self) -> None:
        if self.current:  # "why did it do that?" in the chat is about this run
            self.context.activity = LearnerActivity.watching_run(self.current)
        self.read_predictions(self.shown)
        self._draw_again()
        self._redraw()

    def action_details(self) -> None:
        """Artifacts, log messages, checkpoints and raw unknown events of the selected run."""
        run = self.lab_watch.current_run()
        if run is None:
            self.notify("No run selected.", severity="warning")
            return
        self.app.push_screen(RunDetails(run.id, self.lab_watch.monitor(run)))

    def action_ask_tutor(self) -> None:
        """Talk about the run under the cursor (or the one shown) with the tutor, in the Chat."""
        run = self._highlighted_run() or self.lab_watch.current_run()
        if run is None:
            self.notify("Pick a run in the Runs list first (start one with r).", severity="warning")
            return
        self.post_message(TalkAboutRun(run.id))

    # -- the plot's view --------------------------------------------------------------------------

    def action_smoothing(self, direction: int) -> None:
        view = self.query_one(MetricPlot).view
        steps = SMOOTHING_STEPS
        index = min(range(len(steps)), key=lambda i: abs(steps[i] - view.smoothing))
        view.smoothing = steps[max(0, min(len(steps) - 1, index + direction))]
        self._redraw()

    def action_toggle_log(self) -> None:
        view = self.query_one(MetricPlot).view
        view.log_scale = not view.log_scale
        self._redraw()

    def action_toggle_x(self) -> None:
        view = self.query_one(MetricPlot).view
        view.x_axis = "epoch" if view.x_axis == "step" else "step"
        self._redraw()

    def action_cycle_panels(self) -> None:
        view = self.query_one(MetricPlot).view
        view.panels = PANELS[(PANELS.index(view.panels) + 1) % len(PANELS)]
        self._redraw()
