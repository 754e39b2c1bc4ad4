"""The tutor's reply on screen: Markdown that streams in, drawn as a column of short sections.

Textual's Markdown re-parses only its last block when text is appended, but lays out every one
of its blocks again, so one widget for a long reply made each batch of text cost more than the
one before (a 2,000-word reply: seconds of CPU). Here, once the last section holds
SECTION_BLOCKS finished blocks, the block still growing moves to a new section: a batch parses
and lays out one short section, however long the reply. Every top-level block has a bottom
margin of one line and a single Markdown collapses it with the next block's top margin; across a
seam the two add up, so a section that continues a reply draws its first block one line higher
(CSS below): the learner sees the same reply, streamed or reopened.
"""

from __future__ import annotations

from functools import cache

from markdown_it import MarkdownIt
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.geometry import Size
from textual.widgets import Markdown

SECTION_BLOCKS = 8  # finished blocks a section holds before the next block starts a new one


@cache
def shared_parser() -> MarkdownIt:
    """One parser for every reply (Textual's default builds a new one for every append)."""
    return MarkdownIt("gfm-like")


class ReplySection(Markdown):
    """A run of whole Markdown blocks of one reply; finished once the next section starts."""

    def __init__(self, text: str = "", continued: bool = False):
        super().__init__(text, parser_factory=shared_parser, classes="continued" if continued else "")
        self.finished = False
        self._height_at: tuple[int, int] | None = None  # (width, height) of a finished section

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        # Textual measures a section against its container's height, which grows with every
        # batch, so its own cache never hits and every finished block was laid out again per
        # batch. A finished section's blocks only change height with the width.
        if self.finished and self._height_at is not None and self._height_at[0] == width:
            return self._height_at[1]
        height = super().get_content_height(container, viewport, width)
        if self.finished:
            self._height_at = (width, height)
        return height


class TutorMessage(Vertical):
    """A reply from the tutor. ``source`` is its Markdown as drawn so far."""

    DEFAULT_CSS = """
    TutorMessage { height: auto; }
    TutorMessage > ReplySection { padding: 0; }
    /* Top-level blocks' margins are (top 0 1 0), top 0, 1 or 2: one line less at a seam. A
       class, not :first-child, which would restyle every block of a section at each mount. */
    ReplySection > MarkdownBlock.seam { margin: 0 0 1 0; }
    ReplySection > MarkdownH1.seam { margin: 1 0 1 0; }
    ReplySection > MarkdownH2.seam { margin: 1 0 1 0; }
    """

    def __init__(self, text: str = "", stopped: bool = False):
        super().__init__(classes="tutor-message")
        self.source = text
        self.stopped = stopped
        self._section_start = 0  # where the last section's text begins in `source`

    def compose(self) -> ComposeResult:
        yield ReplySection(self.source)

    async def append(self, text: str) -> None:
        """Draw more of the reply: the last section takes it, or hands its growing block on."""
        with self.app.batch_update():  # one layout and one frame for the whole batch of text
            self.source += text
            section = self.children[-1]
            await section.append(text)
            cut = _cut(self.source[self._section_start :], len(section.children))
            if cut is not None:  # the growing block leaves this section and opens the next
                await section.children[-1].remove()
                section.finished = True
                self._section_start += cut
                # Mounted empty, then appended to: Textual's update() leaves a section that
                # later appends re-parse from its last line, splitting a list in two.
                await self.mount(section := ReplySection(continued=True))
                await section.append(self.source[self._section_start :])
            # A section's first block can be replaced while it grows ("`" becoming a fence).
            if section.has_class("continued") and section.children:
                section.children[0].add_class("seam")
        # The screen let layout requests wait while the batch was open: ask again, so this
        # batch is drawn now rather than with the next one.
        self.refresh(layout=True)


def _cut(text: str, widgets: int) -> int | None:
    """Where a new section should start in ``text`` (a section's Markdown), or None for not yet.

    ``widgets`` is how many blocks the section draws: one per top-level block, or the cut
    would not match what is on screen and the section is left whole.
    """
    blocks = [t for t in shared_parser().parse(text) if t.level == 0 and t.nesting >= 0 and t.map is not None]
    if len(blocks) <= SECTION_BLOCKS or len(blocks) != widgets:
        return None
    line = blocks[-1].map[0]
    return sum(len(each) for each in text.splitlines(keepends=True)[:line])
