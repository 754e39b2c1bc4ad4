"""A line of text whose spans are things to click: the footer's keys, the areas' names.

The widget that draws the line records, as it draws, which columns stand for what (``_spans``);
a click on a span calls ``span_clicked`` with what it stands for, and the span under the mouse is
``hovered`` (drawn apart, so a mouse user sees what a click would do).
"""

from __future__ import annotations

from textual import events
from textual.reactive import reactive
from textual.widget import Widget


class SpanLine(Widget, can_focus=False):
    ALLOW_SELECT = False

    hovered: reactive[str | None] = reactive(None)  # what the span under the mouse stands for

    def __init__(self) -> None:
        super().__init__()
        self._spans: list[tuple[int, int, str]] = []  # (first column, end column, what) as last drawn

    def span_clicked(self, what: str) -> None:
        raise NotImplementedError

    def _span_at(self, x: int) -> str | None:
        return next((what for start, end, what in self._spans if start <= x < end), None)

    def on_click(self, event: events.Click) -> None:
        if (what := self._span_at(event.x)) is not None:
            event.stop()
            self.span_clicked(what)

    def on_mouse_move(self, event: events.MouseMove) -> None:
        self.hovered = self._span_at(event.x)

    def on_leave(self, _event: events.Leave) -> None:
        self.hovered = None
