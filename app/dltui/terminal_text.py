"""One sanitiser for text we do not control (lab output, lab events, the model's words).

Such text ends up on the learner's terminal, in exports and in notes. Escape sequences in it
could clear the screen, retitle the terminal or write the clipboard (OSC 52), so every control
character other than newline and tab is removed, and an escape sequence (CSI, OSC, DCS...) is
removed as a whole, parameters included, so no half of it is left to show. A carriage return
becomes a newline (a progress bar's redraws become lines). Ordinary Unicode is kept.
"""

from __future__ import annotations

import re

# ESC [ ... final byte (CSI); ESC ] / P / X / ^ / _ ... up to BEL or ESC \ (OSC, DCS, SOS, PM,
# APC: an unterminated one runs to the end of the text); ESC and one more character (the rest).
# The 8-bit forms (U+009B CSI, U+009D OSC, ...) are matched the same way.
_SEQUENCE = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[ -/]*[0-~]?"
)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def terminal_safe(text: str) -> str:
    """``text`` with escape sequences and control characters (but newline and tab) removed."""
    if not text.isprintable():  # the common case (plain text) costs one C-level scan
        text = _SEQUENCE.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
        text = _CONTROL.sub("", text)
    return text
