"""PlotCells: a plotext figure drawn straight from its character matrix, without ANSI text between.

textual-plotext draws a figure by having plotext write it as one ANSI string and Rich parse that
string back into styled text: two passes over every cell, most of a lab plot's redraw. plotext
keeps the figure as matrices (a character, a foreground, a style and a background per cell);
this Visual reads them and gives Textual one strip per row, a segment per run of cells that
share their colours. Each colour combination is styled by rendering one sample cell through the
very path the ANSI text took (plotext's codes, `Text.from_ansi`, Textual's Content), once per
combination and base style, so the plot looks exactly as it did.
"""

from __future__ import annotations

from functools import lru_cache
from itertools import groupby
from operator import itemgetter

from plotext._utility import ansi_end, colors_to_ansi  # plotext's own cell-to-ANSI codes
from rich.segment import Segment
from rich.style import Style as RichStyle
from rich.terminal_theme import TerminalTheme
from rich.text import Text
from textual.content import Content
from textual.strip import Strip
from textual.style import Style
from textual.visual import RenderOptions, Visual


class PlotCells(Visual):
    """A built plotext matrix (``figure.monitor.matrix``) as a Textual Visual."""

    def __init__(self, matrix, ansi_theme: TerminalTheme) -> None:
        self.matrix = matrix
        self.ansi_theme = ansi_theme  # the app's: how Content maps plotext's ANSI colours to RGB

    def get_optimal_width(self, rules, container_width: int) -> int:
        return self.matrix.cols

    def get_height(self, rules, width: int) -> int:
        return self.matrix.rows

    def render_strips(self, width: int, height: int | None, style: Style, options: RenderOptions) -> list[Strip]:
        matrix = self.matrix
        strips = []
        for line, row in enumerate(reversed(range(matrix.rows))):  # plotext's row 0 is the bottom one
            cells = zip(zip(matrix.fullground[row], matrix.style[row], matrix.background[row]), matrix.marker[row])
            segments, start = [], 0
            for key, run in groupby(cells, key=itemgetter(0)):
                text = "".join(marker for _, marker in run)
                segments.append(Segment(text, _placed_style(_cell_style(key, style, self.ansi_theme), start, line)))
                start += len(text)
            strip = Strip(segments, matrix.cols)
            strips.append(strip.crop(0, width) if matrix.cols > width else strip)
        return strips if height is None else strips[:height]


@lru_cache(maxsize=8192)  # most runs stay where they were between frames: axes, ticks, blanks
def _placed_style(style: Style, x: int, y: int) -> RichStyle:
    """The Rich style of a run of cells starting at (x, y): with the offset Content gives it, by
    which Textual maps a mouse selection back to the text."""
    return style.rich_style_with_offset(x, y)


@lru_cache(maxsize=256)
def _cell_style(key: tuple, base: Style, ansi_theme: TerminalTheme) -> Style:
    """The style of a cell with plotext's (foreground, style, background), as the ANSI path gave it.

    ``ansi_theme`` is only part of the cache key: Content reads it from the active app.
    """
    sample = Content.from_rich_text(Text.from_ansi(colors_to_ansi(*key) + "x" + ansi_end))
    [(_, text_style)] = sample.render(base, end="")
    return base + text_style
