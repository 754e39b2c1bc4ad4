"""Every lab program takes exactly the parameters its lab.toml declares, with the same defaults and types.

dltui builds a lab's command line from lab.toml (``--name value`` for each parameter); the program
parses it with argparse. Each lab program is imported in its own process (cwd = its folder, as the
runtime runs it) and asked to parse two command lines: none (the defaults) and one giving every
parameter a value other than its default, written as dltui writes it.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib

import pytest
from lab_runs import LABS, lab_env

PROGRAMS = sorted(
    (folder.name, data["command"][1], data.get("params", {}))
    for folder in LABS.iterdir()
    if (folder / "lab.toml").is_file()
    for data in [tomllib.loads((folder / "lab.toml").read_text(encoding="utf-8"))]
    if "command" in data
)

PARSE = """
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("lab_program", sys.argv[1])
program = importlib.util.module_from_spec(spec)
sys.modules["lab_program"] = program  # as an import would: dataclasses look their module up
spec.loader.exec_module(program)
given = json.loads(sys.argv[2])
print(json.dumps([vars(program.parse_args([])), vars(program.parse_args(given))]))
"""


def other_value(spec: dict):
    """A value of the parameter's type that is not its default."""
    default = spec["default"]
    kind = spec.get("type", "str")
    if kind == "choice":
        return next(c for c in spec["choices"] if c != default)
    if kind == "bool":
        return not default
    if kind == "int":
        return default + 1
    if kind == "float":
        return default * 2 + 0.5
    return default + "x"


def as_text(value) -> str:
    """As dltui writes a value on the command line (app/dltui/labs/params.py)."""
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def typed(value):
    return (type(value).__name__, value)


@pytest.mark.parametrize(("lab", "script", "params"), PROGRAMS, ids=[p[0] for p in PROGRAMS])
def test_the_program_parses_exactly_the_parameters_of_its_lab_toml(lab, script, params, tmp_path):
    wanted = {name: other_value(spec) for name, spec in params.items()}
    argv = [f"--{name}={as_text(value)}" for name, value in wanted.items()]
    done = subprocess.run(
        [sys.executable, "-c", PARSE, str(LABS / lab / script), json.dumps(argv)],
        cwd=LABS / lab,
        env=lab_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    defaults, given = json.loads(done.stdout.splitlines()[-1])
    declared = {name: spec["default"] for name, spec in params.items()}
    # float parameters may be declared with an integer default (`default = 1`)
    declared = {n: float(v) if params[n].get("type") == "float" else v for n, v in declared.items()}
    assert {n: typed(v) for n, v in defaults.items()} == {n: typed(v) for n, v in declared.items()}
    assert {n: typed(v) for n, v in given.items()} == {n: typed(v) for n, v in wanted.items()}
