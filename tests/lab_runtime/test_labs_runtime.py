"""The lab runtime's file side: lab.toml checking, parameters, the events reader, series, GPU query."""

import json
import math
import os
import stat
import textwrap
from pathlib import Path

import pytest
from dltui.labs.event_tail import EventTail, read_all
from dltui.labs.gpu import gpu_line, parse_query, query_gpus
from dltui.labs.monitor import RunMonitor, output_tail
from dltui.labs.params import LabParam, ParamError, ParamType, command_line
from dltui.labs.registry import (
    LabFileError,
    load_registry,
    register_lab_folder,
    registered_folders,
    unregister_lab,
)
from dltui.labs.series import MetricSeries, downsample, plot_points, smooth
from dltui.text_charts import sparkline


def write_lab(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "lab.toml").write_text(textwrap.dedent(text), encoding="utf-8")
    return folder


# -- registry ---------------------------------------------------------------------------------------


def test_fixture_labs_load_with_params_target_sweep_and_exercise(tmp_path, fixture_labs):
    registry = load_registry(fixture_labs, tmp_path)
    assert not registry.problems, registry.problems
    steady = registry.get("steady")
    assert steady.params["steps"].type is ParamType.INT and steady.params["steps"].default == 20
    assert steady.target.metric == "val/acc" and steady.target.met_by({"val/acc": 0.7})
    assert steady.target.met_by({"val/acc": 0.2}) is False and steady.target.met_by({}) is None
    sweep = registry.get("lr-sweep")
    # the swept parameter is gone; the sweep's own default overrides the base lab's
    assert sweep.sweep.values == (0.05, 0.5) and "lr" not in sweep.params
    assert sweep.params["steps"].default == 8 and "delay" in sweep.params
    assert sweep.target == steady.target
    adder = registry.get("adder")
    assert adder.exercise.edit == "answer.py" and adder.exercise.template.name == "exercise"
    with pytest.raises(KeyError, match="no lab called 'nope'"):
        registry.get("nope")


@pytest.mark.parametrize(
    "body, field, words",
    [
        ('title = "x"\ncommand = ["python"]', "id", "missing"),
        ('id = "broken"\ncommand = "python x.py"', "command", "must be a list"),
        ('id = "broken"', "command", "needs a command"),
        ('id = "broken"\ncommand = ["p"]\nwants_gpu = "yes"', "wants_gpu", "must be a bool"),
        ('id = "broken"\ncommand = ["p"]\n[params.lr]\ntype = "number"\ndefault = 1', "params.lr", "type 'number'"),
        ('id = "broken"\ncommand = ["p"]\n[params.n]\ntype = "int"\ndefault = "ten"', "params.n", "not an int"),
        ('id = "broken"\ncommand = ["p"]\n[params.n]\ntype = "int"', "params.n", "needs a default"),
        ('id = "broken"\ncommand = ["p"]\ntarget = { min = 0.9 }', "target.metric", "missing"),
        ('id = "broken"\nsweep = { lab = "steady", values = [1] }', "sweep.param", "missing"),
        ('id = "broken"\ncommand = ["p"\n', "", "not valid TOML"),
        ('id = "other-name"\ncommand = ["p"]', "id", "must equal the folder name"),
    ],
)
def test_a_broken_lab_file_is_a_problem_naming_file_and_field(tmp_path, body, field, words):
    labs = tmp_path / "labs"
    write_lab(labs / "broken", body)
    write_lab(labs / "fine", 'id = "fine"\ncommand = ["{python}", "x.py"]')
    registry = load_registry(labs, tmp_path / "data")
    assert list(registry.labs) == ["fine"], "a broken lab must not hide the others"
    [problem] = registry.problems
    message = str(problem)
    assert str(labs / "broken" / "lab.toml") in message
    assert words in message
    if field:
        assert f": {field}:" in message


