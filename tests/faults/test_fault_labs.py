"""Hostile and awkward labs as real detached processes (items 1, 2, 3, 9, 10, 11)."""

import dataclasses
import io
import json
import os
import textwrap
import time
from pathlib import Path

import pytest
from dltui.cli import main
from dltui.labs import records
from dltui.labs.attach import attach
from dltui.labs.errors import LabStartError
from dltui.labs.monitor import output_tail
from dltui.labs.params import ParamError
from dltui.labs.registry import load_registry
from dltui.labs.runner import LabRunner
from dltui.store import Store
from dltui.store.models import RunStatus

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = "\x1b]0;TITLE\x07\x1b[2J\x1b[H\x1b]52;c;aGVsbG8=\x07"


def make_lab(labs: Path, lab_id: str, program: str, params: str = "") -> None:
    folder = labs / lab_id
    folder.mkdir(parents=True)
    (folder / "main.py").write_text(textwrap.dedent(program), encoding="utf-8")
    (folder / "lab.toml").write_text(f'id = "{lab_id}"\ncommand = ["{{python}}", "main.py"]\n' + textwrap.dedent(params))


@pytest.fixture
def labs(tmp_path):
    return tmp_path / "labs"


@pytest.fixture
def runner(settings, labs):
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    store = Store(settings.db_path)
    yield LabRunner(dataclasses.replace(settings, labs_dir=labs), store, grace_s=0.5)
    store.close()


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def test_item1_a_lab_printing_escape_sequences_reaches_no_view_raw(runner, labs):
    make_lab(
        labs,
        "hostile",
        f"""
        import json, os, sys
        print({HOSTILE!r} + "visible output ∂", flush=True)
        with open(os.path.join(os.environ["DLTUI_RUN_DIR"], "events.jsonl"), "a") as events:
            for event in [
                {{"v": 1, "type": "log", "level": "warning", "message": {HOSTILE!r} + "log text"}},
                {{"v": 1, "type": "artifact", "name": "note", "text": {HOSTILE!r} + "artifact text"}},
                {{"v": 1, "type": "metrics", "step": 1, "values": {{"train/loss\\u001b[2J": 0.5}}}},
                {{"v": 1, "type": "end", "status": "failed", "summary": {{"test/acc\u001b]0;X\u0007": "\u001b[2Jgood"}}}},
            ]:
                events.write(json.dumps(event) + "\\n")
    """,
    )
    run = runner.start(runner.registry.get("hostile"))
    runner.wait(run, timeout=20)
    assert "\x1b" in (Path(run.run_dir) / "stdout.log").read_text()  # the file keeps what the lab wrote
    monitor = runner.monitor(run)
    shown = [*output_tail(Path(run.run_dir)), *monitor.logs, *monitor.artifacts.values()]
    assert "visible output ∂" in shown[0] and "log text" in monitor.logs[0]
    out = io.StringIO()
    attach(runner, [run], out=out, interval_s=0.05)
    for text in [*shown, out.getvalue()]:
        assert not any(ch in text for ch in "\x1b\x07\x9b\x9d"), repr(text)
    assert "train/loss" in out.getvalue() and "test/acc good" in out.getvalue()
    row = records.get_run(runner.store, run.id)
    assert row.final_metrics["test/acc"] == "good"  # what `dltui lab runs` and compare print later


def test_item2_a_lab_gets_no_api_keys_or_tokens_in_its_environment(runner, labs, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-SECRET-1")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-SECRET-2")
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_SECRET3")
    monkeypatch.setenv("HF_TOKEN", "hf_SECRET4")
    monkeypatch.setenv("DLTUI_TEST_HARMLESS", "kept")
    make_lab(labs, "envdump", "import json, os\nprint(json.dumps(dict(os.environ)))\n")
    run = runner.start(runner.registry.get("envdump"))
    runner.wait(run, timeout=20)
    log = (Path(run.run_dir) / "stdout.log").read_text()
    assert "SECRET" not in log
    env = json.loads(log.strip().splitlines()[-1])
    assert env["DLTUI_TEST_HARMLESS"] == "kept" and env["PATH"] == os.environ["PATH"]
    assert env["DLTUI_RUN_DIR"] == run.run_dir


