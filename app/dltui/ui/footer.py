"""The footer: the keys that work where the focus is, drawn as one line of text.

Textual's Footer is a row of widgets, one per key, rebuilt on every bindings signal (every focus
change and `refresh_bindings()`); kept and updated in place they still cost a layout pass of the
whole screen whenever a key came, went or changed width, and a dozen widgets to draw in every full
frame: a review answer paid for both. This footer is one widget of fixed height: a change of keys
repaints one line, with no layout pass. It shows what Textual's Footer shows (per action its first
binding with `show`, in the screen's order, disabled ones dimmed, the command palette's key at the
right) and a click on a key presses it. Binding groups are not combined (dltui defines none).
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.style import Style
from rich.text import Text
from textual.screen import Screen

from dltui.ui.span_line import SpanLine


@dataclass(frozen=True)
class ShownKey:
    """One key as the footer shows it."""

    key: str
    key_display: str
    description: str
    enabled: bool


@dataclass(frozen=True)
class ShownKeys:
    keys: tuple[ShownKey, ...]  # in the footer's order
    palette: ShownKey | None  # the command palette's key, at the right


class StudyFooter(SpanLine):
    COMPONENT_CLASSES = {"footer--key", "footer--description", "footer--disabled", "footer--hover"}
    DEFAULT_CSS = """
    StudyFooter {
        dock: bottom;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
        .footer--key { color: $footer-key-foreground; background: $footer-key-background; text-style: bold; }
        .footer--description { color: $footer-description-foreground; background: $footer-description-background; }
        .footer--disabled { text-style: dim; }
        .footer--hover { background: $block-hover-background; }
    }
    """

    def __init__(self) -> None:
        super().__init__()
        self._shown = ShownKeys((), None)
        self._drawn: tuple[object, Text] | None = None  # what render() made, and for what

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self.bindings_changed)
        self.call_after_refresh(self.bindings_changed, self.screen)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def bindings_changed(self, screen: Screen) -> None:
        if not screen.app.app_focus or not self.is_attached or screen is not self.screen:
            return
        showing = self._showing()
        if showing != self._shown:
            self._shown = showing
            self.refresh()  # one line repainted: its height never changes

    def _showing(self) -> ShownKeys:
        """Per action its first shown binding, as Textual's Footer picks them, and the palette key."""
        app, active = self.app, self.screen.active_bindings
        first: dict[str, ShownKey] = {}
        for _, binding, enabled, _tooltip in active.values():
            if binding.show and binding.action not in first:
                first[binding.action] = ShownKey(binding.key, app.get_key_display(binding), binding.description, enabled)
        palette = None
        if app.ENABLE_COMMAND_PALETTE and app.COMMAND_PALETTE_BINDING in active:
            _, binding, enabled, _ = active[app.COMMAND_PALETTE_BINDING]
            palette = ShownKey(binding.key, app.get_key_display(binding), binding.description, enabled)
            first.pop(binding.action, None)
        return ShownKeys(tuple(first.values()), palette)

    def render(self) -> Text:
        # Every full frame draws the footer again: the same keys at the same width make the same line.
        wanted = (self._shown, self.size.width, self.app.theme, self.hovered)
        if self._drawn is None or self._drawn[0] != wanted:
            self._drawn = (wanted, self._line())
        return self._drawn[1]

    def _line(self) -> Text:
        key_style = self.get_component_rich_style("footer--key")
        description_style = self.get_component_rich_style("footer--description")
        dim = self.get_component_rich_style("footer--disabled")
        hover = self.get_component_rich_style("footer--hover", partial=True)
        line, spans = Text(no_wrap=True, overflow="crop"), []

        def add(key: ShownKey, text: Text, padding: str = " ") -> None:
            start = text.cell_len
            styles = (key_style, description_style) if key.enabled else (key_style + dim, description_style + dim)
            if key.key == self.hovered:
                styles = (styles[0] + hover, styles[1] + hover)
            text.append(f"{padding}{key.key_display} ", styles[0])
            text.append(f"{key.description}{padding}", styles[1])
            spans.append((start, text.cell_len, key.key))

        for key in self._shown.keys:
            add(key, line)
        if (palette := self._shown.palette) is not None:
            # At the right, as Textual docks it: over the last keys when there is no room for both.
            right = Text("▏", style=Style(dim=True))
            add(palette, right, padding="")
            room = max(0, self.size.width - right.cell_len)
            line.truncate(room, pad=True)
            offset = room
            spans = [(start, min(end, room), key) for start, end, key in spans[:-1] if start < room]
            spans.append((offset, offset + right.cell_len, palette.key))
            line.append_text(right)
        self._spans = spans
        return line

    def span_clicked(self, what: str) -> None:
        self.app.simulate_key(what)  # a click on a key presses it