def test_a_sweep_of_a_missing_lab_or_param_is_reported(tmp_path):
    labs = tmp_path / "labs"
    write_lab(labs / "base", 'id = "base"\ncommand = ["p"]\n[params.lr]\ntype = "float"\ndefault = 0.1')
    write_lab(labs / "s1", 'id = "s1"\nsweep = { lab = "ghost", param = "lr", values = [1.0] }')
    write_lab(labs / "s2", 'id = "s2"\nsweep = { lab = "base", param = "momentum", values = [1.0] }')
    write_lab(labs / "s3", 'id = "s3"\nsweep = { lab = "base", param = "lr", values = ["fast"] }')
    registry = load_registry(labs, tmp_path / "data")
    assert sorted(registry.labs) == ["base"]
    text = "\n".join(map(str, registry.problems))
    assert "s1/lab.toml: sweep.lab: 'ghost'" in text
    assert "s2/lab.toml: sweep.param: lab base has no parameter 'momentum'" in text
    assert "s3/lab.toml: sweep.values: lr: 'fast' is not a float" in text


def test_registering_a_learner_folder_adds_it_and_unregister_forgets_it(tmp_path, fixture_labs):
    data = tmp_path / "data"
    mine = write_lab(tmp_path / "my-training", 'id = "mine"\ntitle = "My script"\ncommand = ["{python}", "train.py"]')
    lab = register_lab_folder(fixture_labs, data, mine)
    assert lab.id == "mine" and not lab.bundled
    assert registered_folders(data) == [mine.resolve()]
    registry = load_registry(fixture_labs, data)
    assert registry.get("mine").folder == mine.resolve() and "steady" in registry.labs
    register_lab_folder(fixture_labs, data, mine)  # twice is once
    assert registered_folders(data) == [mine.resolve()]
    # an id already used by a bundled lab is refused with the reason
    clash = write_lab(tmp_path / "clash", 'id = "steady"\ncommand = ["p"]')
    with pytest.raises(LabFileError, match="already taken"):
        register_lab_folder(fixture_labs, data, clash)
    with pytest.raises(LabFileError, match="no lab.toml"):
        register_lab_folder(fixture_labs, data, tmp_path)
    assert unregister_lab(fixture_labs, data, "mine") == mine.resolve()
    assert registered_folders(data) == []
    with pytest.raises(ValueError, match="not a registered lab"):
        unregister_lab(fixture_labs, data, "mine")


def test_a_registered_folder_that_vanished_is_a_problem_not_a_crash(tmp_path, fixture_labs):
    data = tmp_path / "data"
    mine = write_lab(tmp_path / "gone", 'id = "gone"\ncommand = ["p"]')
    register_lab_folder(fixture_labs, data, mine)
    (mine / "lab.toml").unlink()
    registry = load_registry(fixture_labs, data)
    assert "gone" not in registry.labs and "steady" in registry.labs
    assert any("gone/lab.toml" in str(p) for p in registry.problems)


# -- parameters -------------------------------------------------------------------------------------


def test_parameters_parse_what_was_typed_and_say_what_is_wrong():
    lr = LabParam("lr", ParamType.FLOAT, 0.1)
    assert lr.parse(" 1e-3 ") == 0.001
    with pytest.raises(ParamError, match="lr: 'fast' is not a float"):
        lr.parse("fast")
    flag = LabParam("amp", ParamType.BOOL, False)
    assert flag.parse("yes") is True and flag.parse("OFF") is False
    with pytest.raises(ParamError, match="not true or false"):
        flag.parse("maybe")
    pick = LabParam("opt", ParamType.CHOICE, "sgd", choices=("sgd", "adam"))
    assert pick.parse("adam") == "adam"
    with pytest.raises(ParamError, match="one of sgd, adam"):
        pick.parse("rmsprop")
    epochs = LabParam("epochs", ParamType.INT, 3)
    with pytest.raises(ParamError):
        epochs.check(2.5)
    params = {p.name: p for p in (lr, flag, epochs)}
    assert command_line(params, {"lr": 0.5, "amp": True, "epochs": 2}) == ["--lr", "0.5", "--amp", "true", "--epochs", "2"]


def test_resolve_params_rejects_unknown_names(fixture_labs):
    registry = load_registry(fixture_labs, Path("/nonexistent"))
    steady = registry.get("steady")
    assert steady.resolve_params({"steps": "3"})["steps"] == 3
    with pytest.raises(ParamError, match="no parameter 'epochz'"):
        steady.resolve_params({"epochz": "3"})


