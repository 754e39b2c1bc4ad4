"""dltui installs like real software: the wheel is self-contained and works without torch (issue 16).

The wheel is built from a copy of the project's sources (so the build leaves nothing in the
working tree) and installed with ``--no-deps`` into a fresh virtual environment, which is then
run from an unrelated folder with its own HOME: nothing of the checkout is reachable from there.

Why the dependencies are borrowed, and why that is still honest: installing textual, sqlmodel,
anthropic... into the fresh venv from an index would need the network and minutes. The fresh venv
instead sees a folder of links to the dev venv's installed packages, minus torch (and its own
helpers functorch/torchgen) and minus the dev install of dltui itself. So everything dltui
finds of itself (code, curriculum, labs, the tutor's rules) comes from the wheel alone, and torch
is truly absent (``importlib.util.find_spec("torch")`` is None there), which is what a
``pipx install dltui`` without the labs extra gives. What this cannot check is the resolution of
the wheel's dependency list by an index; the wheel's metadata is checked instead (torch and the
fsrs optimizer only behind the ``labs`` extra).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

# Its module-scoped fixture is costly: under pytest-xdist the module stays on one worker.
pytestmark = pytest.mark.xdist_group("test_wheel_install")

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ["pyproject.toml", "README.md", "CLAUDE.md", "app", "curriculum", "labs"]
WITHOUT_TORCH = ("torch", "functorch", "torchgen")  # torch and the packages its wheel installs
OWN = ("dltui", "__editable__.dltui", "__editable___dltui")
TIMEOUT = 120


def _run(argv: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT, check=False, **kwargs)


def _ok(done: subprocess.CompletedProcess) -> str:
    assert done.returncode == 0, f"{done.args} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _copy_sources(target: Path) -> Path:
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "*.pyc", "runs")
    target.mkdir()
    for name in SOURCES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=ignore)
        else:
            shutil.copy2(source, target / name)
    # A learner's run left in a bundled lab folder must not travel in the wheel.
    stale = target / "labs" / "numpy-xor" / "runs" / "old-run"
    stale.mkdir(parents=True)
    (stale / "events.jsonl").write_text("{}\n", encoding="utf-8")
    (stale / "lab.toml").write_text('id = "old-run"\n', encoding="utf-8")
    return target


def _fresh_venv(folder: Path) -> Path:
    """A venv without pip whose site-packages links to the dev venv's packages, less torch and dltui."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True, timeout=TIMEOUT)
    python = folder / "bin" / "python"
    site = Path(_ok(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"])).strip())
    borrowed = folder / "borrowed-packages"
    borrowed.mkdir()
    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():
        name = entry.name.lower()
        if name.startswith(WITHOUT_TORCH) or name.startswith(OWN) or name.endswith(".pth"):
            continue
        (borrowed / entry.name).symlink_to(entry)
    (site / "borrowed-packages.pth").write_text(f"{borrowed}\n", encoding="utf-8")
    return python


def _pip(python: Path, *args: str) -> str:
    return _ok(_run([sys.executable, "-m", "pip", "--python", str(python), "--disable-pip-version-check", *args]))


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> dict:
    """Build the wheel, install it into a fresh venv without torch; commands run from elsewhere."""
    base = tmp_path_factory.mktemp("wheel")
    source = _copy_sources(base / "source")
    dist = base / "dist"
    _ok(_run([sys.executable, "-m", "pip", "wheel", "--no-index", "--no-deps", "--no-build-isolation", "-q", "-w", str(dist), str(source)]))
    (wheel,) = dist.glob("dltui-*.whl")
    python = _fresh_venv(base / "venv")
    _pip(python, "install", "--no-deps", "--no-index", "-q", str(wheel))
    home = base / "home"
    elsewhere = base / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DLTUI_", "PYTHON", "ANTHROPIC_", "VIRTUAL_ENV"))}
    env.update(
        HOME=str(home),
        XDG_DATA_HOME=str(home / "data"),
        XDG_CACHE_HOME=str(home / "cache"),
        XDG_CONFIG_HOME=str(home / "config"),
        PATH=f"{python.parent}{os.pathsep}{env.get('PATH', '')}",
        DLTUI_TUTOR="offline",
    )
    return {"wheel": wheel, "python": python, "source": source, "cwd": elsewhere, "env": env, "home": home}


def _dltui(installed: dict, *args: str) -> subprocess.CompletedProcess:
    return _run([str(installed["python"]), "-m", "dltui", *args], cwd=installed["cwd"], env=installed["env"])


def test_wheel_carries_curriculum_labs_and_rules_but_no_runs(installed):
    names = set(zipfile.ZipFile(installed["wheel"]).namelist())
    source = installed["source"]
    content = "dltui/_content/"
    assert content + "CLAUDE.md" in names
    # Every content file travels (a new kind of file needs its pattern in pyproject.toml).
    for path in [*(source / "curriculum").rglob("*"), *(source / "labs").rglob("*")]:
        relative = path.relative_to(source).as_posix()
        if path.is_file() and "/runs/" not in relative:
            assert content + relative in names, f"{relative} is missing from the wheel"
    assert not [n for n in names if "/runs/" in n], "a lab's runs/ folder travelled in the wheel"
    for module in (source / "app" / "dltui").rglob("*.py"):  # the package list in pyproject.toml is complete
        assert module.relative_to(source / "app").as_posix() in names


def test_torch_and_the_optimizer_come_only_with_the_labs_extra(installed):
    with zipfile.ZipFile(installed["wheel"]) as wheel:
        (metadata_name,) = [n for n in wheel.namelist() if n.endswith(".dist-info/METADATA")]
        metadata = Parser().parsestr(wheel.read(metadata_name).decode())
    requirements = metadata.get_all("Requires-Dist")
    assert "labs" in metadata.get_all("Provides-Extra")
    base = [r for r in requirements if "extra ==" not in r]
    assert any(r.startswith("numpy") for r in base)
    assert not [r for r in base if r.startswith("torch") or "optimizer" in r], base
    labs = [r for r in requirements if 'extra == "labs"' in r]
    assert any(r.startswith("torch") for r in labs) and any(r.startswith("fsrs[optimizer]") for r in labs)
    no_torch = _run([str(installed["python"]), "-c", "import importlib.util; print(importlib.util.find_spec('torch'))"])
    assert _ok(no_torch).strip() == "None", "the test venv must not see torch"


def test_curriculum_check_from_any_folder_has_all_56_topics(installed):
    out = _ok(_dltui(installed, "curriculum", "check"))
    assert out.startswith("56 topics") and out.rstrip().endswith("OK")


def test_lab_list_shows_every_lab_and_marks_the_torch_ones(installed):
    out = _ok(_dltui(installed, "lab", "list"))
    blocks: dict[str, str] = {}  # lab id -> its line and the indented lines under it
    lab = ""  # the id of the block being read; set by the first unindented line
    for line in out.splitlines():
        if line.startswith(" "):
            blocks[lab] += line + "\n"
        else:
            lab = line.split()[0]
            blocks[lab] = line + "\n"
    for lab_toml in (installed["source"] / "labs").glob("*/lab.toml"):
        lab = tomllib.loads(lab_toml.read_text(encoding="utf-8"))["id"]
        if lab.startswith("torch-"):
            assert "needs torch" in blocks[lab] and "pipx inject dltui torch" in blocks[lab], blocks[lab]
        else:
            assert "needs" not in blocks[lab], blocks[lab]


def test_numpy_lab_runs_to_an_ok_end_and_a_torch_lab_says_how_to_add_torch(installed):
    done = _dltui(installed, "lab", "run", "numpy-xor")
    assert ": ok, passed" in _ok(done)
    data = installed["home"] / "data" / "dltui"
    assert list((data / "runs").glob("numpy-xor-*/events.jsonl")), "runs go to the per-user data folder"
    refused = _dltui(installed, "lab", "run", "torch-mlp")
    assert refused.returncode != 0
    assert "pipx inject dltui torch" in refused.stderr and "dltui[labs]" in refused.stderr, refused.stderr
    assert not list((data / "runs").glob("torch-mlp-*")), "no run is started for a lab that cannot run"


def test_tutor_system_prompt_carries_the_full_rules(installed):
    rules = (installed["source"] / "CLAUDE.md").read_text(encoding="utf-8")
    honesty = rules.split("## Honesty and sources", 1)[1].strip().splitlines()[0]
    never = rules.split("## What you never do", 1)[1].strip().splitlines()[0]
    script = (
        "from dltui.context import StudyContext\n"
        "from dltui.tutor.prompt import system_blocks\n"
        "context = StudyContext.open(None)\n"
        "print(system_blocks(context, None)[0]['text'])\n"
        "context.close()\n"
    )
    prompt = _ok(_run([str(installed["python"]), "-c", script], cwd=installed["cwd"], env=installed["env"]))
    assert honesty in prompt and never in prompt


def test_doctor_says_where_everything_comes_from(installed):
    out = _ok(_dltui(installed, "doctor"))
    site = Path(_ok(_run([str(installed["python"]), "-c", "import dltui, pathlib; print(pathlib.Path(dltui.__file__).parent)"])).strip())
    assert "installed package" in out
    assert f"{site / '_content' / 'curriculum'}" in out and "56 topics" in out
    assert f"{site / '_content' / 'labs'}" in out and f"{site / '_content' / 'CLAUDE.md'}" in out
    assert str(installed["home"] / "data" / "dltui") in out
    assert "pipx inject dltui torch" in out  # the torch line says how to add it


def test_editable_install_uses_the_checkouts_own_files(installed, tmp_path):
    """`make run` installs with -e: the checkout's curriculum, labs and CLAUDE.md are used as they are."""
    python = _fresh_venv(tmp_path / "venv")
    _pip(python, "install", "--no-index", "--no-deps", "--no-build-isolation", "-q", "-e", str(installed["source"]))
    out = _ok(_run([str(python), "-m", "dltui", "doctor"], cwd=installed["cwd"], env=installed["env"]))
    source = installed["source"]
    assert "checkout" in out and f"{source / 'curriculum'}" in out and f"{source / 'CLAUDE.md'}" in out


def test_reviews_progress_and_the_optimizer_hint_work_without_torch(installed):
    _ok(_dltui(installed, "review", "stats"))
    _ok(_dltui(installed, "progress"))
    script = "from dltui.srs import optimize\nprint(optimize.missing_optimizer_modules())\nprint(optimize.INSTALL_HINT)\n"
    out = _ok(_run([str(installed["python"]), "-c", script], cwd=installed["cwd"], env=installed["env"]))
    assert "'torch'" in out.splitlines()[0]  # `dltui review optimize` stops with this hint
    assert "pipx inject dltui 'fsrs[optimizer]'" in out and "dltui[labs]" in out
