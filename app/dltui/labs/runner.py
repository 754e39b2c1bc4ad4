"""Starting, watching, stopping and re-attaching lab runs.

A run is a folder ``<data>/runs/<run-id>/`` (params.json, events.jsonl, stdout.log, checkpoints/,
pid) plus a `LabRun` row. The lab process is detached (see `dltui.labs.process`), so the TUI
may quit at any time; the next `LabRunner.reconcile` picks up runs still alive and closes the
books on the ones that died: with the status of their ``end`` event, else ``crashed`` (or
``cancelled`` when a stop had been asked for).

`poll` is what a view calls on its timer: it reads what each running lab wrote, finishes runs
that ended, and escalates a stop to SIGKILL once the grace period is over.
"""

from __future__ import annotations

import json
import os
import secrets
import sys
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from dltui.labs import records
from dltui.labs.errors import LabStartError
from dltui.labs.monitor import RunMonitor
from dltui.labs.params import command_line
from dltui.labs.process import KILL_SIGNAL, STOP_SIGNAL, LabProcess, spawn
from dltui.labs.registry import Lab, LabRegistry, load_registry
from dltui.labs.run_folder import RunFolder
from dltui.labs.safety import LabLimitError, check_device_limits, without_secrets
from dltui.settings import Settings
from dltui.store import Store
from dltui.store.models import LabRun, RunKind, RunStatus
from dltui.terminal_text import terminal_safe

DEFAULT_GRACE_S = 10.0


def new_run_id(lab_id: str, kind: RunKind = RunKind.RUN) -> str:
    """``<lab>-<time>-<4 hex>``; a grader run's folder says so: ``<lab>-exercise-<time>-<4 hex>``."""
    name = lab_id if kind is RunKind.RUN else f"{lab_id}-{kind}"
    return f"{name}-{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(2)}"


def fill_placeholders(command: tuple[str, ...], **values: object) -> list[str]:
    """``{python}``, ``{run_dir}``... replaced; other braces are left alone (``python -c`` code)."""
    argv = []
    for part in command:
        for name, value in values.items():
            part = part.replace("{" + name + "}", str(value))
        argv.append(part)
    return argv


def judge(run_lab: Lab | None, status: RunStatus, final: dict[str, Any]) -> bool | None:
    """Did the run pass? A grader's ``passed`` in its summary decides; else the lab's target."""
    verdict = final.get("passed")
    if isinstance(verdict, bool):
        return verdict
    if run_lab is None or run_lab.target is None:
        return None
    if status is not RunStatus.OK:
        return False
    return bool(run_lab.target.met_by(final))


