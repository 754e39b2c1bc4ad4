"""`dltui lab attach` and `dltui lab runs` as a learner reads them: on an 80-column terminal
nothing is cut in the middle, and a grader's checks read as a count, not a raw dict."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

from dltui.labs.attach import attach, fit_parts, readable_metrics
from dltui.labs.exercise import prepare_workspace, start_grader
from dltui.labs.open import open_runner
from dltui.store.models import RunStatus
from dltui.text_charts import format_value

ROOT = Path(__file__).resolve().parents[2]


class Terminal(io.StringIO):
    """What `attach` writes to a terminal (it redraws in place only on a tty)."""

    def isatty(self) -> bool:
        return True


def frames(written: str) -> list[list[str]]:
    """The blocks of lines attach drew, each redraw (cursor up N lines) starting a new one."""
    blocks = re.split(r"\x1b\[\d+F", written)
    return [[line.replace("\x1b[2K", "") for line in block.splitlines()] for block in blocks if block.strip()]


def test_attach_on_an_80_column_terminal_never_cuts_a_metric(context, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setenv("LINES", "24")
    runner = open_runner(context.settings, context.store)
    [run] = runner.launch(runner.registry.get("numpy-xor"), {"epochs": 3000})
    out = Terminal()
    assert attach(runner, [run], out=out, interval_s=0.05) == 0
    drawn = frames(out.getvalue())
    *earlier, last = drawn
    # The last block is the final frame, then the summary printed once under it (not redrawn).
    summary = max(i for i, line in enumerate(last) if line.startswith(f"{run.id}: ") and "[#" not in line)
    final_frame = last[:summary]
    for block in [*earlier, final_frame]:
        assert all(len(line) <= 79 for line in block), block
    shown = " ".join(final_frame)
    latest = runner.monitor(run).latest
    assert f"train/loss {format_value(latest['train/loss'])}" in shown, final_frame
    assert f"train/acc {format_value(latest['train/acc'])}" in shown, final_frame


def test_fit_parts_starts_a_new_line_rather_than_cutting_a_part():
    parts = ["run-1:", "running", "[####....] 40%", "ETA 3s", "train/loss 0.01234", "val/loss 0.0456"]
    lines = fit_parts(parts, 40)
    assert all(len(line) <= 40 for line in lines)
    assert " ".join(" ".join(lines).split()) == " ".join(" ".join(parts).split())


def test_lab_runs_prints_a_graders_checks_as_a_count(context):
    runner = open_runner(context.settings, context.store)
    lab = runner.registry.get("numpy-mlp")
    prepare_workspace(lab, context.settings.workspace_dir)  # the untouched template: 1 of 8 pass
    run = runner.wait(start_grader(runner, lab, context.settings.workspace_dir), timeout=120)
    assert run.status is RunStatus.OK and run.passed is False
    context.store.close()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DLTUI_")}
    shown = subprocess.run(
        [sys.executable, "-m", "dltui", "--db", str(context.settings.db_path), "lab", "runs"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env=env,
    )
    assert shown.returncode == 0, shown.stderr
    [line] = [line for line in shown.stdout.splitlines() if run.id in line]
    assert "not passed" in line and "checks 1/8 pass" in line, line
    assert "{" not in line and len(line) < 160, line


def test_readable_metrics_counts_nested_values_and_leaves_numbers_alone():
    final = {
        "passed": False,
        "checks": {"a": {"passed": True}, "b": {"passed": False}},
        "test/acc": 0.98,
        "per_class": {"0": 0.99, "1": 0.97},
        "history": [1, 2, 3],
    }
    assert readable_metrics(final) == {"checks": "1/2 pass", "test/acc": 0.98, "per_class": "(2 values)", "history": "(3 items)"}
