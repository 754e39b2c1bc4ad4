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
    "notify", "push_screen", "pop_screen", "call_from_thread", "exit", "set_focus", "query_one", "bell",
    "copy_to_clipboard", "run_worker", "suspend", "set_interval", "set_timer", "get_key_display",
    "action_show_help_panel", "action_hide_help_panel",
}


@pytest.mark.parametrize("module", sorted(p.name for p in (APP / "ui").glob("*.py") if p.name != "app.py"))
def test_panes_ask_the_app_with_messages_not_by_calling_it(module):
    source = (APP / "ui" / module).read_text(encoding="utf-8")
    calls = set(re.findall(r"self\.app\.([a-z_]+)\(", source))
    assert calls <= TEXTUAL_APP_CALLS, f"{module} calls the app by name: {sorted(calls - TEXTUAL_APP_CALLS)}"


def _imports(path: Path, modules: set[str]) -> set[str]:
    """The dltui modules a module imports at its top level (imports inside functions are lazy on
    purpose); ``from package import submodule`` counts as importing the submodule."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in tree.body:
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


def test_no_import_cycle_between_dltui_modules():
    paths = {_module_name(p): p for p in APP.rglob("*.py")}
    graph = {name: _imports(path, set(paths)) for name, path in paths.items()}
    graph = {name: {m for m in deps if m in graph} for name, deps in graph.items()}
    visiting, done = set(), set()

    def visit(name: str, trail: list[str]) -> None:
        if name in done:
            return
        assert name not in visiting, "import cycle: " + " -> ".join(trail[trail.index(name):] + [name])
        visiting.add(name)
        for dep in sorted(graph[name]):
            visit(dep, trail + [name])
        visiting.discard(name)
        done.add(name)

    for name in sorted(graph):
        visit(name, [])


def test_no_module_grows_past_one_concepts_size():
    """A module past ~400 lines is asking to be split along a seam (docs/ARCHITECTURE.md)."""
    long = {str(p.relative_to(APP)): n for p in APP.rglob("*.py") if (n := len(p.read_text(encoding="utf-8").splitlines())) > 400}
    assert not long, f"split these along a seam: {long}"
