"""Which labs exist: the bundled ones under ``labs/`` and the folders a learner registered.

Each lab is a folder with a ``lab.toml`` (format in docs / DESIGN.md): id, title, topics, the
command that starts it, its parameters and whether it wants a GPU. A lab may instead be a sweep
of another lab (one run per value of one parameter). A broken ``lab.toml`` never hides the other
labs: it becomes a `LabProblem` naming the file and the field.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from dltui.install import install_hint, missing_modules
from dltui.labs.params import LabParam, ParamError, parse_param_table

LAB_FILE = "lab.toml"
REGISTERED_FILE = "labs.toml"  # in the data folder: the learner's own lab folders


class LabFileError(ValueError):
    """A lab.toml that cannot be used; the message names the file and the field."""

    def __init__(self, path: Path, field_name: str, message: str):
        self.path, self.field_name = path, field_name
        where = f"{path}: {field_name}: " if field_name else f"{path}: "
        super().__init__(where + message)


@dataclass(frozen=True)
class Target:
    """What "passed" means for a run: a final metric at least ``min`` (or at most ``max``)."""

    metric: str
    min: float | None = None
    max: float | None = None

    def met_by(self, metrics: dict[str, Any]) -> bool | None:
        """True/False when the metric is there, None when the run never reported it."""
        try:
            value = float(metrics[self.metric])
        except (KeyError, TypeError, ValueError):
            return None
        if value != value:  # NaN never passes
            return False
        return (self.min is None or value >= self.min) and (self.max is None or value <= self.max)

    def describe(self) -> str:
        bounds = [f">= {self.min:g}" if self.min is not None else "", f"<= {self.max:g}" if self.max is not None else ""]
        return f"{self.metric} " + " and ".join(b for b in bounds if b)


@dataclass(frozen=True)
class Sweep:
    """Launch ``lab`` once per value of ``param``; the runs are grouped and overlaid."""

    lab: str
    param: str
    values: tuple[Any, ...]


@dataclass(frozen=True)
class Exercise:
    """A fill-in-the-blanks version of a lab: a template copied to the workspace and a grader."""

    template: Path  # folder copied to <data>/workspace/<lab-id>/
    edit: str  # the file the learner opens, relative to the template
    grader: tuple[str, ...]  # command; {python}, {workspace} and {lab_dir} are filled in
    # [exercise.checks]: grader check name -> the topic ids a pass of that check is evidence for
    # (what it counts for: see srs.mastery). Empty: the whole pass counts for the lab's topics.
    checks: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Lab:
    id: str
    title: str
    folder: Path
    description: str = ""
    topics: tuple[str, ...] = ()
    command: tuple[str, ...] = ()
    wants_gpu: bool = False
    target: Target | None = None
    params: dict[str, LabParam] = field(default_factory=dict)
    sweep: Sweep | None = None
    exercise: Exercise | None = None
    bundled: bool = True
    requires: tuple[str, ...] = ()  # Python modules the lab's program imports (e.g. torch)
    missing: tuple[str, ...] = ()  # those this install lacks (looked up without importing them)

    @property
    def unavailable(self) -> str | None:
        """Why this lab cannot run on this install and how to fix that, or None when it can."""
        if not self.missing:
            return None
        return f"{self.id} needs {', '.join(self.missing)}, which this install lacks: {install_hint(self.missing)}"

    def defaults(self) -> dict[str, Any]:
        return {name: p.default for name, p in self.params.items()}

    def resolve_params(self, given: dict[str, Any]) -> dict[str, Any]:
        """Defaults overlaid with ``given`` (strings are parsed); unknown names are an error."""
        values = self.defaults()
        for name, raw in given.items():
            param = self.params.get(name)
            if param is None:
                known = ", ".join(self.params) or "none"
                raise ParamError(f"lab {self.id} has no parameter {name!r} (parameters: {known})")
            values[name] = param.parse(raw) if isinstance(raw, str) else param.check(raw)
        return values


@dataclass(frozen=True)
class LabProblem:
    path: Path
    message: str

    def __str__(self) -> str:
        return self.message


@dataclass
class LabRegistry:
    labs: dict[str, Lab] = field(default_factory=dict)
    problems: list[LabProblem] = field(default_factory=list)

    def get(self, lab_id: str) -> Lab:
        try:
            return self.labs[lab_id]
        except KeyError:
            known = ", ".join(sorted(self.labs)) or "none"
            raise KeyError(f"no lab called {lab_id!r} (labs: {known}; see `dltui lab list`)") from None


def _require(data: dict[str, Any], key: str, kind: type | tuple[type, ...], path: Path, default: Any = ...) -> Any:
    if key not in data:
        if default is ...:
            raise LabFileError(path, key, "missing (required)")
        return default
    value = data[key]
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise LabFileError(path, key, f"must be a {names}, not {type(value).__name__} {value!r}")
    return value


def load_lab(folder: Path, bundled: bool = True) -> Lab:
    """Read and check ``folder/lab.toml``; raises LabFileError naming the file and field."""
    path = folder / LAB_FILE
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LabFileError(path, "", "no lab.toml in this folder (a lab needs one: see `dltui lab register --help`)") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise LabFileError(path, "", f"not valid TOML ({err})") from None
    lab_id = _require(data, "id", str, path)
    if not lab_id or any(c in lab_id for c in "/\\: ") or lab_id.startswith("."):
        raise LabFileError(path, "id", f"{lab_id!r} must be a plain name (letters, digits, - or _)")
    if bundled and lab_id != folder.name:
        raise LabFileError(path, "id", f"{lab_id!r} must equal the folder name {folder.name!r}")
    command = tuple(_require(data, "command", list, path, []))
    if not all(isinstance(part, str) for part in command):
        raise LabFileError(path, "command", 'must be a list of strings, e.g. ["{python}", "train.py"]')
    sweep = _sweep(data, path)
    if not command and sweep is None:
        raise LabFileError(path, "command", "missing: a lab needs a command (or a sweep of another lab)")
    target = None
    if "target" in data:
        raw = _require(data, "target", dict, path)
        metric = raw.get("metric")
        if not isinstance(metric, str) or not metric:
            raise LabFileError(path, "target.metric", 'missing (e.g. target = { metric = "test/acc", min = 0.97 })')
        low, high = raw.get("min"), raw.get("max")
        for name, bound in (("min", low), ("max", high)):
            if bound is not None and (isinstance(bound, bool) or not isinstance(bound, (int, float))):
                raise LabFileError(path, f"target.{name}", f"must be a number, not {bound!r}")
        if low is None and high is None:
            raise LabFileError(path, "target", "needs min or max")
        target = Target(metric, None if low is None else float(low), None if high is None else float(high))
    params_table = _require(data, "params", dict, path, {})
    try:
        params = parse_param_table(params_table)
    except ParamError as err:
        raise LabFileError(path, f"params.{err.name}" if err.name else "params", str(err)) from None
    topics = _require(data, "topics", list, path, [])
    if not all(isinstance(t, str) for t in topics):
        raise LabFileError(path, "topics", "must be a list of topic ids (strings)")
    requires = _require(data, "requires", list, path, [])
    if not all(isinstance(m, str) and m.isidentifier() for m in requires):
        raise LabFileError(path, "requires", 'must be a list of module names, e.g. ["torch"]')
    return Lab(
        id=lab_id,
        title=_require(data, "title", str, path, lab_id),
        folder=folder.resolve(),
        description=_require(data, "description", str, path, ""),
        topics=tuple(topics),
        command=command,
        wants_gpu=_require(data, "wants_gpu", bool, path, False),
        target=target,
        params=params,
        sweep=sweep,
        exercise=_exercise(data, folder, path),
        bundled=bundled,
        requires=tuple(requires),
        missing=tuple(missing_modules(requires)),
    )


def _sweep(data: dict[str, Any], path: Path) -> Sweep | None:
    if "sweep" not in data:
        return None
    raw = _require(data, "sweep", dict, path)
    for key, kind in (("lab", str), ("param", str), ("values", list)):
        if key not in raw:
            raise LabFileError(path, f"sweep.{key}", 'missing (e.g. sweep = { lab = "numpy-xor", param = "lr", values = [0.1, 1.0] })')
        if not isinstance(raw[key], kind):
            raise LabFileError(path, f"sweep.{key}", f"must be a {kind.__name__}")
    if not raw["values"]:
        raise LabFileError(path, "sweep.values", "needs at least one value")
    return Sweep(raw["lab"], raw["param"], tuple(raw["values"]))


def _exercise(data: dict[str, Any], folder: Path, path: Path) -> Exercise | None:
    """The ``[exercise]`` table, or the convention: an ``exercise/`` folder holding ``grade.py``."""
    raw = _require(data, "exercise", dict, path, None)
    if raw is None:
        if (folder / "exercise" / "grade.py").is_file():
            raw = {}
        else:
            return None
    template = folder / _require(raw, "template", str, path, "exercise")
    if not template.is_dir():
        raise LabFileError(path, "exercise.template", f"folder {template} does not exist")
    grader = tuple(_require(raw, "grader", list, path, ["{python}", str(template / "grade.py"), "{workspace}"]))
    edit = raw.get("edit")
    if edit is None:
        candidates = sorted(p.name for p in template.glob("*.py") if p.name != "grade.py" and not p.name.startswith("test"))
        if not candidates:
            raise LabFileError(path, "exercise.edit", 'no file for the learner to edit: name it with edit = "..."')
        edit = candidates[0]
    if not isinstance(edit, str) or not (template / edit).is_file():
        raise LabFileError(path, "exercise.edit", f"{edit!r} is not a file in {template}")
    return Exercise(template=template.resolve(), edit=edit, grader=grader, checks=_exercise_checks(raw, path))


def _exercise_checks(raw: dict[str, Any], path: Path) -> dict[str, tuple[str, ...]]:
    """``[exercise.checks]``: each grader check with the topic ids it covers."""
    table = raw.get("checks", {})
    if not isinstance(table, dict):
        raise LabFileError(path, "exercise.checks", 'must be a table of check = ["topic-id", ...]')
    checks = {}
    for name, topics in table.items():
        if not isinstance(topics, list) or not all(isinstance(t, str) and t for t in topics):
            raise LabFileError(
                path, f"exercise.checks.{name}", f'must be a list of topic ids, e.g. {name} = ["backpropagation"], not {topics!r}'
            )
        checks[name] = tuple(topics)
    return checks


def registered_folders(data_dir: Path) -> list[Path]:
    """The lab folders the learner registered (``<data>/labs.toml``: folders = [...])."""
    path = data_dir / REGISTERED_FILE
    if not path.exists():
        return []
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise LabFileError(path, "", f"not valid TOML ({err}); fix or delete it") from None
    folders = data.get("folders", [])
    if not isinstance(folders, list) or not all(isinstance(f, str) for f in folders):
        raise LabFileError(path, "folders", "must be a list of folder paths")
    return [Path(f) for f in folders]


def _write_registered(data_dir: Path, folders: list[Path]) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    # JSON string escaping is valid TOML basic-string escaping, so json.dumps quotes paths safely.
    lines = ["# Lab folders added with `dltui lab register PATH`.", "folders = ["]
    lines += [f"    {json.dumps(str(folder))}," for folder in folders]
    lines.append("]")
    path = data_dir / REGISTERED_FILE
    tmp = path.with_suffix(".tmp")
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    tmp.replace(path)


def register_lab_folder(labs_dir: Path, data_dir: Path, folder: Path) -> Lab:
    """Check a learner's lab folder and remember it; raises LabFileError/ValueError with the reason."""
    folder = folder.expanduser().resolve()
    if not folder.is_dir():
        raise LabFileError(folder, "", "is not a folder")
    lab = load_lab(folder, bundled=False)
    registry = load_registry(labs_dir, data_dir)
    existing = registry.labs.get(lab.id)
    if existing is not None and existing.folder != folder:
        raise LabFileError(folder / LAB_FILE, "id", f"{lab.id!r} is already taken by {existing.folder}; choose another id")
    if lab.sweep is not None:
        _resolve_sweep(lab, {**registry.labs, lab.id: lab})
    folders = registered_folders(data_dir)
    if folder not in folders:
        _write_registered(data_dir, [*folders, folder])
    return lab


