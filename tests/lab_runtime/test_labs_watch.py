"""LabWatch, what the Labs area watches, without a terminal: real labs, a real SQLite file."""

from __future__ import annotations

import time

import pytest
from dltui.labs.runner import LabRunner
from dltui.labs.watch import LabWatch
from dltui.store import Store
from dltui.store.models import RunStatus


@pytest.fixture
def runner(lab_settings):
    store = Store(lab_settings.db_path)
    yield LabRunner(lab_settings, store)
    store.close()


def tick_until(watch: LabWatch, condition, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        watch.tick()
        time.sleep(0.02)


def test_a_run_is_read_in_slices_and_told_once_when_it_ends(runner):
    watch = LabWatch(runner)
    assert watch.load() == ([], [])
    watch.attach([])
    [run] = runner.launch(runner.registry.get("steady"), {"steps": "5"})
    watch.show([run.id])
    assert watch.current_run().id == run.id and list(watch.rows) == [run.id]
    finished = []
    tick_until(watch, lambda: finished.extend(watch.take_finished()) or finished)
    assert [r.id for r in finished] == [run.id] and finished[0].status is RunStatus.OK
    assert watch.take_finished() == []  # told once
    assert watch.rows[run.id].status is RunStatus.OK and not watch.is_running(watch.rows[run.id])
    [(shown, monitor)] = watch.shown_runs()
    assert shown.id == run.id and len(monitor.series["train/loss"]) == 5
    assert "steady: done" in "\n".join(watch.output(shown, 5)) and watch.output_size(shown) > 0


def test_a_new_watch_attaches_to_the_newest_sweep_still_running(runner):
    runs = runner.sweep(runner.registry.get("steady"), "lr", [0.1, 0.2], {"forever": "true", "delay": "0.05"})
    watch = LabWatch(LabRunner(runner.settings, runner.store))  # as a TUI started later
    problems, alive = watch.load()
    watch.attach(alive)
    assert sorted(watch.shown) == sorted(r.id for r in runs) and watch.current in watch.shown
    for run in runs:
        runner.stop(run, grace_s=0)


def test_overlaying_a_run_makes_it_current_and_taking_it_off_keeps_the_rest(runner):
    watch = LabWatch(runner)
    watch.attach([])
    first, second = (runner.start(runner.registry.get("steady"), {"steps": "1"}) for _ in range(2))
    watch.show([first.id])
    watch.toggle(second)
    assert watch.shown == [first.id, second.id] and watch.current == second.id
    watch.toggle(second)
    assert watch.shown == [first.id] and watch.current == first.id
    assert watch.group_of(first) == [first.id]
    for run in (first, second):
        runner.wait(run, 20)
