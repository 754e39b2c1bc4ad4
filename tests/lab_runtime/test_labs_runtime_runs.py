"""Lab runs as real detached processes: start, finish, stop, crash, re-attach, sweeps, exercises, CLI."""

import dataclasses
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from dltui.cli import main
from dltui.labs import records
from dltui.labs.errors import LabStartError
from dltui.labs.exercise import (
    editor_command,
    install_exercise_recording,
    open_in_editor,
    prepare_workspace,
    start_grader,
)
from dltui.labs.monitor import output_tail
from dltui.labs.process import LabProcess
from dltui.labs.run_folder import RunFolder
from dltui.labs.runner import LabRunner
from dltui.store import Store
from dltui.store.models import Assessment, RunKind, RunStatus
from sqlmodel import select

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def store(lab_settings):
    s = Store(lab_settings.db_path)
    yield s
    s.close()


def make_runner(lab_settings, store, **kwargs) -> LabRunner:
    runner = LabRunner(lab_settings, store, **kwargs)
    install_exercise_recording(runner)
    return runner


def wait_until(condition, runner: LabRunner | None = None, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if runner is not None:
            runner.poll()
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def test_a_run_writes_its_folder_and_finishes_with_final_metrics_and_passed(lab_settings, store):
    runner = make_runner(lab_settings, store)
    lab = runner.registry.get("steady")
    run = runner.start(lab, {"steps": "6", "lr": "0.5"})
    run_dir = Path(run.run_dir)
    assert run_dir.parent == lab_settings.runs_dir and (run_dir / "checkpoints").is_dir()
    params = json.loads((run_dir / "params.json").read_text())
    assert params["params"]["steps"] == 6 and params["argv"][0] == sys.executable
    assert "--steps" in params["argv"] and "6" in params["argv"]
    assert (run_dir / "pid").read_text().split()[0] == str(run.pid)
    done = runner.wait(run, timeout=20)
    assert done.status is RunStatus.OK and done.passed is True
    assert done.final_metrics["steps"] == 6 and 0 < done.final_metrics["val/acc"] < 1
    assert done.ended_at is not None and done.ended_at >= done.started_at
    assert "steady: done" in (run_dir / "stdout.log").read_text()
    assert records.get_run(store, run.id).status is RunStatus.OK


def test_a_run_that_misses_its_target_is_not_passed(lab_settings, store):
    runner = make_runner(lab_settings, store)
    run = runner.start(runner.registry.get("steady"), {"steps": "2", "lr": "0.01"})
    assert runner.wait(run, timeout=20).passed is False


def test_the_lab_gets_its_run_folder_pythonpath_and_device_in_the_environment(lab_settings, store, tmp_path):
    labs = tmp_path / "labs"
    (labs / "envdump").mkdir(parents=True)
    (labs / "envdump" / "lab.toml").write_text(
        'id = "envdump"\ncommand = ["{python}", "-c", "import json, os, importlib.util; '
        "env = {k: os.environ.get(k) for k in ['DLTUI_RUN_DIR', 'DLTUI_RUNS_DIR', 'PYTHONPATH', 'DLTUI_DEVICE']}; "
        "env['labkit'] = importlib.util.find_spec('labkit') is not None; print(json.dumps(env))\"]\n"
    )
    runner = make_runner(dataclasses.replace(lab_settings, labs_dir=labs), store)
    run = runner.start(runner.registry.get("envdump"), device="cpu")
    assert runner.wait(run, timeout=20).status is RunStatus.CRASHED  # it writes no events at all
    env = json.loads((Path(run.run_dir) / "stdout.log").read_text().strip().splitlines()[-1])
    assert env["DLTUI_RUN_DIR"] == run.run_dir
    assert env["DLTUI_RUNS_DIR"] == str(lab_settings.runs_dir)
    assert str((labs / "envdump").resolve()) in env["PYTHONPATH"].split(os.pathsep)  # its own modules
    assert env["labkit"]  # the lab kit is an installed package: no path to set for it
    assert env["DLTUI_DEVICE"] == "cpu"


def test_stop_ends_with_cancelled_and_a_checkpoint(lab_settings, store):
    runner = make_runner(lab_settings, store)
    run = runner.start(runner.registry.get("steady"), {"forever": "true", "delay": "0.02"})
    wait_until(lambda: runner.monitor(run).step and runner.monitor(run).step >= 3, runner)
    assert runner.stop(run)
    done = runner.wait(run, timeout=20)
    assert done.status is RunStatus.CANCELLED
    monitor = runner.monitor(run)
    [checkpoint] = monitor.checkpoints
    assert (Path(run.run_dir) / checkpoint["path"]).read_text().startswith("step ")
    assert runner.stop(done) is False  # stopping a finished run does nothing


def test_a_lab_that_ignores_sigterm_is_killed_after_the_grace_period(lab_settings, store, tmp_path):
    labs = tmp_path / "labs"
    (labs / "stubborn").mkdir(parents=True)
    (labs / "stubborn" / "lab.toml").write_text(
        'id = "stubborn"\ncommand = ["{python}", "-c", "import signal, time\\n'
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\\nprint('ignoring', flush=True)\\nwhile True: time.sleep(0.05)\"]\n"
    )
    runner = make_runner(dataclasses.replace(lab_settings, labs_dir=labs), store, grace_s=0.3)
    run = runner.start(runner.registry.get("stubborn"))
    wait_until(lambda: "ignoring" in (Path(run.run_dir) / "stdout.log").read_text())
    runner.stop(run)
    time.sleep(0.2)
    runner.poll()
    assert run.id in runner.running, "SIGTERM is ignored: still running inside the grace period"
    done = runner.wait(run, timeout=10)
    assert done.status is RunStatus.CANCELLED
    assert not LabProcess.from_pid_file(RunFolder.of(run)).alive()


def test_a_crash_without_an_end_event_is_marked_crashed_with_its_traceback(lab_settings, store):
    runner = make_runner(lab_settings, store)
    run = runner.start(runner.registry.get("crasher"))
    done = runner.wait(run, timeout=20)
    assert done.status is RunStatus.CRASHED and done.passed is None
    tail = "\n".join(output_tail(Path(run.run_dir), 20))
    assert "Traceback" in tail and "ZeroDivisionError" in tail
    assert done.final_metrics == {"train/loss": 1.0}  # what it reported before dying is kept


def test_garbage_lines_are_skipped_and_counted_and_good_events_kept(lab_settings, store):
    runner = make_runner(lab_settings, store)
    run = runner.start(runner.registry.get("garbage"))
    done = runner.wait(run, timeout=20)
    assert done.status is RunStatus.OK
    monitor = runner.monitor(run)
    assert list(monitor.series["train/loss"].steps) == [1, 2, 3]
    assert (monitor.tail.malformed, monitor.tail.oversized, monitor.tail.unknown) == (5, 1, 1)
    assert [e["type"] for e in monitor.others] == ["histogram"]


def test_a_new_runner_reattaches_to_a_run_started_by_a_process_that_exited(lab_settings, store):
    # `dltui lab run -d` starts the lab and exits, like a TUI that quit or an SSH session that dropped.
    env = {**os.environ, "DLTUI_LABS": str(lab_settings.labs_dir), "DLTUI_DB": str(lab_settings.db_path)}
    env.pop("DLTUI_DATA_DIR", None)
    started = subprocess.run(
        [sys.executable, "-m", "dltui", "lab", "run", "steady", "-p", "forever=true", "-p", "delay=0.01", "-d"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert started.returncode == 0, started.stderr
    [row] = records.recent_runs(store)
    runner = make_runner(lab_settings, store)
    alive = runner.reconcile()
    assert [r.id for r in alive] == [row.id]
    first = runner.monitor(row).tail.events
    wait_until(lambda: runner.monitor(row).tail.events > first + 5, runner)
    runner.stop(row)
    done = runner.wait(row, timeout=30)
    assert done.status is RunStatus.CANCELLED and done.final_metrics["steps"] > 3


def test_reconcile_marks_a_run_that_died_unseen_as_crashed(lab_settings, store):
    runner = make_runner(lab_settings, store)
    run = runner.start(runner.registry.get("silent"))
    os.killpg(run.pid, signal.SIGKILL)
    runner._processes[run.id].popen.wait(timeout=10)  # reap it, as init would for an orphan
    # a fresh runner (a new dltui) knows the run only from the database and its folder
    fresh = make_runner(lab_settings, store)
    assert fresh.reconcile() == []
    assert records.get_run(store, run.id).status is RunStatus.CRASHED


def test_a_sweep_launches_one_grouped_run_per_value(lab_settings, store):
    runner = make_runner(lab_settings, store)
    runs = runner.launch(runner.registry.get("lr-sweep"), {"steps": "3"})
    assert [r.params["lr"] for r in runs] == [0.05, 0.5]
    assert all(r.params["steps"] == 3 for r in runs)
    assert len({r.group_id for r in runs}) == 1 and runs[0].group_id.startswith("sweep-steady-lr-")
    for run in runs:
        assert runner.wait(run, timeout=20).status is RunStatus.OK
    assert [r.id for r in records.group_runs(store, runs[0].group_id)] == sorted(r.id for r in runs)
    with pytest.raises(LabStartError, match="no parameter 'beta'"):
        runner.sweep(runner.registry.get("steady"), "beta", [1])


def test_exercise_copy_grade_and_pass_records_assessments(lab_settings, store, tmp_path):
    runner = make_runner(lab_settings, store)
    lab = runner.registry.get("adder")
    answer = prepare_workspace(lab, lab_settings.workspace_dir)
    assert answer == lab_settings.workspace_dir / "adder" / "answer.py"
    failing = runner.wait(start_grader(runner, lab, lab_settings.workspace_dir), timeout=20)
    assert failing.status is RunStatus.OK and failing.passed is False
    assert "NotImplementedError" in (Path(failing.run_dir) / "stdout.log").read_text()
    # The learner's editor: a real program run by open_in_editor that writes the solution.
    editor = tmp_path / "editor.sh"
    editor.write_text('#!/bin/sh\nprintf "def add(a, b):\\n    return a + b\\n" > "$1"\n')
    editor.chmod(0o755)
    os.environ["EDITOR"], old = str(editor), os.environ.get("EDITOR")
    try:
        assert editor_command(answer)[0] == str(editor)
        assert open_in_editor(answer) == 0
    finally:
        os.environ.pop("EDITOR") if old is None else os.environ.__setitem__("EDITOR", old)
    assert prepare_workspace(lab, lab_settings.workspace_dir).read_text().startswith("def add(a, b):\n    return")
    passing = runner.wait(start_grader(runner, lab, lab_settings.workspace_dir), timeout=20)
    assert (passing.lab_id, passing.kind, passing.passed) == ("adder", RunKind.EXERCISE, True)
    with store.session() as session:
        assessments = session.exec(select(Assessment)).all()
    assert [(a.topic_id, a.assessor, a.level.value) for a in assessments] == [("backpropagation", "lab", "strong")]


def test_cli_run_list_runs_attach_and_stop(lab_settings, capsys, monkeypatch):
    monkeypatch.setenv("DLTUI_LABS", str(lab_settings.labs_dir))
    db = str(lab_settings.db_path)
    assert main(["--db", db, "lab", "list"]) == 0
    listing = capsys.readouterr().out
    assert "steady" in listing and "sweep of steady over lr" in listing
    assert main(["--db", db, "lab", "run", "steady", "-p", "steps=30"]) == 0
    out = capsys.readouterr().out
    assert "ok, passed" in out and "val/acc" in out
    assert main(["--db", db, "lab", "run", "steady", "-p", "steps=four"]) == 2
    assert "steps: 'four' is not an int" in capsys.readouterr().err
    assert main(["--db", db, "lab", "run", "nope"]) == 2
    assert "no lab called 'nope'" in capsys.readouterr().err
    assert main(["--db", db, "lab", "run", "steady", "--sweep", "lr=0.2,2", "-p", "steps=3", "-d"]) == 0
    assert capsys.readouterr().out.count("started ") == 2
    assert main(["--db", db, "lab", "run", "crasher"]) == 1
    assert "ZeroDivisionError" in capsys.readouterr().out
    assert main(["--db", db, "lab", "run", "steady", "-p", "forever=true", "-p", "delay=0.02", "-d"]) == 0
    capsys.readouterr()
    assert main(["--db", db, "lab", "stop", "steady", "--grace", "5"]) == 0
    assert "cancelled" in capsys.readouterr().out
    assert main(["--db", db, "lab", "attach", "crasher"]) == 1  # a finished run: its ending, at once
    assert "crashed" in capsys.readouterr().out
    assert main(["--db", db, "lab", "runs"]) == 0
    runs = capsys.readouterr().out
    assert runs.count("\n") >= 5 and "cancelled" in runs and "crashed" in runs
    assert main(["--db", db, "lab", "attach", "no-such-run"]) == 2


def test_a_terminal_hang_up_kills_the_command_but_not_the_lab(lab_settings, store):
    # `dltui lab run` following the run in a terminal, like an SSH session; closing the terminal
    # sends SIGHUP to its session. The lab has a session of its own and keeps running.
    import pty

    env = {**os.environ, "DLTUI_LABS": str(lab_settings.labs_dir), "DLTUI_DB": str(lab_settings.db_path)}
    pid, fd = pty.fork()
    if pid == 0:  # the child: become the CLI, attached to the pseudo-terminal
        os.chdir(ROOT)
        os.execve(sys.executable, [sys.executable, "-m", "dltui", "lab", "run", "steady", "-p", "forever=true", "-p", "delay=0.02"], env)
    try:
        wait_until(lambda: records.recent_runs(store) and (Path(records.recent_runs(store)[0].run_dir) / "pid").exists())
        [row] = records.recent_runs(store)
        wait_until(lambda: b"running" in os.read(fd, 65536))  # the CLI is following the run
    finally:
        os.close(fd)  # hang up
    _, status = os.waitpid(pid, 0)
    assert os.WIFSIGNALED(status) or os.WEXITSTATUS(status) != 0, "the CLI should die with its terminal"
    runner = make_runner(lab_settings, store)
    assert [r.id for r in runner.reconcile()] == [row.id], "the lab must outlive the terminal"
    runner.stop(row)
    assert runner.wait(row, timeout=20).status is RunStatus.CANCELLED


def test_a_lab_id_names_the_labs_latest_run_not_its_exercise_grader(lab_settings, store):
    """`dltui lab stop adder` stops the lab's own run; a grader run started later is named by its id."""
    from datetime import timedelta

    from dltui.store.models import LabRun

    older = LabRun(id="adder-1", lab_id="adder", run_dir="/runs/adder-1")
    grader = LabRun(
        id="adder-exercise-1",
        lab_id="adder",
        kind=RunKind.EXERCISE,
        run_dir="/runs/adder-exercise-1",
        started_at=older.started_at + timedelta(seconds=1),
    )
    records.add_run(store, older)
    records.add_run(store, grader)
    assert records.find_run(store, "adder").id == "adder-1"
    assert records.find_run(store, "adder-exercise-1").kind is RunKind.EXERCISE
