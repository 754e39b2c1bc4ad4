"""Keys typed ahead of the screen: the ones a text box should have had go into it.

Textual hands a key to the widget that has the focus when the app takes the key from the terminal,
and runs the key's binding only once the key has come back up to the app. A learner who types on
(or a burst of keys arriving at once over SSH) gets ahead of that: "3 100480 Enter" on a review
card rated it, and the next card's number box took the focus only after "100480" had been handed
to the review pane, which has no use for digits: they were dropped, and Enter checked an empty box.

A text box keeps every printable key it is given, so a printable key that comes back up to the
app while a text box has the focus was handed out before the box took the focus. It goes into the
box, as it would have had the learner waited. (Enter, Backspace and the other keys a box binds
need nothing: bindings are looked up when the key reaches the app, from the focus of that moment.)
"""

from __future__ import annotations

from textual import events
from textual.app import App
from textual.widgets import Input


def into_the_focused_box(app: App, event: events.Key) -> None:
    """For an app's ``on_key``: a printable key that reached the app goes into the focused text box."""
    box = app.focused
    if not isinstance(box, Input) or not event.is_printable or event.character is None:
        return
    event.stop()
    event.prevent_default()  # the app's bindings: the box would have taken the key before them
    selection = box.selection
    if selection.is_empty:
        box.insert_text_at_cursor(event.character)
    else:  # as the box does itself: typing replaces the selection
        box.replace(event.character, *selection)
