"""Checks anyone can run on the house's shape: panes talk to the app with messages, no module grows
past one concept's size, and the domain packages import no cycle."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parent.parent / "app" / "dltui"
# What a pane may call on the app: Textual's own services, not dltui's cross-area actions.
TEXTUAL_APP_CALLS = {
    "notify",
    "push_screen",
    "pop_screen",
    "call_from_thread",
    "exit",
    "set_focus",
    "query_one",
    "bell",
    "copy_to_clipboard",
    "run_worker",
    "suspend",
    "set_interval",
    "set_timer",
    "get_key_display",
    "simulate_key",  # the footer: a click on a key presses it, as in Textual's own footer
    "action_show_help_panel",
    "action_hide_help_panel",
}


UI_MODULES = sorted(str(p.relative_to(APP / "ui")) for p in (APP / "ui").rglob("*.py"))


@pytest.mark.parametrize("module", [m for m in UI_MODULES if m not in ("app.py", "review/app.py")])  # the apps themselves
def test_panes_ask_the_app_with_messages_not_by_calling_it(module):
    source = (APP / "ui" / module).read_text(encoding="utf-8")
    calls = set(re.findall(r"self\.app\.([a-z_]+)\(", source))
    assert calls <= TEXTUAL_APP_CALLS, f"{module} calls the app by name: {sorted(calls - TEXTUAL_APP_CALLS)}"


@pytest.mark.parametrize("module", UI_MODULES)
def test_panes_leave_the_database_and_files_to_the_domain(module):
    """A pane renders: queries, database errors and file reads belong to the domain packages."""
    source = (APP / "ui" / module).read_text(encoding="utf-8")
    pattern = r"^\s*(?:from|import) (?:sqlalchemy|sqlmodel)\b|\bopen\(|\.read_(?:text|bytes)\(|\.stat\(\)"
    found = [match.group(0).strip() for match in re.finditer(pattern, source, re.M)]
    assert not found, f"{module} does domain work itself: {found}"


def _imports(path: Path, modules: set[str], lazy: bool = False) -> set[str]:
    """The dltui modules a module imports at its top level, or with ``lazy`` anywhere in it (inside
    functions too); ``from package import submodule`` counts as importing the submodule. Imports
    under ``if TYPE_CHECKING:`` are for the type checker only: never run, never a cycle."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test).endswith("TYPE_CHECKING"):
            node.body = []
    found = set()
    for node in ast.walk(tree) if lazy else tree.body:
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("dltui"):
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                found.add(submodule if submodule in modules else node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("dltui"))
    return found


def _module_name(path: Path) -> str:
    parts = path.relative_to(APP.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _cycles(lazy: bool) -> list[list[str]]:
    """Every import cycle between dltui modules, each as the trail that closes it."""
    paths = {_module_name(p): p for p in APP.rglob("*.py")}
    graph = {name: _imports(path, set(paths), lazy) for name, path in paths.items()}
    graph = {name: {m for m in deps if m in graph and m != name} for name, deps in graph.items()}
    visiting, done, cycles = set(), set(), []

    def visit(name: str, trail: list[str]) -> None:
        if name in visiting:
            cycles.append(trail[trail.index(name) :] + [name])
        if name in done or name in visiting:
            return
        visiting.add(name)
        for dep in sorted(graph[name]):
            visit(dep, trail + [name])
        visiting.discard(name)
        done.add(name)

    for name in sorted(graph):
        visit(name, [])
    return cycles


# Cycles through a function-level import that other areas are breaking (issue 15, task 6); a
# new one anywhere fails the test. Remove an entry when its cycle is gone.
LAZY_CYCLES_BEING_BROKEN: list[set[str]] = []


def test_no_import_cycle_between_dltui_modules():
    cycles = _cycles(lazy=False)
    assert not cycles, "import cycle: " + " -> ".join(cycles[0])


def test_no_import_cycle_hides_behind_a_function_level_import():
    """A cycle hidden behind an import inside a function is still a cycle: the two modules cannot
    be understood, tested or moved apart."""
    cycles = [c for c in _cycles(lazy=True) if not any(set(c) <= known for known in LAZY_CYCLES_BEING_BROKEN)]
    assert not cycles, "import cycle: " + " -> ".join(cycles[0])


def test_no_module_grows_past_one_concepts_size():
    """A module past ~400 lines is asking to be split along a seam (docs/ARCHITECTURE.md)."""
    long = {str(p.relative_to(APP)): n for p in APP.rglob("*.py") if (n := len(p.read_text(encoding="utf-8").splitlines())) > 400}
    assert not long, f"split these along a seam: {long}"