def unregister_lab(labs_dir: Path, data_dir: Path, what: str) -> Path:
    """Forget a registered lab, given its id or folder; returns the folder forgotten."""
    folders = registered_folders(data_dir)
    wanted = Path(what).expanduser().resolve()
    for folder in folders:
        if folder == wanted:
            break
        try:
            if load_lab(folder, bundled=False).id == what:
                break
        except LabFileError:
            continue
    else:
        raise ValueError(f"{what!r} is not a registered lab (see `dltui lab list`)")
    _write_registered(data_dir, [f for f in folders if f != folder])
    return folder


def _resolve_sweep(lab: Lab, labs: dict[str, Lab]) -> Lab:
    """A sweep lab takes the swept lab's parameters (its own [params] override defaults)."""
    sweep = lab.sweep
    assert sweep is not None
    path = lab.folder / LAB_FILE
    base = labs.get(sweep.lab)
    if base is None or base.sweep is not None:
        raise LabFileError(path, "sweep.lab", f"{sweep.lab!r} is not a lab that can be run (labs: {', '.join(sorted(labs))})")
    swept = base.params.get(sweep.param)
    if swept is None:
        raise LabFileError(path, "sweep.param", f"lab {sweep.lab} has no parameter {sweep.param!r}")
    try:
        values = tuple(swept.check(v) for v in sweep.values)
    except ParamError as err:
        raise LabFileError(path, "sweep.values", str(err)) from None
    params = {name: p for name, p in base.params.items() if name != sweep.param}
    for name, own in lab.params.items():
        params[name] = own
    return replace(
        lab,
        sweep=replace(sweep, values=values),
        params=params,
        wants_gpu=lab.wants_gpu or base.wants_gpu,
        target=lab.target or base.target,
        requires=tuple(dict.fromkeys(lab.requires + base.requires)),
        missing=tuple(dict.fromkeys(lab.missing + base.missing)),
    )