class LabRunner:
    """Every run of this data folder: start, stop, and keep their records up to date."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        registry: LabRegistry | None = None,
        python: str = sys.executable,
        grace_s: float = DEFAULT_GRACE_S,
    ):
        self.settings = settings
        self.store = store
        self._registry = registry
        self.python = python
        self.grace_s = grace_s
        self.monitors: dict[str, RunMonitor] = {}
        self.running: dict[str, LabRun] = {}
        self._processes: dict[str, LabProcess] = {}
        self.on_finish: list[Callable[[LabRun], object]] = []  # e.g. record an exercise pass (what it returns is not used)

    @property
    def registry(self) -> LabRegistry:
        if self._registry is None:
            self._registry = load_registry(self.settings.labs_dir, self.settings.data_dir)
        return self._registry

    # -- starting -------------------------------------------------------------------------------

    def start(
        self,
        lab: Lab,
        params: dict[str, Any] | None = None,
        *,
        device: str | None = None,
        group_id: str | None = None,
        session_id: int | None = None,
        command: tuple[str, ...] | None = None,
        kind: RunKind = RunKind.RUN,
        extra_env: dict[str, str] | None = None,
    ) -> LabRun:
        """Start one run of ``lab`` (a sweep lab starts its whole group: use `launch`)."""
        if lab.sweep is not None and command is None:
            raise LabStartError(f"{lab.id} is a sweep: start it with launch()")
        if lab.unavailable:  # e.g. a PyTorch lab on an install without the labs extra
            raise LabStartError(lab.unavailable)
        # A command of its own (a grader) takes no lab parameters: record only what it was given.
        values = lab.resolve_params(params or {}) if command is None else dict(params or {})
        if command is None:
            try:
                check_device_limits(lab, values, device)
            except LabLimitError as err:
                raise LabStartError(str(err)) from None
        run_id = new_run_id(lab.id, kind)
        folder = RunFolder(self.settings.runs_dir / run_id)
        run_dir = folder.path
        folder.checkpoints.mkdir(parents=True, exist_ok=False)
        argv = fill_placeholders(command or lab.command, python=self.python, run_dir=run_dir, lab_dir=lab.folder)
        if command is None:
            argv += command_line(lab.params, values)
        started = datetime.now(timezone.utc)
        folder.params.write_text(
            json.dumps(
                {
                    "run": run_id,
                    "lab": lab.id,
                    "kind": kind,
                    "params": values,
                    "argv": argv,
                    "device": device,
                    "group": group_id,
                    "started_at": started.isoformat(),
                },
                indent=2,
            ),
            encoding="utf-8",
        )
        try:
            process = spawn(argv, lab.folder, self._environment(lab, run_dir, device, extra_env), folder.stdout)
        except OSError as err:
            raise LabStartError(f"could not start {lab.id}: {argv[0]}: {err.strerror or err}") from None
        process.write_pid_file(folder)
        run = LabRun(
            id=run_id,
            lab_id=lab.id,
            kind=kind,
            params=values,
            pid=process.pid,
            run_dir=str(run_dir),
            device=device,
            group_id=group_id,
            started_at=started,
            session_id=session_id,
        )
        records.add_run(self.store, run)
        self._processes[run_id] = process
        self.running[run_id] = run
        self.monitors[run_id] = RunMonitor(run_dir)
        return run

    def launch(
        self,
        lab: Lab,
        params: dict[str, Any] | None = None,
        *,
        values: list[Any] | None = None,
        device: str | None = None,
        session_id: int | None = None,
    ) -> list[LabRun]:
        """Start a lab: one run, or for a sweep one run per value, grouped under one id."""
        if lab.sweep is None:
            if values is not None:
                raise LabStartError(f"{lab.id} is not a sweep; use --sweep PARAM=V1,V2 to sweep a parameter")
            return [self.start(lab, params, device=device, session_id=session_id)]
        base = self.registry.get(lab.sweep.lab)
        fixed = lab.resolve_params(params or {})  # the sweep lab's own defaults win over the base lab's
        return self.sweep(base, lab.sweep.param, list(values or lab.sweep.values), fixed, device=device, session_id=session_id)

    def sweep(
        self,
        lab: Lab,
        param: str,
        values: list[Any],
        params: dict[str, Any] | None = None,
        *,
        device: str | None = None,
        session_id: int | None = None,
    ) -> list[LabRun]:
        """One run of ``lab`` per value of ``param``, all sharing a group id (overlaid on one plot)."""
        if param not in lab.params:
            raise LabStartError(f"lab {lab.id} has no parameter {param!r} (parameters: {', '.join(lab.params) or 'none'})")
        if not values:
            raise LabStartError("a sweep needs at least one value")
        group = f"sweep-{lab.id}-{param}-{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(2)}"
        fixed = {k: v for k, v in (params or {}).items() if k != param}
        runs = []
        for value in values:
            runs.append(self.start(lab, {**fixed, param: value}, device=device, group_id=group, session_id=session_id))
        return runs

    def _environment(self, lab: Lab, run_dir: Path, device: str | None, extra: dict[str, str] | None) -> dict[str, str]:
        env = without_secrets(os.environ)
        paths = [str(lab.folder)]  # its own modules; the lab kit (labkit) is installed with dltui
        if env.get("PYTHONPATH"):
            paths.append(env["PYTHONPATH"])
        env["PYTHONPATH"] = os.pathsep.join(paths)
        env["DLTUI_RUN_DIR"] = str(run_dir)
        env["DLTUI_RUNS_DIR"] = str(self.settings.runs_dir)
        env["PYTHONUNBUFFERED"] = "1"  # so stdout.log shows output as it happens
        if device:
            env["DLTUI_DEVICE"] = device
        env.update(extra or {})
        return env

    # -- watching -------------------------------------------------------------------------------

    def monitor(self, run: LabRun, catch_up: bool = True) -> RunMonitor:
        """The monitor of a run, created on first use.

        A finished run's file is read to its end at once unless ``catch_up`` is False; a view
        passes False and reads it in bounded slices (`read_finished`) to stay responsive.
        """
        found = self.monitors.get(run.id)
        if found is None:
            found = self.monitors[run.id] = RunMonitor(RunFolder.of(run).path)
            if catch_up and run.status is not RunStatus.RUNNING:
                found.catch_up(final=True)
        return found

    def read_finished(self, run_ids: list[str]) -> set[str]:
        """One bounded slice more of finished runs still being read; returns the ids that changed."""
        changed = set()
        for run_id in run_ids:
            monitor = self.monitors.get(run_id)
            if monitor is not None and run_id not in self.running and monitor.tail.pending:
                if monitor.poll(final=True):
                    changed.add(run_id)
        return changed

    @property
    def behind(self) -> bool:
        """True when some running run has more written than read (a view should read again soon)."""
        return self.behind_on(list(self.running))

    def behind_on(self, run_ids: list[str]) -> bool:
        """True when any of these runs' monitors has bytes waiting to be read."""
        return any(self.monitors[r].tail.pending for r in run_ids if r in self.monitors)

    def pick_up_new_runs(self) -> list[LabRun]:
        """Runs another dltui started (e.g. `dltui lab run` in another terminal), now watched too."""
        found = [run for run in records.running_runs(self.store) if run.id not in self.running]
        for run in found:
            self.running[run.id] = run
        return found

    def process(self, run: LabRun) -> LabProcess | None:
        found = self._processes.get(run.id)
        if found is None:
            found = LabProcess.from_pid_file(RunFolder.of(run))
            if found is None and run.pid:
                found = LabProcess(run.pid)
            if found is not None:
                self._processes[run.id] = found
        return found

    def reconcile(self) -> list[LabRun]:
        """Re-attach to runs still alive and finish the ones that died; returns the live ones."""
        for run in records.running_runs(self.store):
            self.running.setdefault(run.id, run)
        for run in list(self.running.values()):
            process = self.process(run)
            if process is None or not process.alive():
                monitor = self.monitor(run, catch_up=False)
                monitor.catch_up(final=True)
                self._finish(run, monitor)
        return list(self.running.values())

    def poll(self) -> set[str]:
        """Read new events of every running run; finish the ended ones. Returns ids that changed."""
        changed: set[str] = set()
        for run_id, run in list(self.running.items()):
            monitor = self.monitor(run, catch_up=False)
            if monitor.poll():
                changed.add(run_id)
            process = self.process(run)
            alive = process is not None and process.alive()
            if alive:
                self._escalate_stop(run, process)
            if monitor.tail.pending:
                continue  # read the rest first (in later polls, so each one stays short)
            if monitor.end is not None:
                self._finish(run, monitor)
                changed.add(run_id)
            elif not alive:
                monitor.poll(final=True)  # a last line the lab never finished writing
                if not monitor.tail.pending:
                    self._finish(run, monitor)
                    changed.add(run_id)
        return changed

    def _finish(self, run: LabRun, monitor: RunMonitor) -> None:
        self.running.pop(run.id, None)
        stopped = RunFolder.of(run).stop.exists()
        status_text = monitor.status
        if status_text is None:
            status = RunStatus.CANCELLED if stopped else RunStatus.CRASHED
        else:
            try:
                status = RunStatus(status_text)
            except ValueError:
                status = RunStatus.FAILED
            if status is RunStatus.RUNNING:
                status = RunStatus.FAILED
        final = monitor.final_metrics()
        end_t = monitor.end.get("t") if monitor.end else None
        ended = datetime.now(timezone.utc)
        if isinstance(end_t, (int, float)) and run.started_at.timestamp() <= end_t <= ended.timestamp():
            ended = datetime.fromtimestamp(end_t, timezone.utc)  # the lab's own clock, when believable
        lab = self.registry.labs.get(run.lab_id)
        device = monitor.start.get("device") if monitor.start else None
        updated = records.finish_run(
            self.store,
            run.id,
            status,
            ended,
            _jsonable(final),
            judge(lab, status, final),
            terminal_safe(str(device))[:40] if device else None,
        )
        if updated is None:  # another dltui process finished it first (and ran the hooks)
            return
        for hook in self.on_finish:
            hook(updated)

    # -- stopping -------------------------------------------------------------------------------

    def stop(self, run: LabRun, grace_s: float | None = None) -> bool:
        """Ask a run to stop (SIGTERM to its group); SIGKILL follows after the grace period.

        Returns False when the run was not running. The deadline is written into the run folder,
        so a later dltui enforces it even if this one quits first.
        """
        if run.status is not RunStatus.RUNNING and run.id not in self.running:
            return False
        self.running.setdefault(run.id, run)
        process = self.process(run)
        deadline = time.time() + (self.grace_s if grace_s is None else grace_s)
        RunFolder.of(run).stop.write_text(f"{deadline:.3f}\n", encoding="utf-8")
        return bool(process and process.signal(STOP_SIGNAL))

    def _escalate_stop(self, run: LabRun, process: LabProcess | None) -> None:
        try:
            deadline = float(RunFolder.of(run).stop.read_text(encoding="utf-8").split()[0])
        except (OSError, ValueError, IndexError):
            return
        if time.time() >= deadline and process is not None:
            process.signal(KILL_SIGNAL)

    def wait(self, run: LabRun, timeout: float, interval: float = 0.1) -> LabRun:
        """Poll until ``run`` has finished or ``timeout`` seconds passed; returns its latest row."""
        deadline = time.monotonic() + timeout
        while run.id in self.running and time.monotonic() < deadline:
            self.poll()
            if run.id in self.running and not self.behind:
                time.sleep(interval)
        return records.get_run(self.store, run.id) or run


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    """Final metrics as plain JSON values (NaN would make the JSON column invalid)."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, float) and value != value:
            value = "nan"
        elif isinstance(value, float) and value in (float("inf"), float("-inf")):
            value = str(value)
        elif not isinstance(value, (str, int, float, bool, type(None), list, dict)):
            value = str(value)
        out[str(key)] = value
    return out
