"""PlotCells: a plotext figure drawn straight from its character matrix, without ANSI text between.

textual-plotext draws a figure by having plotext write it as one ANSI string and Rich parse that
string back into styled text: two passes over every cell, most of a lab plot's redraw. plotext
keeps the figure as matrices (a character, a foreground, a style and a background per cell);
this Visual reads them and gives Textual one strip per row, a segment per run of cells that
share their colours. Each colour combination is styled by rendering one sample cell through the
very path the ANSI text took (plotext's codes, `Text.from_ansi`, Textual's Content) once per
frame, so the plot looks exactly as it did.
"""

from __future__ import annotations

from plotext._utility import ansi_end, colors_to_ansi  # plotext's own cell-to-ANSI codes
from rich.segment import Segment
from rich.text import Text
from textual.content import Content
from textual.strip import Strip
from textual.style import Style
from textual.visual import RenderOptions, Visual


class PlotCells(Visual):
    """A built plotext matrix (``figure.monitor.matrix``) as a Textual Visual."""

    def __init__(self, matrix) -> None:
        self.matrix = matrix

    def get_optimal_width(self, rules, container_width: int) -> int:
        return self.matrix.cols

    def get_height(self, rules, width: int) -> int:
        return self.matrix.rows

    def render_strips(self, width: int, height: int | None, style: Style, options: RenderOptions) -> list[Strip]:
        matrix = self.matrix
        styles: dict[tuple, Style] = {}
        strips = []
        for line, row in enumerate(reversed(range(matrix.rows))):  # plotext's row 0 is the bottom one
            markers = matrix.marker[row]
            keys = list(zip(matrix.fullground[row], matrix.style[row], matrix.background[row]))
            segments, start = [], 0
            for col in range(1, matrix.cols + 1):
                if col == matrix.cols or keys[col] != keys[start]:
                    key = keys[start]
                    cell_style = styles.get(key) or styles.setdefault(key, _cell_style(key, style, options))
                    # The offset lets Textual map a mouse selection back to the text, as Content does.
                    segments.append(Segment("".join(markers[start:col]), cell_style.rich_style_with_offset(start, line)))
                    start = col
            strip = Strip(segments, matrix.cols)
            strips.append(strip.crop(0, width) if matrix.cols > width else strip)
        return strips if height is None else strips[:height]


def _cell_style(key: tuple, base: Style, options: RenderOptions) -> Style:
    """The style of a cell with plotext's (foreground, style, background), as the ANSI path gave it."""
    sample = Content.from_rich_text(Text.from_ansi(colors_to_ansi(*key) + "x" + ansi_end))
    [(_, text_style)] = sample.render(base, end="", parse_style=options.get_style)
    return base + text_style
