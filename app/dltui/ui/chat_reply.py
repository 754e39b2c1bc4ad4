"""A tutor's reply on screen: Markdown drawn in parts, so a long reply stays cheap to draw.

Textual's Markdown widget makes a widget of every block (paragraph, list item, code fence), and
each layout pass walks every widget in the log: a 2,000-word reply grew to ~500 widgets and each
streamed batch cost ~100 ms. Here a reply is a few parts of about PART_CHARS, each one widget
drawn by rich's Markdown; only the last part changes as text arrives. A reply is cut where Markdown
draws the same as one document: at a blank line outside a code fence, before a line that starts
at the margin (an indented one could belong to the list item above) and starts no list item (a
list cut in two would draw as two lists). A blank line between parts stands for the cut.
"""

from __future__ import annotations

import re
from typing import ClassVar

from markdown_it.token import Token
from rich.console import Console, ConsoleOptions, JustifyMethod, RenderResult
from rich.markdown import Heading, ListItem, MarkdownElement
from rich.markdown import Markdown as RichMarkdown
from rich.segment import Segment
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.css.styles import RulesMap
from textual.strip import Strip
from textual.style import Style
from textual.visual import RenderOptions, RichVisual
from textual.widgets import Static

PART_CHARS = 1200
FENCES = ("```", "~~~")
KNOWN_CHARS = 12  # "1234567890. " is the longest list-item start
LIST_ITEM = re.compile(r"([-*+]|\d+[.)])(\s|$)")


def cut_points(text: str, after: int = PART_CHARS) -> list[int]:
    """Offsets past ``after`` where ``text`` can be cut into two Markdown documents that render as it does."""
    cuts, in_fence, offset, blank_before = [], False, 0, False
    for line in text.splitlines(keepends=True):
        stripped = line.strip()
        at_margin = line[:1] not in ("", " ", "\t", "\n")
        # A line still arriving is judged once it is long enough to say whether it starts a list item.
        known = line.endswith("\n") or len(line) >= KNOWN_CHARS
        if not in_fence and blank_before and offset >= after and at_margin and known and not LIST_ITEM.match(line):
            cuts.append(offset)
        if stripped.startswith(FENCES):
            in_fence = not in_fence
        blank_before = not stripped and not in_fence
        offset += len(line)
    return cuts


def split_parts(text: str) -> list[str]:
    """``text`` cut into parts of about PART_CHARS (joined, they are ``text`` again)."""
    parts = []
    while cuts := cut_points(text):
        parts.append(text[: cuts[0]])
        text = text[cuts[0] :]
    return [*parts, text]


class LeftHeading(Heading):
    """Every heading at the margin, as the topic reader shows it (rich centres a "#" heading)."""

    LEVEL_ALIGN: ClassVar[dict[str, JustifyMethod]] = dict.fromkeys(Heading.LEVEL_ALIGN, "left")


class NumberedItem(ListItem):
    """A numbered step keeps its "1." or "1)" as written (rich draws " 1 Compute")."""

    delimiter = "."

    @classmethod
    def create(cls, markdown: RichMarkdown, token: Token) -> MarkdownElement:
        item = cls()
        if token.markup in (".", ")"):
            item.delimiter = token.markup
        return item

    def render_number(self, console: Console, options: ConsoleOptions, number: int, last_number: int) -> RenderResult:
        width = len(f" {last_number}{self.delimiter} ")
        lines = console.render_lines(self.elements, options.update(width=options.max_width - width), style=self.style)
        style = console.get_style("markdown.item.number", default="none")
        numeral, padding = Segment(f" {number}{self.delimiter} ".rjust(width), style), Segment(" " * width, style)
        for index, line in enumerate(lines):
            yield numeral if index == 0 else padding
            yield from line
            yield Segment.line()


class ReplyMarkdown(RichMarkdown):
    elements: ClassVar[dict[str, type[MarkdownElement]]] = {
        **RichMarkdown.elements,
        "heading_open": LeftHeading,
        "list_item_open": NumberedItem,
    }


class MarkdownLines(RichVisual):
    """rich Markdown drawn once per width. Textual asks a widget for its height, then for its
    lines, and each drew the Markdown again: twice the cost of every streamed batch."""

    def __init__(self, widget: Static, text: str):
        super().__init__(widget, ReplyMarkdown(text))
        self._part = widget
        self._width, self._lines = -1, list[Strip]()

    def _drawn(self, width: int) -> list[Strip]:
        if width != self._width:
            app = self._part.app
            options = app.console_options.update(highlight=False, width=width)
            segments = app.console.render(self._renderable, options)
            lines = Segment.split_and_crop_lines(segments, width, include_new_lines=False, pad=False)
            self._width, self._lines = width, [Strip(line) for line in lines]
        return self._lines

    def get_height(self, rules: RulesMap, width: int) -> int:
        return len(self._drawn(width))

    def render_strips(self, width: int, height: int | None, style: Style, options: RenderOptions) -> list[Strip]:
        return [line.apply_style(style.rich_style) for line in self._drawn(width)[:height]]


class ReplyPart(Static):
    """Some whole blocks of a reply (the last part: the text so far), drawn as Markdown."""

    DEFAULT_CSS = """
    ReplyPart { height: auto; margin-bottom: 1; }
    ReplyPart:last-child { margin-bottom: 0; }
    """

    def __init__(self, text: str):
        super().__init__()
        self.show(text)

    def show(self, text: str) -> None:
        self.source = text
        self.update(MarkdownLines(self, text))


class TutorMessage(Vertical):
    """One reply: ``source`` is its Markdown; ``append`` adds streamed text to its last part."""

    DEFAULT_CSS = "TutorMessage { height: auto; }"

    def __init__(self, text: str = "", stopped: bool = False):
        super().__init__(classes="tutor-message")
        self.stopped = stopped
        self._parts = split_parts(text)

    def compose(self) -> ComposeResult:
        for part in self._parts:
            yield ReplyPart(part)

    @property
    def source(self) -> str:
        parts = self.query_children(ReplyPart)
        return "".join(part.source for part in parts) if parts else "".join(self._parts)

    async def append(self, text: str) -> None:
        """Add streamed ``text`` to the last part; past a cut, the rest goes into new parts."""
        last = self.query_children(ReplyPart).last()
        first, *more = split_parts(last.source + text)
        last.show(first)
        if more:
            await self.mount_all(ReplyPart(part) for part in more)
