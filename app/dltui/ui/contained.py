"""Contained: a widget whose drawing fails shows one line saying so; the app keeps running.

Textual lets an exception raised while a widget renders end the whole app. A widget that mixes
`Contained` in front of its Textual base (``class MetricPlot(Contained, PlotextPlot)``) is drawn
through `render_lines` and `get_content_height`, both guarded: when drawing raises, the widget
shows ``⚠ <what> could not be drawn: <error>`` on its first line, the error is logged once,
and the next refresh tries again (a later frame that draws cleanly clears the line).
"""

from __future__ import annotations

import logging

from rich.segment import Segment
from rich.style import Style
from textual.geometry import Region, Size
from textual.strip import Strip
from textual.widgets import Static

log = logging.getLogger("dltui.ui")

FAILURE_STYLE = Style(color="red", bold=True)


def failure_line(what: str, err: BaseException) -> str:
    """The one line a widget shows in place of its content when drawing it failed."""
    detail = str(err).splitlines()[0] if str(err) else ""
    return f"⚠ {what} could not be drawn: {type(err).__name__}" + (f": {detail}" if detail else "")


class Contained:
    """Mixin for widgets: a failure while drawing stays inside the widget (see the module doc)."""

    #: How the failure line names the widget; "plot" reads better than "MetricPlot".
    drawing_name: str = ""
    #: The failure line now shown, or None while the widget draws normally.
    drawing_failure: str | None = None

    def _drawing_failed(self, err: Exception) -> str:
        line = failure_line(self.drawing_name or type(self).__name__, err)
        if line != self.drawing_failure:  # log each new failure once, not on every frame
            log.exception("drawing %s failed", type(self).__name__, exc_info=err)
        self.drawing_failure = line
        return line

    def render_lines(self, crop: Region) -> list[Strip]:
        try:
            strips = super().render_lines(crop)  # type: ignore[misc]
        except Exception as err:  # noqa: BLE001 - any drawing bug: contain it, say it
            line = self._drawing_failed(err)
            return [self._failure_strip(line, crop, y) for y in range(crop.y, crop.bottom)]
        self.drawing_failure = None
        return strips

    def _failure_strip(self, line: str, crop: Region, y: int) -> Strip:
        width = self.size.width  # type: ignore[attr-defined]
        text = line if y == 0 else ""
        strip = Strip([Segment(text[:width].ljust(width), FAILURE_STYLE if y == 0 else None)], width)
        return strip.crop(crop.x, crop.right)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        try:
            return super().get_content_height(container, viewport, width)  # type: ignore[misc]
        except Exception as err:  # noqa: BLE001 - an auto-height widget measures by drawing
            self._drawing_failed(err)
            return 1


class ContainedStatic(Contained, Static):
    """A Static whose drawing failure stays inside it (the usual text line of an area)."""
