"""What the Labs area is watching: the recent runs, the ones overlaid on the plot, the one whose
progress and output are shown, and the runner read in bounded slices on a timer.

A plain object, no terminal in it: the Labs pane calls `tick` four times a second and draws what
it holds. All database work here is reads (`records`), except finishing a run that ended, which
the runner does once per run.
"""

from __future__ import annotations

from sqlalchemy.exc import SQLAlchemyError

from dltui.labs import records
from dltui.labs.monitor import RunMonitor, output_tail
from dltui.labs.run_folder import RunFolder
from dltui.labs.runner import LabRunner
from dltui.store.models import LabRun

RESCAN_TICKS = 8  # every 2 s at 4 ticks a second: pick up runs another dltui started
LIST_TICKS = 4  # the list of runs (their progress) is read again at most once a second
RECENT_RUNS = 40


class WatchTrouble(Exception):
    """The disk or the database did not answer (full, busy for too long); the next tick retries."""


class LabWatch:
    """The runs a view shows, kept up to date by `tick`; runs that ended wait in `take_finished`."""

    def __init__(self, runner: LabRunner):
        self.runner = runner
        self.rows: dict[str, LabRun] = {}  # the recent runs (and any shown), by id
        self.shown: list[str] = []  # runs overlaid on the plot
        self.current: str | None = None  # the run whose progress and output are shown
        self.ready = False  # set once `attach` has run
        self.rows_read = 0  # how many times `rows` was read: a view redraws its list when it moves
        self._finished: list[LabRun] = []
        self._ticks = 0
        self._rows_dirty = False
        runner.on_finish.append(self._run_finished)

    # -- start-up ---------------------------------------------------------------------------------

    def load(self) -> tuple[list[str], list[LabRun]]:
        """The lab folders' problems and the runs still alive (file work: call it in a thread)."""
        try:
            registry = self.runner.registry
            alive = self.runner.reconcile()
            return [str(problem) for problem in registry.problems], alive
        except Exception as err:  # a busy or broken database, an unreadable folder: say so, go on
            return [f"could not load the lab runs: {err}"], []

    def attach(self, alive: list[LabRun]) -> None:
        """Show what is still running, the newest run (and its sweep) first; then start watching."""
        if alive:
            alive = sorted(alive, key=lambda run: run.started_at, reverse=True)
            newest = alive[0]
            group = [r.id for r in alive if newest.group_id and r.group_id == newest.group_id]
            self.shown = group or [newest.id]
            self.current = newest.id
        self.ready = True
        self.refresh_rows()

    # -- each tick --------------------------------------------------------------------------------

    def tick(self) -> bool:
        """One slice of reading, and the run list when due; True when a backlog is left to read."""
        try:
            behind = self.read()
            self._ticks += 1
            if self._ticks % RESCAN_TICKS == 0 and self.runner.pick_up_new_runs():
                self._rows_dirty = True
            if self._rows_dirty or self._ticks % LIST_TICKS == 0:
                self.refresh_rows()
        except (OSError, SQLAlchemyError) as err:
            raise WatchTrouble(str(err)) from err
        return behind

    def read(self) -> bool:
        """One bounded slice of every running run and of the shown finished ones; True if behind."""
        try:
            self.runner.poll()
            self.runner.read_finished(self.shown)
        except (OSError, SQLAlchemyError) as err:
            raise WatchTrouble(str(err)) from err
        return self.runner.behind or self.runner.behind_on(self.shown)

    def refresh_rows(self) -> None:
        self._rows_dirty = False
        rows = {run.id: run for run in records.recent_runs(self.runner.store, RECENT_RUNS)}
        for run_id in [*self.shown, *([self.current] if self.current else [])]:
            if run_id not in rows and (found := records.get_run(self.runner.store, run_id)):
                rows[run_id] = found
        self.rows = rows
        self.rows_read += 1

    def _run_finished(self, run: LabRun) -> None:
        if not self.ready:  # finished while catching up at start-up (`load`): nothing to tell
            return
        self.rows[run.id] = run
        self.rows_read += 1
        self._rows_dirty = True
        self._finished.append(run)

    def take_finished(self) -> list[LabRun]:
        """The runs that ended since the last call (each once), for the view to tell the learner."""
        finished, self._finished = self._finished, []
        return finished

    # -- what is shown ----------------------------------------------------------------------------

    def show(self, run_ids: list[str], current: str | None = None) -> None:
        self.shown = list(run_ids)
        self.current = current or (run_ids[0] if run_ids else None)
        self.refresh_rows()

    def toggle(self, run: LabRun) -> None:
        """Overlay a run on the plot, or take it off; a run put on becomes the current one."""
        shown = [run_id for run_id in self.shown if run_id != run.id]
        if len(shown) == len(self.shown):
            shown.append(run.id)
            self.current = run.id
        self.show(shown, self.current if self.current in shown else None)

    def group_of(self, run: LabRun) -> list[str]:
        """The run's sweep (every run of its group in the list), or the run alone."""
        return [r.id for r in self.rows.values() if run.group_id and r.group_id == run.group_id] or [run.id]

    def current_run(self) -> LabRun | None:
        return self.rows.get(self.current or "")

    def shown_runs(self) -> list[tuple[LabRun, RunMonitor]]:
        """The runs on the plot, each with its monitor (read in slices: never all at once here)."""
        runs = [self.rows[run_id] for run_id in self.shown if run_id in self.rows]
        return [(run, self.runner.monitor(run, catch_up=False)) for run in runs]

    def monitor(self, run: LabRun) -> RunMonitor:
        return self.runner.monitor(run, catch_up=False)

    def is_running(self, run: LabRun) -> bool:
        return run.id in self.runner.running

    @staticmethod
    def output_size(run: LabRun) -> int:
        """How much the run has printed so far (-1 before its output file exists)."""
        try:
            return RunFolder.of(run).stdout.stat().st_size
        except OSError:
            return -1

    @staticmethod
    def output(run: LabRun, lines: int) -> list[str]:
        return output_tail(RunFolder.of(run).path, lines)
