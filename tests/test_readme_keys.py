"""The README's key tables and the app's bindings cannot drift apart.

Every key the README lists must be bound in the area it names (or globally), and every key an
area's footer shows must be in the README's row for that area (or the global table).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from dltui.ui.app import AREAS, DltuiApp
from dltui.ui.areas import Areas

README = Path(__file__).resolve().parent.parent / "README.md"
GLOBAL = "global"
NAMED_KEYS = {
    "esc": "escape",
    "enter": "enter",
    "space": "space",
    "tab": "tab",
    "pgup": "pageup",
    "pgdn": "pagedown",
    "?": "question_mark",
    "+": "plus",
    "-": "minus",
    "/": "slash",
}


def key_table() -> dict[str, str]:
    """{area (or "global"): the README's keys cell(s) for it} from the Keys section's two tables."""
    section = README.read_text(encoding="utf-8").split("## Keys", 1)[1].split("\n## ", 1)[0]
    rows: dict[str, str] = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 2 or set(cells[0]) <= set("-") or cells[0] in ("key", "area"):
            continue
        area = cells[0].lower()
        if area in {a for a, _t, _k in AREAS}:
            rows[area] = cells[1]
        else:  # the global table: the key is the first cell
            rows[GLOBAL] = rows.get(GLOBAL, "") + " · " + cells[0]
    return rows


def textual_keys(token: str) -> set[str]:
    """One README key ("Ctrl+N", "PgUp/PgDn", "1-4", "a-d", "F1 … F5 (or Alt+1 … Alt+5)") as
    Textual key names."""
    token = token.strip()
    if "…" in token:  # F1 … F5 (or Alt+1 … Alt+5)
        found = set()
        for prefix, first, last in re.findall(r"([A-Za-z]+\+?)(\d) … \1(\d)", token):
            found |= {f"{prefix.lower()}{n}" for n in range(int(first), int(last) + 1)}
        return found
    if re.fullmatch(r"\d-\d|[a-z]-[a-z]", token):
        return {chr(c) for c in range(ord(token[0]), ord(token[-1]) + 1)}
    if token in NAMED_KEYS:
        return {NAMED_KEYS[token]}
    parts = re.split(r"\s*/\s*", token) if token not in ("/", "+/-") else [token]
    if token == "+/-":
        parts = ["+", "-"]
    return {NAMED_KEYS.get(p.lower(), NAMED_KEYS.get(p, p.lower())) for p in parts}


def listed_keys(cell: str) -> set[str]:
    """The keys of one row: each " · " item starts with its key ("Ctrl+N new chat")."""
    keys: set[str] = set()
    for item in filter(None, (part.strip() for part in cell.split(" · "))):
        if item.startswith("type a number"):  # typed digits, then Enter
            keys.add("enter")
            continue
        if "…" in item or item.startswith("Tab / "):
            keys |= textual_keys(item.replace("Tab / Shift+Tab", "Tab/Shift+Tab"))
            continue
        keys |= textual_keys(item.split()[0])
    return keys


def bound_keys(widgets) -> set[str]:
    return {key for widget in widgets for key in widget._bindings.key_to_bindings}


def shown_keys(app) -> set[str]:
    """The keys the footer shows where the focus is now: as Textual's Footer does, the first key
    of each action ("b,B" shows b)."""
    first: dict[str, str] = {}
    for key, active in app.screen.active_bindings.items():
        if active.binding.show:
            first.setdefault(active.binding.action, key)
    return set(first.values())


def test_the_readme_has_both_tables_for_every_area():
    rows = key_table()
    assert set(rows) == {GLOBAL} | {area for area, _t, _k in AREAS}
    assert {"f1", "alt+5", "question_mark", "ctrl+p", "tab", "shift+tab", "ctrl+q"} <= listed_keys(rows[GLOBAL])
    assert {"enter", "escape", "ctrl+n", "pageup", "pagedown"} <= listed_keys(rows["chat"])


@pytest.mark.parametrize("area", [GLOBAL] + [a for a, _t, _k in AREAS])
async def test_every_readme_key_is_bound_and_every_footer_key_is_listed(context, area):
    rows = key_table()
    app = DltuiApp(context)
    async with app.run_test(size=(120, 40)) as pilot:
        global_bound = bound_keys([app, app.screen])
        if area == GLOBAL:
            missing = listed_keys(rows[GLOBAL]) - global_bound
            assert not missing, f"README lists global keys with no binding: {sorted(missing)}"
            return
        pane = app.query_one("#areas", Areas).box(area)
        await pilot.press(next(key for a, _t, key in AREAS if a == area))
        await pilot.pause(0.3)
        widgets = [pane, *pane.query("*")]
        missing = listed_keys(rows[area]) - bound_keys(widgets)
        assert not missing, f"README lists {area} keys with no binding there: {sorted(missing)}"
        listed = listed_keys(rows[area]) | listed_keys(rows[GLOBAL])
        for widget in [w for w in widgets if w.focusable]:
            widget.focus()
            await pilot.pause()
            unlisted = shown_keys(app) - listed
            assert not unlisted, f"the {area} footer shows keys the README does not list: {sorted(unlisted)} ({widget})"
