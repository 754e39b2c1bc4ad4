"""Exercise mode: the learner fills in a lab's blanks in their workspace and a grader judges it.

The template is copied once to ``<data>/workspace/<lab-id>/``; later visits reopen the learner's
own copy (their work is never overwritten). The grader runs as a run of the lab whose kind is
``RunKind.EXERCISE`` and whose ``end`` summary says ``{"passed": true|false, "checks": {...}}``;
a pass is recorded on the run and as lab evidence for the topics its passed checks declare in
``[exercise.checks]`` (credit rules: srs.mastery).
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

from dltui.labs.errors import LabStartError
from dltui.labs.registry import Lab
from dltui.labs.runner import LabRunner
from dltui.srs.mastery import EXERCISE_ASSESSOR
from dltui.store import Store
from dltui.store.models import Assessment, AssessmentLevel, LabRun, RunKind


def workspace_for(lab: Lab, workspace_dir: Path) -> Path:
    return workspace_dir / lab.id


def prepare_workspace(lab: Lab, workspace_dir: Path) -> Path:
    """Copy the exercise template (first time only); returns the file the learner should edit."""
    if lab.exercise is None:
        raise LabStartError(f"lab {lab.id} has no exercise")
    target = workspace_for(lab, workspace_dir)
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(lab.exercise.template, target, ignore=shutil.ignore_patterns("__pycache__"))
    edit = target / lab.exercise.edit
    if not edit.exists():  # the learner deleted it: give them a fresh copy of that file only
        shutil.copy2(lab.exercise.template / lab.exercise.edit, edit)
    return edit


def editor_command(path: Path, env: Mapping[str, str] | None = None) -> list[str]:
    """$VISUAL, else $EDITOR (which may carry arguments, e.g. "code -w"), else a usual editor."""
    variables = os.environ if env is None else env
    chosen = variables.get("VISUAL") or variables.get("EDITOR")
    if chosen:
        return [*shlex.split(chosen), str(path)]
    for fallback in ("nano", "vim", "vi"):
        if shutil.which(fallback):
            return [fallback, str(path)]
    raise LabStartError("no editor found: set EDITOR (for example EDITOR=nano)")


def open_in_editor(path: Path) -> int:
    """Run the learner's editor on ``path`` in this terminal and wait for it to close.

    It starts in the workspace folder: an editor's file browser then shows the learner's own
    files, not dltui's lab folder with the reference solution next to the grader.
    """
    command = editor_command(path)
    try:
        return subprocess.run(command, check=False, cwd=path.parent).returncode
    except OSError as err:
        raise LabStartError(f"could not start the editor {command[0]!r}: {err.strerror or err}; check $EDITOR") from None


def start_grader(runner: LabRunner, lab: Lab, workspace_dir: Path, session_id: int | None = None) -> LabRun:
    """Grade the learner's copy as an exercise run of the lab."""
    if lab.exercise is None:
        raise LabStartError(f"lab {lab.id} has no exercise")
    workspace = workspace_for(lab, workspace_dir)
    if not workspace.exists():
        raise LabStartError(f"no exercise copy yet in {workspace}: open the exercise first")
    command = tuple(part.replace("{workspace}", str(workspace)) for part in lab.exercise.grader)
    return runner.start(
        lab,
        {},
        command=command,
        kind=RunKind.EXERCISE,
        session_id=session_id,
        extra_env={"DLTUI_WORKSPACE": str(workspace)},
    )


def credited_topics(lab: Lab, run: LabRun) -> dict[str, list[str]]:
    """The topics a passed grader run is evidence for, each with the checks that showed it.

    Only the checks the grader reports as passed, and only the topics ``[exercise.checks]``
    declares for them; a lab that declares none counts its whole pass for its ``topics``.
    """
    if lab.exercise is None or not lab.exercise.checks:
        return {topic: [] for topic in lab.topics}
    reported = run.final_metrics.get("checks")
    reported = reported if isinstance(reported, dict) else {}
    credited: dict[str, list[str]] = {}
    for check, topics in lab.exercise.checks.items():
        outcome = reported.get(check)
        if isinstance(outcome, dict) and outcome.get("passed") is True:
            for topic in topics:
                credited.setdefault(topic, []).append(check)
    return credited


def record_exercise_result(store: Store, lab: Lab | None, run: LabRun) -> None:
    """A passed grader run is lab evidence (see srs.mastery) for exactly the topics its checks cover.

    It is stored as an assessment row with assessor "lab" so that the notes can show it, but it
    never counts as the topic's assessment and never touches a knowledge gap.
    """
    if lab is None or run.kind is not RunKind.EXERCISE or run.passed is not True:
        return
    with store.session() as session:
        for topic, checks in credited_topics(lab, run).items():
            session.add(
                Assessment(
                    topic_id=topic,
                    level=AssessmentLevel.STRONG,
                    confidence=0.8,
                    evidence=f"passed the {lab.id} exercise grader (run {run.id}" + (f"; checks: {', '.join(checks)})" if checks else ")"),
                    assessor=EXERCISE_ASSESSOR,
                    session_id=run.session_id,
                )
            )


def install_exercise_recording(runner: LabRunner) -> None:
    """Make every grader run that passes, in this runner, record its assessments."""

    def hook(run: LabRun) -> None:
        lab = runner.registry.labs.get(run.lab_id)
        record_exercise_result(runner.store, lab, run)

    runner.on_finish.append(hook)
