"""The footer: Textual's, rebuilt only when the keys it shows change.

Textual's Footer recomposes (a new widget per key, each styled) on every bindings signal, and a
signal comes with every focus change and `refresh_bindings()`: a review answer moves the focus
and refreshes the bindings several times, and each rebuild cost ~20 ms. This one coalesces the
signals of one refresh into one look, and rebuilds only when what it would show is different.
"""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer


class StudyFooter(Footer):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._shown: tuple | None = None  # what the keys on screen were built from
        self._look_pending = False

    def bindings_changed(self, screen: Screen) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen and not self._look_pending:
            self._look_pending = True
            self.call_after_refresh(self._rebuild_if_changed)

    def _showing(self) -> tuple:
        """Everything the footer's compose reads: the shown bindings, enabled or not, and its options."""
        keys = tuple(
            (binding.key, binding.action, binding.description, binding.key_display, binding.group, enabled, tooltip)
            for (_, binding, enabled, tooltip) in self.screen.active_bindings.values()
            if binding.show
        )
        return keys, self.compact, self.show_command_palette, self.combine_groups

    async def _rebuild_if_changed(self) -> None:
        self._look_pending = False
        showing = self._showing()
        if showing != self._shown:
            self._shown = showing
            await self.recompose()
