"""The footer: Textual's, with its keys updated in place, and only when what it shows changes.

Textual's Footer recomposes (a new widget per key, each styled and laid out) on every bindings
signal, and a signal comes with every focus change and `refresh_bindings()`: a review answer moves
the focus and refreshes the bindings several times, and each rebuild cost ~20 ms. This one
coalesces the signals of one refresh into one look, compares the keys it would show (the first
binding of each action, as Textual's Footer shows them) with those on screen, and changes only
the keys that differ: a key that goes away is hidden, not removed, and comes back the same way.
It recomposes only for a key it has never built, or when binding groups are in play.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets._footer import FooterKey


@dataclass(frozen=True)
class ShownKey:
    """One key as the footer shows it."""

    key: str
    key_display: str
    description: str
    action: str
    enabled: bool
    tooltip: str


@dataclass(frozen=True)
class ShownKeys:
    keys: tuple[ShownKey, ...]  # in the footer's order
    palette: ShownKey | None  # the command palette's key, docked right
    grouped: bool  # binding groups are combined: Textual's compose lays those out
    options: tuple[bool, bool, bool]  # compact, show_command_palette, combine_groups


class StudyFooter(Footer):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._shown: ShownKeys | None = None  # what the keys on screen show
        self._widgets: dict[str, FooterKey] = {}  # action -> its key on screen, shown or hidden
        self._rebuild_pending = False

    def bindings_changed(self, screen: Screen) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus or not self.is_attached or screen is not self.screen:
            return
        # Changed here and now, not after the next refresh: the keys' new widths are laid out in
        # the same pass as the change that moved the bindings (a new card, the focus).
        showing = self._showing()
        if showing == self._shown:
            return
        if self._update_in_place(showing):
            self._shown = showing
        elif not self._rebuild_pending:
            self._rebuild_pending = True
            self.call_after_refresh(self._rebuild)

    def _showing(self) -> ShownKeys:
        """What Textual's compose would show now: per action its first shown binding, the palette key."""
        app, active = self.app, self.screen.active_bindings
        first: dict[str, ShownKey] = {}
        groups = []
        for _, binding, enabled, tooltip in active.values():
            if binding.show and binding.action not in first:
                first[binding.action] = ShownKey(
                    binding.key, app.get_key_display(binding), binding.description, binding.action, enabled, tooltip
                )
                groups.append(binding.group)
        grouped = any(group is not None and group == after for group, after in zip(groups, groups[1:]))
        palette = None
        if self.show_command_palette and app.ENABLE_COMMAND_PALETTE and app.COMMAND_PALETTE_BINDING in active:
            _, binding, enabled, _ = active[app.COMMAND_PALETTE_BINDING]
            palette = ShownKey(
                binding.key,
                app.get_key_display(binding),
                binding.description,
                binding.action,
                enabled,
                binding.tooltip or binding.description,
            )
        options = (self.compact, self.show_command_palette, self.combine_groups)
        return ShownKeys(tuple(first.values()), palette, grouped, options)

    async def _rebuild(self) -> None:
        self._rebuild_pending = False
        showing = self._showing()
        await self.recompose()
        self._widgets = {key.action: key for key in self.query_children(FooterKey) if not key.has_class("-command-palette")}
        self._shown = showing

    def _update_in_place(self, showing: ShownKeys) -> bool:
        """Show ``showing`` with the key widgets there are; False when they cannot (a rebuild is needed)."""
        shown = self._shown
        if shown is None or showing.grouped or shown.grouped or showing.options != shown.options:
            return False
        if (showing.palette is None) != (shown.palette is None):
            return False
        keys = {key.action: key for key in showing.keys}
        if not set(keys) <= set(self._widgets):
            return False  # a key never built
        # The keys shown in the order asked (on a choice card b chooses, and B Bury comes after
        # undo), each hidden one kept in its place: a key moves only when the order changes.
        order = list(self._widgets)
        in_order = iter(keys)
        wanted = [next(in_order) if action in keys else action for action in order]
        for index, action in enumerate(wanted):
            if order[index] != action:
                self.move_child(self._widgets[action], before=self._widgets[order[index]])
                order.remove(action)
                order.insert(index, action)
        self._widgets = {action: self._widgets[action] for action in wanted}
        for action, widget in self._widgets.items():
            if widget.display != (action in keys):
                widget.display = action in keys
            if action in keys:
                _update_key(widget, keys[action])
        if showing.palette is not None:
            for widget in self.query_children(FooterKey).filter(".-command-palette"):
                _update_key(widget, showing.palette)
        return True


def _update_key(widget: FooterKey, key: ShownKey) -> None:
    """Make one key widget show ``key`` (as FooterKey's constructor would have)."""
    widget.key = key.key  # what a click on it presses
    if (widget.key_display, widget.description) != (key.key_display, key.description):
        width_before = (len(widget.key_display), len(widget.description))
        widget.key_display, widget.description = key.key_display, key.description
        # A key as wide as before needs no layout pass, only a repaint.
        widget.refresh(layout=(len(key.key_display), len(key.description)) != width_before)
    if widget._disabled == key.enabled:
        widget._disabled = not key.enabled
        widget.set_class(widget._disabled, "-disabled")
    if (widget.tooltip or "") != (key.tooltip or ""):
        widget.tooltip = key.tooltip or None