def load_registry(labs_dir: Path, data_dir: Path) -> LabRegistry:
    """Every lab that loads, plus one problem per lab.toml that does not."""
    registry = LabRegistry()
    sources: list[tuple[Path, bool]] = []
    if labs_dir.is_dir():
        sources += [(p, True) for p in sorted(labs_dir.iterdir()) if (p / LAB_FILE).is_file()]
    try:
        sources += [(p, False) for p in registered_folders(data_dir)]
    except LabFileError as err:
        registry.problems.append(LabProblem(err.path, str(err)))
    for folder, bundled in sources:
        try:
            lab = load_lab(folder, bundled=bundled)
        except LabFileError as err:
            registry.problems.append(LabProblem(err.path, str(err)))
            continue
        if lab.id in registry.labs:
            other = registry.labs[lab.id].folder
            registry.problems.append(LabProblem(folder / LAB_FILE, f"{folder / LAB_FILE}: id: {lab.id!r} is also used by {other}"))
            continue
        registry.labs[lab.id] = lab
    for lab in list(registry.labs.values()):
        if lab.sweep is None:
            continue
        try:
            registry.labs[lab.id] = _resolve_sweep(lab, registry.labs)
        except LabFileError as err:
            del registry.labs[lab.id]
            registry.problems.append(LabProblem(err.path, str(err)))
    return registry