# -- the events reader ------------------------------------------------------------------------------


def event_line(kind: str, **fields) -> str:
    return json.dumps({"v": 1, "type": kind, **fields}) + "\n"


def test_tail_reads_incrementally_and_waits_for_a_line_to_finish(tmp_path):
    path = tmp_path / "events.jsonl"
    tail = EventTail(path)
    assert tail.read() == []  # no file yet
    line = event_line("metrics", step=1, values={"train/loss": 1.0})
    path.write_text(line[:20])
    assert tail.read() == []
    with open(path, "a") as out:
        out.write(line[20:] + event_line("progress", done=1, total=4))
    events = tail.read()
    assert [e["type"] for e in events] == ["metrics", "progress"]
    assert tail.read() == [] and tail.offset == path.stat().st_size
    with open(path, "a") as out:
        out.write(event_line("end", status="ok"))
    assert [e["type"] for e in tail.read()] == ["end"]


def test_garbage_enormous_and_unknown_lines_are_counted_and_skipped(tmp_path):
    path = tmp_path / "events.jsonl"
    good = [event_line("metrics", step=i, values={"train/loss": 1.0 / i}) for i in range(1, 4)]
    path.write_text(
        good[0]
        + "not json at all\n"
        + "[1, 2]\n"
        + '{"type": 5}\n'
        + "\n"
        + "y" * 5000
        + "\n"
        + good[1]
        + event_line("histogram", bins=[1, 2])
        + "\xff\xfe\n"
        + good[2]
    )
    tail = EventTail(path, max_line_bytes=1000)
    # small reads split lines and the long line across calls
    events = []
    while True:
        batch = tail.read(max_bytes=64)
        events += batch
        if not tail.pending:
            break
    assert [e.get("step") for e in events if e["type"] == "metrics"] == [1, 2, 3]
    assert any(e["type"] == "histogram" and e["bins"] == [1, 2] for e in events)
    assert (tail.malformed, tail.oversized, tail.unknown) == (4, 1, 1)
    assert tail.events == 4


def test_a_last_line_without_newline_is_taken_once_the_writer_is_gone(tmp_path):
    path = tmp_path / "events.jsonl"
    path.write_text(event_line("start", lab="x") + event_line("end", status="ok").rstrip("\n"))
    tail = EventTail(path)
    assert [e["type"] for e in tail.read()] == ["start"]
    assert [e["type"] for e in tail.read(final=True)] == ["end"]
    events, counted = read_all(path)
    assert [e["type"] for e in events] == ["start", "end"] and counted.skipped == 0


def test_monitor_folds_events_into_curves_progress_and_final_metrics(tmp_path):
    lines = [
        event_line("start", lab="x", device="cpu"),
        event_line("metrics", step=10, epoch=0.5, values={"train/loss": 2.0, "lr": 0.1, "note": "warmup"}),
        event_line("progress", done=10, total=40, t=100.0),
        event_line("metrics", step=20, epoch=1.0, values={"train/loss": "nan", "val/acc": 0.8}),
        event_line("progress", done=20, total=40, t=110.0),
        event_line("checkpoint", path="checkpoints/a.pt", step=20),
        event_line("artifact", name="confusion", text="1 0\n0 1"),
        event_line("mystery", payload=1),
        event_line("end", status="ok", summary={"test/acc": 0.9}),
    ]
    (tmp_path / "events.jsonl").write_text("".join(lines))
    monitor = RunMonitor(tmp_path)
    assert monitor.poll() and not monitor.poll()
    assert list(monitor.series["train/loss"].steps) == [10, 20]
    assert math.isnan(monitor.series["train/loss"].values[1])
    assert "note" not in monitor.series and monitor.latest["note"] == "warmup"
    assert monitor.progress.fraction == 0.5 and monitor.progress.eta_seconds() == pytest.approx(20.0)
    assert monitor.status == "ok" and monitor.final_metrics()["test/acc"] == 0.9
    assert monitor.final_metrics()["val/acc"] == 0.8
    assert monitor.artifacts["confusion"] == "1 0\n0 1" and len(monitor.checkpoints) == 1
    assert [e["type"] for e in monitor.others] == ["mystery"] and "1 of unknown type" in monitor.counts()


