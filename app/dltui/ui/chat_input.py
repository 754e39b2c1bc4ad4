"""The chat's text box, light enough for the first frame (see ui/shell.py)."""

from __future__ import annotations

from textual.binding import Binding
from textual.widgets import Input


class ChatInput(Input):
    """The chat's text box. Keys typed while dltui starts arrive through the terminal's cooked
    mode, which turns Enter into a line feed (ctrl+j): that sends too, or the first sentence a
    learner types at launch would sit unsent."""

    BINDINGS = [Binding("ctrl+j", "submit", "Send", show=False)]
