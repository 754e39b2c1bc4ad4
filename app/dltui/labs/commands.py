"""`dltui lab list|run|runs|attach|stop|register|unregister`: the labs without the full screen."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dltui.labs.runner import LabRunner

REGISTER_HELP = """\
Any program can be a lab: dltui runs it with DLTUI_RUN_DIR set and plots the JSON lines it
writes to $DLTUI_RUN_DIR/events.jsonl (labkit.events.Reporter writes them for you). Put a lab.toml
next to it, for example:

    id = "my-mnist"
    title = "My own MNIST script"
    command = ["{python}", "train.py"]     # run in this folder; {python} is dltui's Python
    target = { metric = "test/acc", min = 0.98 }
    requires = ["torch"]                   # modules it imports; marked when this install lacks them
    [params.lr]
    type = "float"                         # int | float | str | bool | choice
    default = 0.01
    help = "Learning rate (passed as --lr 0.01)"
"""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("lab", help="list, run, follow and stop labs")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    listing = actions.add_parser("list", help="the labs you can run (bundled and registered)")
    listing.set_defaults(handler=list_command)

    run = actions.add_parser("run", help="start a lab (follows it; Ctrl-C detaches, the run goes on)")
    run.add_argument("lab", metavar="ID", help="lab id (see `dltui lab list`)")
    run.add_argument("-p", "--param", action="append", default=[], metavar="KEY=VALUE", help="set a parameter (repeatable)")
    run.add_argument("--sweep", metavar="PARAM=V1,V2,...", help="one run per value, grouped and overlaid")
    run.add_argument("--cpu", action="store_true", help="run on the CPU even when a GPU is present")
    run.add_argument("-d", "--detach", action="store_true", help="start and return at once")
    run.set_defaults(handler=run_command)

    runs = actions.add_parser("runs", help="recent runs with status and final metrics")
    runs.add_argument("-n", "--limit", type=int, default=20, help="how many (default 20)")
    runs.set_defaults(handler=runs_command)

    attach = actions.add_parser("attach", help="follow a run: progress, ETA, metrics, curve (Ctrl-C detaches)")
    attach.add_argument("run", metavar="RUN", help="run id, a unique prefix of it, or a lab id (its latest run)")
    attach.set_defaults(handler=attach_command)

    stop = actions.add_parser("stop", help="stop a run: SIGTERM (it saves a checkpoint), SIGKILL after a grace period")
    stop.add_argument("run", metavar="RUN", help="run id, a unique prefix of it, or a lab id (its latest run)")
    stop.add_argument("--grace", type=float, default=10.0, metavar="SECONDS", help="wait before SIGKILL (default 10)")
    stop.set_defaults(handler=stop_command)

    reg = actions.add_parser(
        "register",
        help="add your own lab folder (it needs a lab.toml)",
        description=REGISTER_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    reg.add_argument("path", metavar="PATH", help="folder holding lab.toml and your program")
    reg.set_defaults(handler=register_command)

    compare = actions.add_parser("compare", help="parameters that differ and final metrics, run by run")
    compare.add_argument("runs", nargs="+", metavar="RUN", help="two or more runs (ids, prefixes or lab ids)")
    compare.set_defaults(handler=compare_command)

    mlflow = actions.add_parser("mlflow", help="log finished runs to the local MLflow store (needs dltui[mlflow])")
    mlflow.add_argument("runs", nargs="*", metavar="RUN", help="runs to log (default: every finished run not logged yet)")
    mlflow.set_defaults(handler=mlflow_command)

    unreg = actions.add_parser("unregister", help="forget a registered lab folder (files are kept)")
    unreg.add_argument("what", metavar="ID|PATH")
    unreg.set_defaults(handler=unregister_command)


def _fail(message: str) -> int:
    print(f"dltui lab: {message}", file=sys.stderr)
    return 2


def _open(args: argparse.Namespace) -> LabRunner:
    """Settings, database and runner, with runs left by an earlier dltui brought up to date."""
    from dltui.labs.open import open_runner
    from dltui.settings import load_settings
    from dltui.store import Store

    settings = load_settings(args.db)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    runner = open_runner(settings, Store(settings.db_path))
    runner.reconcile()
    return runner


def _user_errors() -> tuple[type[Exception], ...]:
    from dltui.labs.errors import LabStartError
    from dltui.labs.params import ParamError
    from dltui.labs.registry import LabFileError

    return (LabFileError, ParamError, LabStartError, LookupError, ValueError)


def _message(err: Exception) -> str:
    return str(err.args[0]) if isinstance(err, KeyError) and err.args else str(err)


def list_command(args: argparse.Namespace) -> int:
    runner = _open(args)
    registry = runner.registry
    for lab in registry.labs.values():
        kind = f"sweep of {lab.sweep.lab} over {lab.sweep.param}" if lab.sweep else ("gpu" if lab.wants_gpu else "cpu")
        origin = "" if lab.bundled else f"  [{lab.folder}]"
        print(f"{lab.id:<18} {lab.title}  ({kind}){origin}")
        if lab.params:
            print(" " * 19 + "  ".join(f"{p.name}={p.as_text(p.default)}" for p in lab.params.values()))
        if lab.unavailable:
            print(" " * 19 + lab.unavailable)
    for problem in registry.problems:
        print(f"problem: {problem}")
    if not registry.labs:
        print(f"no labs found in {runner.settings.labs_dir}")
    runner.store.close()
    return 1 if registry.problems else 0


def _parse_pairs(pairs: list[str]) -> dict[str, str]:
    values = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"-p {pair!r}: write parameters as KEY=VALUE, e.g. -p lr=0.1")
        values[key.strip()] = value
    return values


def run_command(args: argparse.Namespace) -> int:
    from dltui.labs.attach import attach
    from dltui.labs.gpu import query_gpus

    runner = _open(args)
    try:
        lab = runner.registry.get(args.lab)
        params = _parse_pairs(args.param)
        device = "cpu" if args.cpu else None
        if lab.unavailable:  # before any talk of GPUs: it cannot run at all here
            return _fail(lab.unavailable)
        if lab.wants_gpu and not args.cpu and query_gpus() is None:
            print(f"{lab.id} wants a GPU and none was found (no working nvidia-smi): running it on the CPU, slower.")
            device = "cpu"
        if args.sweep:
            name, sep, listed = args.sweep.partition("=")
            base = runner.registry.get(lab.sweep.lab) if lab.sweep else lab
            swept = base.params.get(name.strip())
            if not sep or swept is None:
                raise ValueError(f"--sweep {args.sweep!r}: write PARAM=V1,V2 with one of {', '.join(base.params) or 'no parameters'}")
            values = [swept.parse(v) for v in listed.split(",") if v.strip()]
            runs = runner.sweep(base, swept.name, values, params, device=device)
        else:
            runs = runner.launch(lab, params, device=device)
    except KeyError as err:
        return _fail(_message(err))
    except _user_errors() as err:
        return _fail(_message(err))
    for run in runs:
        print(f"started {run.id}  ({' '.join(f'{k}={v}' for k, v in run.params.items())})")
    if args.detach:
        print(f"follow with: dltui lab attach {runs[0].id}" if len(runs) == 1 else "follow with: dltui lab runs")
        return 0
    return attach(runner, runs)


def runs_command(args: argparse.Namespace) -> int:
    from dltui.labs import records
    from dltui.labs.attach import readable_metrics
    from dltui.labs.monitor import headline_metrics
    from dltui.text_charts import format_duration

    runner = _open(args)
    rows = records.recent_runs(runner.store, args.limit)
    if not rows:
        print("no runs yet: start one with `dltui lab run ID`")
    for run in rows:
        end = run.ended_at
        took = format_duration((end - run.started_at).total_seconds()) if end else "running"
        verdict = {True: "passed", False: "not passed", None: ""}[run.passed]
        metrics = "  ".join(f"{k} {v}" for k, v in headline_metrics(readable_metrics(run.final_metrics), 3))
        when = run.started_at.astimezone().strftime("%Y-%m-%d %H:%M")
        print(f"{run.id:<42} {run.status.value:<9} {when}  {took:>8}  {verdict:<10} {metrics}".rstrip())
    return 0


def attach_command(args: argparse.Namespace) -> int:
    from dltui.labs import records
    from dltui.labs.attach import attach

    runner = _open(args)
    try:
        run = records.find_run(runner.store, args.run)
    except LookupError as err:
        return _fail(str(err))
    return attach(runner, [run])


def stop_command(args: argparse.Namespace) -> int:
    from dltui.labs import records
    from dltui.labs.attach import final_text

    runner = _open(args)
    try:
        run = records.find_run(runner.store, args.run)
    except LookupError as err:
        return _fail(str(err))
    if not runner.stop(run, grace_s=args.grace):
        print(f"{run.id} is not running ({run.status.value})")
        return 0
    print(f"stopping {run.id} (it saves a checkpoint; killed after {args.grace:g} s if it does not stop)")
    # The escalation to SIGKILL happens inside poll(), so wait a little past the grace period.
    runner.wait(run, timeout=args.grace + 5.0)
    for line in final_text(runner, run):
        print(line)
    return 0


def register_command(args: argparse.Namespace) -> int:
    from pathlib import Path

    from dltui.labs.registry import register_lab_folder
    from dltui.settings import load_settings

    settings = load_settings(args.db)
    try:
        lab = register_lab_folder(settings.labs_dir, settings.data_dir, Path(args.path))
    except _user_errors() as err:
        return _fail(_message(err))
    print(f"registered {lab.id} ({lab.folder}); run it with `dltui lab run {lab.id}`")
    return 0


def unregister_command(args: argparse.Namespace) -> int:
    from dltui.labs.registry import unregister_lab
    from dltui.settings import load_settings

    settings = load_settings(args.db)
    try:
        folder = unregister_lab(settings.labs_dir, settings.data_dir, args.what)
    except _user_errors() as err:
        return _fail(_message(err))
    print(f"forgot {folder} (its files are untouched)")
    return 0


def compare_command(args: argparse.Namespace) -> int:
    from dltui.labs.compare import compare_runs, comparison_table
    from dltui.labs.records import find_run

    if len(args.runs) < 2:
        return _fail("compare needs at least two runs")
    runner = _open(args)
    try:
        runs = [find_run(runner.store, text) for text in args.runs]
    except LookupError as err:
        return _fail(_message(err))
    print(comparison_table(compare_runs(runs)))
    print("Overlay their curves in the Labs area: select a run and press space.")
    return 0


def mlflow_command(args: argparse.Namespace) -> int:

    from dltui.labs.mlflow_export import MARKER, export_run, mlflow_installed, store_paths
    from dltui.labs.records import find_run, recent_runs
    from dltui.labs.run_folder import RunFolder
    from dltui.store.models import RunStatus

    if not mlflow_installed():
        return _fail("MLflow is not installed: pip install -c constraints.txt -e '.[mlflow]'")
    runner = _open(args)
    try:
        runs = [find_run(runner.store, text) for text in args.runs] if args.runs else recent_runs(runner.store, limit=10_000)
    except LookupError as err:
        return _fail(_message(err))
    uri, artifacts = store_paths(runner.settings.data_dir)
    for run in runs:
        folder = RunFolder.of(run).path
        if run.status is RunStatus.RUNNING or (not args.runs and (folder / MARKER).exists()):
            continue
        print(f"{run.id}: MLflow run {export_run(folder, uri, artifacts)}")
    print(f"Store: {uri}  (browse: mlflow ui --backend-store-uri {uri})")
    return 0