def test_output_tail_reads_only_the_end_of_a_long_log(tmp_path):
    (tmp_path / "stdout.log").write_text("".join(f"line {i}\n" for i in range(20000)))
    assert output_tail(tmp_path, 3) == ["line 19997", "line 19998", "line 19999"]
    assert output_tail(tmp_path / "missing") == []


# -- series -----------------------------------------------------------------------------------------


def test_incremental_smoothing_matches_the_whole_series_computation():
    values = [math.sin(i / 5) + (i % 7) * 0.1 for i in range(300)]
    series = MetricSeries("train/loss")
    for i, v in enumerate(values[:100]):
        series.add(i, None, v)
    series.smoothed(0.9)
    for i, v in enumerate(values[100:], start=100):
        series.add(i, None, v)
    assert series.smoothed(0.9) == pytest.approx(smooth(values, 0.9))
    assert list(series.smoothed(0.0)) == values
    assert smooth([5.0, 5.0, 5.0], 0.9) == pytest.approx([5.0, 5.0, 5.0])  # bias-corrected


def test_downsampling_keeps_the_ends_and_at_most_width_points():
    xs = list(range(10_000))
    ys = [float(x) for x in xs]
    dx, dy = downsample(xs, ys, 50)
    assert len(dx) <= 50 and dx[0] == 0 and dx[-1] == 9999 and dy[-1] == 9999.0
    assert all(a < b for a, b in zip(dx, dx[1:]))
    assert downsample([1, 2], [3, 4], 50) == ([1, 2], [3, 4])
    series = MetricSeries("train/loss")
    for step, value in enumerate([1.0, -1.0, float("nan"), 0.5]):
        series.add(step, step / 2 if step else None, value)
    assert plot_points(series, "step", 0.0, 10, log_scale=True) == ([0, 3], [1.0, 0.5])
    assert plot_points(series, "epoch", 0.0, 10)[0] == [0.5, 1.5]
    line = sparkline([3.0, 2.0, 1.0, 0.0])
    assert line[0] == "█" and line[-1] == "▁"


# -- GPU --------------------------------------------------------------------------------------------


def test_nvidia_smi_rows_are_parsed_and_not_supported_cells_tolerated():
    gpus = parse_query("NVIDIA H200, 31, 10240, 143771\nTesla T4, [N/A], 0, 15360\n\n")
    assert [g.name for g in gpus] == ["NVIDIA H200", "Tesla T4"]
    assert gpus[0].describe() == "NVIDIA H200 31% 10.0/140.4 GiB"
    assert gpus[1].utilisation_pct is None
    assert gpu_line(gpus) == "GPU NVIDIA H200 31% 10.0/140.4 GiB (+1 more)"
    assert gpu_line(None) is None and gpu_line([]) is None


def fake_nvidia_smi(folder: Path, body: str) -> None:
    folder.mkdir(exist_ok=True)
    script = folder / "nvidia-smi"
    script.write_text("#!/bin/sh\n" + body + "\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)


def test_query_gpus_runs_nvidia_smi_and_treats_failure_as_no_gpu(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    assert query_gpus() is None  # not installed
    fake_nvidia_smi(tmp_path / "bin", 'echo "Fake GPU, 7, 100, 2048"')
    [gpu] = query_gpus()
    assert gpu.name == "Fake GPU" and gpu.utilisation_pct == 7 and gpu.memory_total_mib == 2048
    fake_nvidia_smi(tmp_path / "bin", "echo 'NVIDIA-SMI has failed' >&2; exit 9")
    assert query_gpus() is None


@pytest.mark.skipif(not os.path.exists("/dev/nvidiactl"), reason="needs a machine with an NVIDIA GPU")
def test_query_gpus_on_a_real_gpu():
    gpus = query_gpus()
    assert gpus and gpus[0].memory_total_mib and gpus[0].memory_total_mib > 0
