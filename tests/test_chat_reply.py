"""A reply drawn in parts reads exactly as the same reply drawn whole, streamed or opened later."""

from dltui.ui.chat_reply import PART_CHARS, ReplyMarkdown, ReplyPart, TutorMessage, cut_points, split_parts
from rich.console import Console, Group
from rich.text import Text
from textual.app import App, ComposeResult
from textual.containers import VerticalScroll

PARAGRAPH = "Backpropagation applies the chain rule from the loss back to the first weights. " * 6

# Everything a reply holds where a careless cut changes what is drawn: a code fence with blank
# lines inside, a list item continued by an indented paragraph, numbered and loose lists, a table.
REPLY = "\n\n".join(
    [
        "## The backward pass",
        PARAGRAPH,
        "```python\ndef backward(dY):\n    dW = X.T @ dY\n\n\n    dX = dY @ W.T\n    return dW, dX\n\nprint(backward(dY))\n```",
        PARAGRAPH,
        "1. Run the forward pass and keep every activation.",
        "2. Start from dL/dY at the output.\n\n   Each layer turns the gradient of its output into that of its input.",
        "3. Update the weights.",
        PARAGRAPH,
        "- loose item one\n\n- loose item two",
        "| layer | shape |\n|---|---|\n| W1 | 784x128 |",
        PARAGRAPH * 2,
        "```\nunclosed fence at the end, as a stream stops mid-code\n\nstill inside the code block",
    ]
)


def drawn(parts: list[str], width: int = 80) -> str:
    """The text rich draws for ``parts``, one blank line between parts (the parts' margin)."""
    console = Console(width=width, record=True, file=open("/dev/null", "w"), color_system=None)
    pieces: list = []
    for part in parts:
        if pieces:
            pieces.append(Text(""))
        pieces.append(ReplyMarkdown(part))
    console.print(Group(*pieces))
    return "\n".join(line.rstrip() for line in console.export_text().splitlines())


def test_parts_join_back_to_the_reply_and_draw_the_same_lines():
    parts = split_parts(REPLY)
    assert "".join(parts) == REPLY
    assert len(parts) >= 3  # long enough to be cut more than once
    assert all(len(p) < 3 * PART_CHARS for p in parts)
    assert drawn(parts) == drawn([REPLY])


def test_no_cut_inside_a_fence_before_an_indented_line_or_between_list_items():
    # Every prefix, as a stream delivers it: a line seen only in part ("2" of "2. Start") included.
    cuts = {cut for end in range(len(REPLY) + 1) for cut in cut_points(REPLY[:end], after=0)}
    assert cuts
    for cut in sorted(cuts):
        before, after = REPLY[:cut], REPLY[cut:]
        assert before.count("```") % 2 == 0, f"cut inside a code fence at {cut}"
        assert not after[0].isspace(), f"cut before an indented line at {cut}"
        assert not after.startswith(("- ", "2. ", "3. ")), f"cut between list items at {cut}"


def widget_lines(widget) -> str:
    """The lines a widget draws, as text."""
    strips = widget.render_lines(widget.content_region.reset_offset)
    return "\n".join(strip.text.rstrip() for strip in strips)


class OneReply(App):
    def compose(self) -> ComposeResult:
        yield VerticalScroll(TutorMessage(), id="log")


async def test_a_streamed_reply_is_cut_as_it_grows_and_ends_as_the_reply_opened_whole():
    app = OneReply()
    async with app.run_test(size=(80, 24)) as pilot:
        reply = app.query_one(TutorMessage)
        await reply.append(REPLY[:40])
        await reply.append(REPLY[40:2000])  # a batch long enough to hold a cut
        for start in range(2000, len(REPLY), 37):  # small deltas, some ending mid-line or mid-fence
            await reply.append(REPLY[start : start + 37])
        await pilot.pause()
        streamed = [part.source for part in reply.query(ReplyPart)]
        assert reply.source == REPLY
        assert streamed == split_parts(REPLY)  # as short as when the reply is opened whole
        assert drawn(streamed) == drawn([REPLY])
        on_screen = "\n\n".join(widget_lines(part) for part in reply.query(ReplyPart))
        assert on_screen == drawn([REPLY], width=reply.query(ReplyPart).first().content_size.width)
        opened = TutorMessage(REPLY)
        await app.query_one("#log").mount(opened)
        assert opened.source == REPLY
        assert len(opened.query(ReplyPart)) >= 3


async def test_headings_start_at_the_margin_and_numbered_steps_keep_their_numbers():
    # As the tutor wrote them, and as the topic reader shows them: rich on its own centres a "#"
    # heading and draws "1. Compute" as " 1 Compute".
    steps = "# Gradient descent\n\nTwo steps:\n\n1. Compute the gradient.\n2. Step against it.\n\n## Why it works"
    app = OneReply()
    async with app.run_test(size=(80, 24)) as pilot:
        reply = app.query_one(TutorMessage)
        await reply.append(steps)
        await pilot.pause()
        lines = [line.strip() for line in widget_lines(reply.query_one(ReplyPart)).splitlines()]
        assert widget_lines(reply.query_one(ReplyPart)).startswith("Gradient descent")
        assert "1. Compute the gradient." in lines and "2. Step against it." in lines
        assert lines[-1] == "Why it works"
