"""The five areas: one line that names them, and one area on screen at a time.

Textual's TabbedContent builds about fifteen widgets for five tabs (a widget per tab, the strip
that scrolls them, its underline, the switcher, a pane per tab): styling, laying out and drawing
them took a third of dltui's first frame. Here the names are one widget that draws one line, and
an area is a container shown or hidden. The names take no focus: F1…F5, Alt+1…5 or a click change
the area, and the keys stay in the area, where they do something (Tab moves between its widgets).
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

from dltui.ui.span_line import SpanLine

# (area id, title, key) — function keys work in every terminal and over SSH; alt+digit as a fallback.
AREAS = [
    ("chat", "Chat", "f1"),
    ("topics", "Topics", "f2"),
    ("review", "Review", "f3"),
    ("labs", "Labs", "f4"),
    ("progress", "Progress", "f5"),
]


class AreaChosen(Message):
    """The learner clicked an area's name: the app opens it and moves the keys into it."""

    def __init__(self, area: str) -> None:
        super().__init__()
        self.area = area


class AreaNames(SpanLine):
    """The areas' names and keys on one line ("F1 Chat  F2 Topics …"), the open one marked."""

    COMPONENT_CLASSES = {"area-names--name", "area-names--hover", "area-names--open"}
    DEFAULT_CSS = """
    AreaNames {
        height: 1;
        .area-names--name { color: $foreground 50%; }
        .area-names--hover { color: $foreground; }
        .area-names--open { color: $block-cursor-foreground; background: $block-cursor-background; text-style: bold; }
        &:ansi {
            .area-names--name { text-style: dim; }
            .area-names--hover { text-style: not dim; }
        }
    }
    """

    open_area: reactive[str] = reactive("")

    def __init__(self, open_area: str) -> None:
        super().__init__()
        self.set_reactive(AreaNames.open_area, open_area)

    def render(self) -> Text:
        line, spans = Text(no_wrap=True, overflow="crop"), []
        for area, title, key in AREAS:
            look = "open" if area == self.open_area else "hover" if area == self.hovered else "name"
            start = line.cell_len
            line.append(f" {key.upper()} {title} ", self.get_component_rich_style(f"area-names--{look}"))
            spans.append((start, line.cell_len, area))
        self._spans = spans
        return line

    def span_clicked(self, what: str) -> None:
        self.post_message(AreaChosen(what))


class AreaBox(Vertical):
    """One area: its pane, or what shows there while the records load."""

    DEFAULT_CSS = "AreaBox { height: 1fr; padding: 0 1; }"


class Areas(Vertical):
    """The names line and the five areas, of which ``active`` is on screen."""

    DEFAULT_CSS = "Areas { height: 1fr; }"

    active: reactive[str] = reactive("", init=False)

    def __init__(self, contents: dict[str, Widget], initial: str, id: str | None = None) -> None:
        """``contents``: area id -> what fills it; ``initial``: the area on screen from the first frame."""
        super().__init__(id=id)
        self._contents = contents
        self.set_reactive(Areas.active, initial)

    def compose(self) -> ComposeResult:
        yield AreaNames(self.active)
        for area, _title, _key in AREAS:
            box = AreaBox(self._contents[area], id=area)
            box.display = area == self.active  # hidden before mounting: no second layout to hide them
            yield box

    def box(self, area: str) -> AreaBox:
        """The container of one area (its pane, once the records are open, is inside)."""
        return self.get_child_by_id(area, AreaBox)

    def watch_active(self, old: str, new: str) -> None:
        self.box(old).display = False
        self.box(new).display = True
        self.query_one(AreaNames).open_area = new