def test_item9_stop_ends_every_process_of_the_group_even_a_child_that_ignores_sigterm(runner, labs):
    make_lab(
        labs,
        "workers",
        """
        import os, subprocess, sys, time
        child = subprocess.Popen([sys.executable, "-c",
            "import signal, time\\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\\nprint('worker up', flush=True)\\n"
            "while True: time.sleep(0.05)"])
        with open(os.path.join(os.environ["DLTUI_RUN_DIR"], "child.pid"), "w") as f:
            f.write(str(child.pid))
        while True:
            time.sleep(0.05)
    """,
    )
    run = runner.start(runner.registry.get("workers"))
    run_dir = Path(run.run_dir)
    deadline = time.monotonic() + 20
    while "worker up" not in (run_dir / "stdout.log").read_text():
        assert time.monotonic() < deadline
        time.sleep(0.05)
    child = int((run_dir / "child.pid").read_text())
    assert runner.stop(run, grace_s=0.5)
    time.sleep(0.3)
    runner.poll()
    assert run.id in runner.running, "the worker ignores SIGTERM: the run is still stopping"
    done = runner.wait(run, timeout=15)
    assert done.status is RunStatus.CANCELLED
    assert not alive(child), "the worker must not outlive the run"


def test_item3_run_ids_are_exact_or_a_unique_prefix_of_four_or_more(settings, labs, monkeypatch, capsys):
    make_lab(labs, "quick", "import time\ntime.sleep(30)\n")
    monkeypatch.setenv("DLTUI_LABS", str(labs))
    db = str(settings.db_path)
    assert main(["--db", db, "lab", "run", "quick", "-d"]) == 0
    run_id = capsys.readouterr().out.split()[1]
    for text in ["", "q", "qui", "x" * 100_000]:
        assert main(["--db", db, "lab", "stop", text, "--grace", "0"]) == 2
        err = capsys.readouterr().err
        assert err.startswith("dltui lab: ") and len(err) < 300 and "Traceback" not in err and "LIKE" not in err
        assert main(["--db", db, "lab", "attach", text]) == 2
        capsys.readouterr()
    assert "at least 4" in (main(["--db", db, "lab", "stop", "q"]), capsys.readouterr().err)[1]
    assert main(["--db", db, "lab", "stop", run_id[:6], "--grace", "0"]) == 0
    assert "cancelled" in capsys.readouterr().out


def test_item10_negative_and_non_finite_values_reach_the_lab_as_values_or_are_refused(runner, labs, settings, monkeypatch, capsys):
    make_lab(
        labs,
        "argv",
        """
        import argparse
        parser = argparse.ArgumentParser()
        parser.add_argument("--lr", type=float)
        parser.add_argument("--name")
        args = parser.parse_args()
        print("got", args.lr, args.name, flush=True)
    """,
        '[params.lr]\ntype = "float"\ndefault = 0.1\n[params.name]\ntype = "str"\ndefault = "a"\n',
    )
    run = runner.start(runner.registry.get("argv"), {"lr": "-1e308", "name": "-x"})
    runner.wait(run, timeout=20)
    assert "got -1e+308 -x" in (Path(run.run_dir) / "stdout.log").read_text()
    lr = runner.registry.get("argv").params["lr"]
    for text in ["nan", "inf", "-inf", "1e999"]:
        with pytest.raises(ParamError, match="finite"):
            lr.parse(text)
    monkeypatch.setenv("DLTUI_LABS", str(labs))
    assert main(["--db", str(settings.db_path), "lab", "run", "argv", "--sweep", "lr=nan,inf,-inf", "-d"]) == 2
    assert "finite" in capsys.readouterr().err


def test_item11_torch_cnn_procs_is_capped_at_the_devices_present(settings, tmp_path, monkeypatch):
    registry = load_registry(ROOT / "labs", settings.data_dir)
    lab = dataclasses.replace(registry.get("torch-cnn"), missing=())  # the cap is checked with or without torch
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    store = Store(settings.db_path)
    runner = LabRunner(dataclasses.replace(settings, labs_dir=ROOT / "labs"), store, registry=registry)
    cores = os.cpu_count()
    with pytest.raises(LabStartError, match=rf"procs=10000 is more than the {cores} CPU core\(s\) here: use procs={cores}"):
        runner.start(lab, {"procs": "10000"}, device="cpu")
    # One GPU (an nvidia-smi that reports one): two processes would share it.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "nvidia-smi").write_text('#!/bin/sh\necho "Fake GPU, 0, 100, 81920"\n')
    (bin_dir / "nvidia-smi").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    with pytest.raises(LabStartError, match=r"procs=2 is more than the 1 GPU\(s\) here: use procs=1 or fewer"):
        runner.start(lab, {"procs": "2"})
    assert not settings.runs_dir.exists() or not any(settings.runs_dir.iterdir()), "nothing was started"
    store.close()
